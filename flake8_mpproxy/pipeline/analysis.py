"""The per-file pipeline every front end calls: bytes -> decode -> prefilter -> the project's links -> parse ->
engine + rules -> guard plans, character columns -> ``# noqa``.

:func:`check_file` is the whole trip for a file's bytes (the command, the language server); :func:`check` the
same from a decoded file (the flake8 plugin, which has flake8's text and tree, and applies noqa itself);
:func:`check_tree` the analysis of a parsed module alone (notebooks, whose cells make one virtual module, and
the fixer's re-checks). The project around the file comes from the :class:`ProjectContext` the front end
made; the result cache (``store``) is the front end's choice too.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, replace
from typing import Any, Callable, List, Optional, Sequence, Tuple

from . import noqa
from ..engine import InferenceResult
from ..engine.links import Links
from ..engine.syntax import node_range
from ..model.catalogue import FIX_NONE
from ..model.config import Settings
from ..model.findings import FORM_GUARD, FORM_NONE, Finding, guard_detail
from ..model.source import INTERNAL_ERROR, INVALID_SYNTAX, Problem, SourceError, SourceFile, decode, may_have_findings, parse, \
    internal_error, prefilter_tokens
from ..project.cache import Cache, content_hash, decode_records, encode_records, settings_digest, warn
from ..project.context import ProjectContext
from ..project.guard import plan_move
from ..rules import analyse


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
               warnings: Optional[List[str]] = None, links: Optional[Links] = None,
               context: Optional[ProjectContext] = None) -> Tuple[Finding, ...]:
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
    return finish(result, lambda: tree, lines, path, warnings, settings, context)


def finish(result: InferenceResult, tree: Callable[[], ast.Module], lines: Optional[Sequence[str]],
           path: Optional[str], warnings: Optional[List[str]], settings: Settings = Settings(),
           context: Optional[ProjectContext] = None) -> Tuple[Finding, ...]:
    """From the analysis to the findings: the budget warning, the guard plans (the only step that needs the
    tree, asked for only then), character columns, sorted."""
    if result.stopped_after is not None and warnings is not None:
        warnings.append(stopped_warning(result.stopped_after))
    found = result.findings
    if any(finding.form == FORM_GUARD for finding in found):
        context = context if context is not None else ProjectContext()
        found = [plan_guard(finding, tree(), path, settings, context) if finding.form == FORM_GUARD else finding
                 for finding in found]
    if lines is not None:
        found = [to_character_columns(finding, lines) for finding in found]
    return tuple(sorted(found, key=Finding.sort_key))


def stopped_warning(steps: int) -> str:
    """The one line a front end prints (after ``path: warning: ``) when the step budget stopped the analysis."""
    return f"analysis stopped after {steps} steps; findings may be missing"


def plan_guard(finding: Finding, tree: ast.Module, path: Optional[str], settings: Settings,
               context: ProjectContext) -> Finding:
    """MPP201's main-guard move: the statements that move with the manager, or why it may not move (then the
    finding has no fix, so the summary never offers what ``--unsafe-fixes`` would refuse)."""
    node = next((n for n in ast.walk(tree) if node_range(n) == finding.detail["node"]), None)
    index = context.index(path, settings) if path is not None else None
    plan = plan_move(tree, node, path, index) if node is not None else None
    detail = guard_detail(finding).copy()
    if plan is None or plan.refusal is not None:
        detail["refusal"] = plan.refusal if plan is not None and plan.refusal is not None else \
            "the manager call was not found"
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


def check_source(source: SourceFile, settings: Settings = Settings(), warnings: Optional[List[str]] = None,
                 links: Optional[Links] = None, context: Optional[ProjectContext] = None) -> Tuple[Finding, ...]:
    """Parse and analyse a decoded file (with ``links``: the project's facts), then drop what ``# noqa``
    comments suppress (as flake8 does): what the fixer checks its rewritten text with."""
    path = None if source.path in ("-", "stdin", "<stdin>") else source.path
    findings = check_tree(parse(source), settings, physical_lines(source.text), path, warnings, links, context)
    return noqa.filter_findings(source.text, findings) if findings else ()


def check_file(path: str, raw: bytes, settings: Settings, context: ProjectContext,
               store: Optional[Cache] = None) -> FileResult:
    """Check one file's bytes; never raises for bad input, which becomes ``FileResult.error``. Every file is
    decoded (cheap, and an undecodable file is an error whatever it holds)."""
    try:
        source = decode(path, raw)
    except SourceError as err:
        return FileResult(path, error=str(err), problem=err.problem)
    return check(source, raw, settings, context, store)


def check(source: SourceFile, raw: bytes, settings: Settings, context: ProjectContext,
          store: Optional[Cache] = None, tree: Optional[ast.Module] = None, apply_noqa: bool = True) -> FileResult:
    """Check a decoded file: only files that pass the textual prefilter are parsed, and those other modules
    of the project pass proxies to (a worker module that never mentions multiprocessing still gets the
    findings its callers' proxies cause). ``raw``: the bytes the file's cache records are keyed by; ``tree``:
    the file already parsed (flake8 did); ``apply_noqa``: False where the front end applies ``# noqa``."""
    path = source.path
    real = os.path.isfile(path)
    warnings: List[str] = []
    try:
        if not may_have_findings(source.text, prefilter_tokens(settings.manager_factories)) and \
                not (real and context.involved(path, settings, store)):
            return FileResult(path)
        links = context.links(path, settings, raw, store) if real else None
        inputs = context.received(path, settings, store) if real else ""
        stopped = context.warning(path, settings, store) if real else None
        key = (settings_digest(settings), inputs, content_hash(raw))
        result = remembered(store, source, key, settings, context) if store is not None else None
        if result is None:
            findings = analysed(source, settings, warnings, links, context, tree)
            result = FileResult(path, findings, warnings=tuple(warnings))
            if store is not None:
                keep(store, path, key, result, settings, context)
    except SourceError as err:
        return FileResult(path, error=str(err), problem=err.problem)
    except Exception as err:  # a bug of ours: the plugin, the command and the server report it, in one line
        return FileResult(path, error=internal_error(err), problem=Problem(INTERNAL_ERROR))
    findings = noqa.filter_findings(source.text, result.findings) if apply_noqa and result.findings else \
        result.findings
    notes = result.warnings + ((stopped,) if stopped is not None else ())
    return replace(result, findings=findings, source=source if findings else None, warnings=notes)


def analysed(source: SourceFile, settings: Settings, warnings: List[str], links: Optional[Links],
             context: ProjectContext, tree: Optional[ast.Module] = None) -> Tuple[Finding, ...]:
    """The findings of a file before ``# noqa``: the project solver's own analysis of these bytes when it
    made one with the inputs the file has now (``links.reuse``: the file is not analysed twice), else the
    engine and the rules run here."""
    path = None if source.path in ("-", "stdin", "<stdin>") else source.path
    lines = physical_lines(source.text)
    if links is not None and links.reuse is not None and settings.enabled_codes():
        return finish(links.reuse, lambda: tree or parse(source), lines, path, warnings, settings, context)
    return check_tree(tree or parse(source), settings, lines, path, warnings, links, context)


# --- the result cache (:mod:`cache`): findings per file, keyed by content, settings and incoming facts --------

#: The kind of a file's records: its findings before ``# noqa`` (the command applies noqa after reading them,
#: flake8 applies its own), so the command and the flake8 plugin share them.
FINDINGS_KIND = "file-findings"


def remembered(store: Cache, source: SourceFile, key: Tuple[str, str, str], settings: Settings,
               context: ProjectContext) -> Optional[FileResult]:
    """The file's cached result, or None when there is none that holds (malformed: warned; importers
    changed). The key holds what the findings depend on: the settings, the digest of the facts the project
    solver gives the file (:meth:`ProjectContext.received`) and the bytes; an MPP201 finding's fix also
    depends on who imports the file (the guard move), so that list is stored and compared on a hit."""
    path = source.path
    record = store.load(FINDINGS_KIND, path, *key)
    if record is None:
        return None
    try:
        findings = tuple(decode_records(Finding, record["findings"]))
        warnings = tuple(str(w) for w in record["warnings"])
        stored_importers = record["importers"]
    except (ValueError, KeyError, TypeError) as err:
        warn(str(store.entry_path(FINDINGS_KIND, path, *key[:2])), f"ignoring unreadable cache entry ({err})")
        return None
    if stored_importers is not None and guard_inputs(path, findings, settings, context) != stored_importers:
        return None
    return FileResult(path, findings, warnings=warnings, cached=True)


def keep(store: Cache, path: str, key: Tuple[str, str, str], result: FileResult, settings: Settings,
         context: ProjectContext) -> None:
    record = {"findings": encode_records(result.findings), "warnings": list(result.warnings),
              "importers": guard_inputs(path, result.findings, settings, context)}
    store.store(FINDINGS_KIND, path, *key, record)


def guard_inputs(path: str, findings: Sequence[Finding], settings: Settings,
                 context: ProjectContext) -> Optional[List[Any]]:
    """What MPP201's main-guard plan read from the project (the importers of the file, from the same project
    scan the plan uses), when it has one."""
    if not any(f.code == "MPP201" for f in findings):
        return None
    index = context.index(path, settings)
    own = os.path.abspath(path)
    return [[index.relative(user) for user in index.importers_of(own) if user != own], index.complete]
