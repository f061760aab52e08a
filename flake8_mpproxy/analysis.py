"""The pipeline every front end shares: bytes -> prefilter -> decode -> parse -> inference -> findings."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Optional, Sequence, Tuple

from . import noqa
from .config import Settings
from .findings import Finding
from .inference import infer
from .source import SourceError, SourceFile, decode, may_have_findings, parse, prefilter_tokens


@dataclass(frozen=True)
class FileResult:
    """What checking one file gave: findings (after noqa), or the one-line reason it could not be checked."""

    path: str
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None
    #: The decoded file, kept only when there are findings (the fixer needs it); None for skipped files.
    source: Optional[SourceFile] = None


def check_tree(tree: ast.Module, settings: Settings = Settings(),
               lines: Optional[Sequence[str]] = None) -> Tuple[Finding, ...]:
    """Findings for a parsed module, sorted, for the enabled codes; noqa is the caller's business.

    ``ast`` columns count UTF-8 bytes; given the source ``lines``, findings get the character columns an
    editor shows. (``detail`` ranges stay in ``ast`` coordinates: the fixer converts what it uses.)
    """
    enabled = settings.enabled_codes()
    if not enabled:
        return ()
    try:
        found = infer(tree, enabled, settings.manager_factories, settings.target_version)
    except RecursionError:
        raise SourceError("nesting too deep to analyse") from None
    if lines is not None:
        found = [to_character_columns(finding, lines) for finding in found]
    return tuple(sorted(found, key=Finding.sort_key))


def to_character_columns(finding: Finding, lines: Sequence[str]) -> Finding:
    """Turn the byte columns ``ast`` gives into character columns on lines that are not pure ASCII."""
    col = char_column(lines, finding.line, finding.col)
    end_col = char_column(lines, finding.end_line, finding.end_col)
    if (col, end_col) == (finding.col, finding.end_col):
        return finding
    return replace(finding, col=col, end_col=end_col)


def char_column(lines: Sequence[str], line: int, byte_col: int) -> int:
    if not 0 < line <= len(lines):
        return byte_col
    text = lines[line - 1]
    if text.isascii():
        return byte_col
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def physical_lines(text: str) -> Sequence[str]:
    """Lines as ``ast`` numbers them: split at \\n, \\r\\n and \\r only (not at form feeds or U+2028)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def check_source(source: SourceFile, settings: Settings = Settings()) -> Tuple[Finding, ...]:
    """Parse and analyse a decoded file, then drop what ``# noqa`` comments suppress (as flake8 does)."""
    findings = check_tree(parse(source), settings, physical_lines(source.text))
    if not findings:
        return ()
    return noqa.filter_findings(source.text, findings)


def check_file(path: str, raw: bytes, settings: Settings = Settings()) -> FileResult:
    """Check one file's bytes; never raises for bad input, which becomes ``FileResult.error``.

    Every file is decoded (cheap, and an undecodable file is an error whatever it holds); only files that
    pass the textual prefilter are parsed.
    """
    try:
        source = decode(path, raw)
        if not may_have_findings(source.text, prefilter_tokens(settings.manager_factories)):
            return FileResult(path)
        findings = check_source(source, settings)
    except SourceError as err:
        return FileResult(path, error=str(err))
    return FileResult(path, findings, source=source if findings else None)
