"""The pipeline every front end shares: bytes -> prefilter -> decode -> parse -> inference -> findings."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, replace
from typing import Any, Callable, List, Optional, Sequence, Tuple

from . import noqa
from ..model.config import Settings
from ..model.catalogue import FIX_NONE
from ..model.findings import FORM_GUARD, FORM_NONE, Finding
from ..project.guard import plan_move, project_index
from ..project.cache import Cache, activated, content_hash, decode_records, encode_records, settings_digest, warn
from ..engine.syntax import node_range
from ..engine import InferenceResult
from ..rules import analyse
from ..engine.links import Links
from ..project.crossmodule import involved, links_for, project_warning, received
from ..model.source import INVALID_SYNTAX, Problem, SourceError, SourceFile, decode, may_have_findings, parse, \
    prefilter_tokens


@dataclass(frozen=True)
class FileResult:
    """What checking one file gave: findings (after noqa), or the one-line reason it could not be checked."""

    path: str
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None
    #: With ``error``: its kind and position, for the machine formats.
    problem: Optional[Problem] = None
    #: The decoded file, kept only when there are findings (the fixer needs it); None for skipped files.
    source: Optional[SourceFile] = None
    #: Lines the command prints as ``path: warning: ...`` (the analysis stopped early: findings may be missing).
    warnings: Tuple[str, ...] = ()
    #: Read from the result cache (not analysed in this run).
    cached: bool = False


def check_tree(tree: ast.Module, settings: Settings = Settings(),
               lines: Optional[Sequence[str]] = None, path: Optional[str] = None,
               warnings: Optional[List[str]] = None, links: Optional[Links] = None) -> Tuple[Finding, ...]:
    """Findings for a parsed module, sorted, for the enabled codes; noqa is the caller's business.

    When the analysis stops at its step budget, a warning for the user is appended to ``warnings`` (the
    findings are then those found so far: never dropped without a word).

    ``ast`` columns count UTF-8 bytes; given the source ``lines``, findings get the character columns an
    editor shows. (``detail`` ranges stay in ``ast`` coordinates: the fixer converts what it uses.)
    """
    enabled = settings.enabled_codes()
    if not enabled:
        return ()
    try:
        result = links.reuse if links is not None and links.reuse is not None else \
            analyse(tree, enabled, settings.manager_factories, settings.target_version, links=links)
    except RecursionError:
        raise SourceError("nesting too deep to analyse", Problem(INVALID_SYNTAX)) from None
    return finish(result, lambda: tree, lines, path, warnings, settings)


def finish(result: InferenceResult, tree: Callable[[], ast.Module], lines: Optional[Sequence[str]],
           path: Optional[str], warnings: Optional[List[str]], settings: Settings = Settings()
           ) -> Tuple[Finding, ...]:
    """From the analysis to the findings: the budget warning, the guard plans (the only step that needs the
    tree, asked for only then), character columns, sorted."""
    if result.stopped_after is not None and warnings is not None:
        warnings.append(stopped_warning(result.stopped_after))
    found = result.findings
    found = [plan_guard(finding, tree(), path, settings) if finding.form == FORM_GUARD else finding
             for finding in found]
    if lines is not None:
        found = [to_character_columns(finding, lines) for finding in found]
    return tuple(sorted(found, key=Finding.sort_key))


def stopped_warning(steps: int) -> str:
    """The one line a front end prints (after ``path: warning: ``) when the step budget stopped the analysis."""
    return f"analysis stopped after {steps} steps; findings may be missing"


def plan_guard(finding: Finding, tree: ast.Module, path: Optional[str], settings: Settings = Settings()) -> Finding:
    """MPP201's main-guard move: the statements that move with the manager, or why it may not move (then the
    finding has no fix, so the summary never offers what ``--unsafe-fixes`` would refuse)."""
    node = next((n for n in ast.walk(tree) if node_range(n) == finding.detail["node"]), None)
    plan = plan_move(tree, node, path, settings) if node is not None else None
    detail = dict(finding.detail)
    if plan is None or plan.refusal is not None:
        detail["refusal"] = plan.refusal if plan is not None else "the manager call was not found"
        args = tuple((k, f" (--unsafe-fixes leaves it: {detail['refusal']}.)" if k == "note" else v)
                     for k, v in finding.args)
        return replace(finding, args=args, form=FORM_NONE, applicability=FIX_NONE, detail=detail)
    detail["move"] = [node_range(stmt) for stmt in plan.moving]
    return replace(finding, detail=detail)


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


def check_source(source: SourceFile, settings: Settings = Settings(),
                 warnings: Optional[List[str]] = None, links: Optional[Links] = None) -> Tuple[Finding, ...]:
    """Parse and analyse a decoded file, then drop what ``# noqa`` comments suppress (as flake8 does). When
    the project solver already analysed these bytes (``links.reuse``), its result is taken, unparsed."""
    path = None if source.path in ("-", "stdin", "<stdin>") else source.path
    if links is not None and links.reuse is not None and settings.enabled_codes():
        findings = finish(links.reuse, lambda: parse(source), physical_lines(source.text), path, warnings,
                          settings)
    else:
        findings = check_tree(parse(source), settings, physical_lines(source.text), path, warnings, links)
    if not findings:
        return ()
    return noqa.filter_findings(source.text, findings)


def check_file(path: str, raw: bytes, settings: Settings = Settings(), cache: Optional[Cache] = None) -> FileResult:
    """Check one file's bytes; never raises for bad input, which becomes ``FileResult.error``.

    Every file is decoded (cheap, and an undecodable file is an error whatever it holds); only files that
    pass the textual prefilter are parsed, and those other modules of the project pass proxies to: a real file
    is analysed with the calls its importers make into it (:mod:`crossmodule`), so a worker module that never
    mentions multiprocessing still gets the findings its callers' proxies cause.
    """
    warnings: List[str] = []
    try:
        source = decode(path, raw)
        real = os.path.isfile(path)
        with activated(cache):  # the project's module summaries go to the same cache as this file's findings
            if not may_have_findings(source.text, prefilter_tokens(settings.manager_factories)) and \
                    not (real and involved(path, settings)):
                return FileResult(path)
            links = links_for(path, settings, raw) if real else None
            if cache is not None:
                result = remembered(cache, source, raw, settings, links, received(path, settings) if real else "")
            else:
                result = FileResult(path, check_source(source, settings, warnings, links))
            stopped = project_warning(path, settings) if real else None
    except SourceError as err:
        return FileResult(path, error=str(err), problem=err.problem)
    warnings.extend(result.warnings)
    if stopped is not None:
        warnings.append(stopped)
    findings = result.findings
    return replace(result, source=source if findings else None, warnings=tuple(warnings))


# --- the result cache (:mod:`cache`): findings per file, keyed by content, settings and incoming facts --------

FINDINGS_KIND = "findings"


def remembered(cache: Cache, source: SourceFile, raw: bytes, settings: Settings,
               links: Optional[Links], inputs: str) -> FileResult:
    """:func:`check_source` through the cache: a hit costs a hash of the bytes and one small read.

    The key holds what the findings depend on: the bytes, the settings and ``inputs``, the digest of the
    facts the project solver gives the file (:func:`crossmodule.received`); an MPP201 finding's fix also depends
    on who imports the file (the guard move), so that list is stored and compared on a hit.
    """
    path = source.path
    key = (settings_digest(settings), inputs, content_hash(raw))
    hit = cache.load(FINDINGS_KIND, path, *key)
    if hit is not None:
        result = from_record(str(cache.entry_path(FINDINGS_KIND, path, *key[:2])), path, source, hit, settings)
        if result is not None:
            return result
    warnings: List[str] = []
    findings = check_source(source, settings, warnings, links)
    record = {"findings": encode_records(findings), "warnings": list(warnings),
              "importers": guard_inputs(path, findings, settings)}
    cache.store(FINDINGS_KIND, path, *key, record)
    return FileResult(path, findings, source=source if findings else None, warnings=tuple(warnings))


def guard_inputs(path: str, findings: Sequence[Finding], settings: Settings) -> Optional[List[Any]]:
    """What MPP201's main-guard plan read from the project (the importers of the file, from the same project
    scan the plan uses), when it has one."""
    if not any(f.code == "MPP201" for f in findings):
        return None
    index = project_index(path, settings)
    own = os.path.abspath(path)
    return [[index.relative(user) for user in index.importers_of(own) if user != own], index.complete]


def from_record(entry: str, path: str, source: SourceFile, record: Any, settings: Settings) -> Optional[FileResult]:
    """A cached result, or None for a record that does not hold (malformed: warned; importers changed)."""
    try:
        findings = tuple(decode_records(Finding, record["findings"]))
        warnings = tuple(str(w) for w in record["warnings"])
        stored_importers = record["importers"]
    except (ValueError, KeyError, TypeError) as err:
        warn(entry, f"ignoring unreadable cache entry ({err})")
        return None
    if stored_importers is not None and guard_inputs(path, findings, settings) != stored_importers:
        return None
    return FileResult(path, findings, source=source if findings else None, warnings=warnings, cached=True)
