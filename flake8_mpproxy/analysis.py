"""The pipeline every front end shares: bytes -> prefilter -> decode -> parse -> inference -> findings."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Optional, Tuple

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


def check_tree(tree: ast.Module, settings: Settings = Settings()) -> Tuple[Finding, ...]:
    """Findings for a parsed module, sorted, for the enabled codes; noqa is the caller's business."""
    enabled = settings.enabled_codes()
    if not enabled:
        return ()
    try:
        found = infer(tree, enabled, settings.manager_factories)
    except RecursionError:
        raise SourceError("nesting too deep to analyse") from None
    return tuple(sorted(found, key=Finding.sort_key))


def check_source(source: SourceFile, settings: Settings = Settings()) -> Tuple[Finding, ...]:
    """Parse and analyse a decoded file, then drop what ``# noqa`` comments suppress (as flake8 does)."""
    findings = check_tree(parse(source), settings)
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
