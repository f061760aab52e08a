"""Source handling: bytes -> decoded text (PEP 263, BOM) -> textual prefilter -> ``ast.Module``."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional, Tuple

from .mpapi import PREFILTER_GATES

#: Extra tokens a file may pass on (configured manager factories); the fixed ones are :data:`api.PREFILTER_GATES`.
PREFILTER_TOKENS: Tuple[str, ...] = ()
_GATES = tuple((gate.encode(), tuple(token.encode() for token in others)) for gate, others in PREFILTER_GATES)


#: What kind of problem stopped a file from being checked: the names ruff gives such diagnostics (they have no
#: rule code, in ruff as here: these are not rules one selects or silences).
INVALID_SYNTAX = "invalid-syntax"  # read and decoded, but it does not parse (or is nested too deep to)
IO_ERROR = "io-error"  # it cannot be read, decoded, or loaded as a notebook (ruff's E902 io-error)
INTERNAL_ERROR = "internal-error"  # a bug of this tool stopped the check (ruff's "panic")


def internal_error(err: BaseException) -> str:
    """The one line every front end prints for a bug of ours that stopped a file's check (never a traceback)."""
    return f"internal error: {type(err).__name__}: {err} (please report this file)"


@dataclass(frozen=True)
class Problem:
    """Why a file could not be checked, beyond the one-line cause: its kind and, where known, where (lines
    1-based, columns 1-based characters; in a notebook the line counts in ``cell``). The machine formats report
    it as a result, as ruff reports a syntax error."""

    kind: str = IO_ERROR
    line: Optional[int] = None
    column: Optional[int] = None
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    cell: Optional[int] = None


class SourceError(Exception):
    """A file that cannot be checked; ``str(err)`` is the one-line cause shown to the user, ``problem`` its
    kind and position for the machine formats."""

    def __init__(self, message: str, problem: Problem = Problem()) -> None:
        super().__init__(message)
        self.problem = problem


def position_in_bytes(raw: bytes, offset: int) -> Problem:
    """An I/O error at byte ``offset`` of ``raw``: its line and column (the column counts bytes: the text around
    it could not be decoded, so its characters are not known)."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return Problem(IO_ERROR, raw.count(b"\n", 0, offset) + 1, offset - line_start + 1)


def syntax_problem(err: SyntaxError, line: Optional[int] = None, cell: Optional[int] = None) -> Problem:
    """Where a ``SyntaxError`` points (``line``: its line counted another way, e.g. in a notebook cell).
    ``ast`` gives 1-based character offsets; the end is known from Python 3.10 on."""
    start = line if line is not None else err.lineno or None
    if start is None:
        return Problem(INVALID_SYNTAX, cell=cell)
    end_line = getattr(err, "end_lineno", None)
    end_column = getattr(err, "end_offset", None)
    if end_line and err.lineno and end_column and end_column > 0:
        end_line = start + (end_line - err.lineno)
    else:
        end_line, end_column = None, None
    return Problem(INVALID_SYNTAX, start, err.offset or None, end_line, end_column, cell)


@dataclass(frozen=True)
class SourceFile:
    """A decoded file: the raw bytes are kept so that the fixer can write back byte-exact."""

    path: str
    raw: bytes
    text: str
    encoding: str


def prefilter_tokens(manager_factories: Iterable[str] = ()) -> Tuple[str, ...]:
    """The extra tokens that let a file through: the last dotted part of each configured manager factory."""
    return tuple(dict.fromkeys(name.rsplit(".", 1)[-1] for name in manager_factories if name))


def may_have_findings(text: str, tokens: Tuple[str, ...] = PREFILTER_TOKENS) -> bool:
    """Sound textual test: a file that fails it cannot produce a finding, so it is not parsed.

    The one implementation is :func:`may_have_findings_in_bytes`: the text is encoded (UTF-8, where a token
    is a substring exactly when it is one of the text) and asked there.
    """
    return may_have_findings_in_bytes(text.encode("utf-8", "surrogatepass"), tokens)


def may_have_findings_in_bytes(raw: bytes, tokens: Tuple[str, ...] = PREFILTER_TOKENS) -> bool:
    """:func:`may_have_findings` on undecoded bytes, final for every ASCII-compatible encoding (UTF-8, the
    Latin and Windows code pages); only UTF-16/32 text must be decoded and asked again.

    One scan per gate decides for most files (``Manager``, ``Proxy``); the longer tokens are looked for only
    after it.
    """
    for gate, others in _GATES:
        if gate in raw:
            for token in others:
                if token in raw:
                    return True
    for extra in tokens:
        if _encoded(extra) in raw:
            return True
    return False


@lru_cache(maxsize=256)
def _encoded(token: str) -> bytes:
    return token.encode("utf-8", "surrogatepass")


def decode(path: str, raw: bytes) -> SourceFile:
    """Decode ``raw`` as Python source (encoding cookie, BOM) without touching line endings."""
    if b"\x00" in raw:
        raise SourceError("source contains null bytes (binary file?)", position_in_bytes(raw, raw.index(b"\x00")))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as err:
        raise SourceError(f"cannot detect encoding: {err.msg if hasattr(err, 'msg') else err}") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        raise SourceError(f"cannot decode as {encoding}: {_short(err)}", position_in_bytes(raw, err.start)) \
            from None
    except LookupError as err:
        raise SourceError(f"cannot decode as {encoding}: {_short(err)}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(path=path, raw=raw, text=text, encoding=encoding)


def parse(source: SourceFile) -> ast.Module:
    """Parse with ``ast``; every way the parser can fail becomes a one-line :class:`SourceError`."""
    try:
        return ast.parse(source.text, filename=source.path, type_comments=False)
    except SyntaxError as err:
        where = f" (line {err.lineno})" if err.lineno else ""
        raise SourceError(f"syntax error: {err.msg}{where}", syntax_problem(err)) from None
    except (RecursionError, MemoryError):
        raise SourceError("syntax error: nesting too deep to parse", Problem(INVALID_SYNTAX)) from None
    except ValueError as err:  # Python < 3.12 reports null bytes and some decode problems this way
        raise SourceError(f"syntax error: {_short(err)}", Problem(INVALID_SYNTAX)) from None


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__
