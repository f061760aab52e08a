"""Source handling: bytes -> decoded text (PEP 263, BOM) -> textual prefilter -> ``ast.Module``."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Tuple

from .api import PREFILTER_GATES

#: Extra tokens a file may pass on (configured manager factories); the fixed ones are :data:`api.PREFILTER_GATES`.
PREFILTER_TOKENS: Tuple[str, ...] = ()
_GATES = tuple((gate.encode(), tuple(token.encode() for token in others)) for gate, others in PREFILTER_GATES)


class SourceError(Exception):
    """A file that cannot be checked; ``str(err)`` is the one-line cause shown to the user."""


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
        raise SourceError("source contains null bytes (binary file?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as err:
        raise SourceError(f"cannot detect encoding: {err.msg if hasattr(err, 'msg') else err}") from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
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
        raise SourceError(f"syntax error: {err.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise SourceError("syntax error: nesting too deep to parse") from None
    except ValueError as err:  # Python < 3.12 reports null bytes and some decode problems this way
        raise SourceError(f"syntax error: {_short(err)}") from None


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__
