"""Source handling: bytes -> decoded text (PEP 263, BOM) -> textual prefilter -> ``ast.Module``."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from typing import Iterable, Tuple

#: A manager the inference knows comes from an import of ``multiprocessing`` whose name spells ``Manager``
#: (``Manager``, ``SyncManager``, ``BaseManager`` subclasses, ``get_context(...).Manager()``), from a proxy or
#: ``SyncManager`` annotation, or from a configured factory. A file with none of these cannot have a finding.
PROXY_ANNOTATIONS: Tuple[str, ...] = (
    "DictProxy", "ListProxy", "NamespaceProxy", "ValueProxy", "ArrayProxy", "AcquirerProxy",
)
PREFILTER_TOKENS: Tuple[str, ...] = ()
_PROXY_ANNOTATIONS_BYTES = tuple(token.encode() for token in PROXY_ANNOTATIONS)


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

    Two scans decide for most files ("Manager", "Proxy"); the longer tokens are looked for only after them.
    """
    if "Manager" in text and ("multiprocessing" in text or "SyncManager" in text):
        return True
    if "Proxy" in text and any(token in text for token in PROXY_ANNOTATIONS):
        return True
    return any(token in text for token in tokens)


def may_have_findings_in_bytes(raw: bytes, tokens: Tuple[str, ...] = PREFILTER_TOKENS) -> bool:
    """:func:`may_have_findings` on undecoded bytes, final for every ASCII-compatible encoding (UTF-8, the
    Latin and Windows code pages); only UTF-16/32 text must be decoded and asked again."""
    if b"Manager" in raw and (b"multiprocessing" in raw or b"SyncManager" in raw):
        return True
    if b"Proxy" in raw and any(token in raw for token in _PROXY_ANNOTATIONS_BYTES):
        return True
    return any(token.encode() in raw for token in tokens)


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
