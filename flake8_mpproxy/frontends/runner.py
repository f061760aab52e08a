"""Per-file work for the command (check, fix, diff), and running it over many files in worker processes.

Workers return small picklable :class:`Outcome` values; printing happens in the parent, in sorted order, so the
output is the same for any ``-j``. libcst is imported (through the fixer) only for files with a fixable finding;
the analysis (and the inference engine) only when a file misses the warm records (:mod:`warmstore`), so a warm run
with nothing changed imports neither.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, AbstractSet, Iterable, Iterator, List, Optional, Tuple

from ..project.cache import cache_for, content_hash
from ..project.context import ProjectContext
from ..model.findings import Finding, fix_wanted
from .diff import unified_diff
from ..model.jobs import MODE_CHECK, MODE_DIFF, MODE_FIX, MODE_NOQA, NOTEBOOK_SUFFIX, Job, Outcome
from ..model.source import INTERNAL_ERROR, IO_ERROR, Problem, SourceError, SourceFile, decode, internal_error, \
    may_have_findings, may_have_findings_in_bytes, prefilter_tokens

if TYPE_CHECKING:
    from ..fixer import FixResult

def read_bytes(path: str, context: Optional[ProjectContext] = None) -> bytes:
    """The bytes of ``path`` (``-``: standard input), through the run's overlay: read once per run."""
    if path == "-":
        return sys.stdin.buffer.read()
    if context is not None:
        return context.overlay.read_bytes(path)
    with open(path, "rb") as handle:
        return handle.read()


def unreadable(path: str, err: OSError) -> Outcome:
    return Outcome(path, error=f"cannot read: {err.strerror or err}", problem=Problem(IO_ERROR))


def is_notebook(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


def process(path: str, job: Job, display: Optional[str] = None, raw: Optional[bytes] = None,
            digest: bool = False, context: Optional[ProjectContext] = None) -> Outcome:
    """Check one file and, in fix or diff mode, fix it. Never raises for a bad file, and a bug in this tool is
    reported against the file instead of ending the run. ``digest``: also hash the bytes checked (the warm
    record asks it only of a file stamped so recently that it may change under us); ``context``: the run's
    projects (None: this file's own)."""
    shown = display or path
    if raw is None:
        try:
            raw = read_bytes(path, context)
        except OSError as err:
            return unreadable(shown, err)
    try:
        outcome = checked(path, job, shown, raw, context if context is not None else ProjectContext())
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # a bug of ours: the other files must still be checked
        return Outcome(shown, error=internal_error(err), problem=Problem(INTERNAL_ERROR))
    return replace(outcome, digest=content_hash(raw)) if digest else outcome


def checked(path: str, job: Job, shown: str, raw: bytes, context: ProjectContext) -> Outcome:
    from ..pipeline.analysis import check_file  # (the analysis and the inference engine: only for a file that misses)

    if is_notebook(shown):
        from .notebook import process as process_notebook

        return process_notebook(path, shown, raw, job)
    result = check_file(shown, raw, job.settings, context, cache_for(path, job.cache_dir, job.cache))
    fixing = job.mode in (MODE_FIX, MODE_DIFF)
    if fixing and result.cached and any(fix_wanted(f, job.unsafe, job.style) for f in result.findings):
        result = check_file(shown, raw, job.settings, context)  # the fixer works from a fresh analysis, never a record
    if result.error is not None:
        return Outcome(shown, error=result.error, problem=result.problem)
    if job.mode == MODE_NOQA:
        outcome = add_noqa(path, shown, raw, result.source, result.findings)
    elif not fixing or result.source is None:
        outcome = Outcome(shown, result.findings, output=raw if path == "-" and job.mode == MODE_FIX else None)
    else:
        outcome = fix_one(path, shown, raw, result.source, result.findings, job, context)
    return replace(outcome, notes=tuple(result.warnings) + outcome.notes) if result.warnings else outcome


def add_noqa(path: str, shown: str, raw: bytes, source: Optional[SourceFile], findings: Tuple[Finding, ...]
             ) -> Outcome:
    """``--add-noqa`` for one ``.py`` file: the directives written in place (atomically, and only if the file
    still holds ``raw``); a file without findings is never opened for writing. The findings' lines and codes
    are all it needs, so a cached result serves as well as a fresh one (the cache key holds the bytes)."""
    from ..pipeline.noqa import add_directives
    from ..fixer.writer import WriteError, replace_file

    if source is None or not findings:
        return Outcome(shown)
    try:
        added = add_directives(source.text, findings)
    except SourceError as err:
        return Outcome(shown, error=str(err))
    notes = tuple(f"line {line}: {why}; left without a noqa comment" for line, why in added.skipped)
    if not added.count:
        return Outcome(shown, notes=notes)
    try:
        replace_file(path, added.text.encode(source.encoding), before=raw)  # utf-8-sig puts a BOM back
    except WriteError as err:
        return Outcome(shown, error=str(err), notes=notes)
    return Outcome(shown, notes=notes, noqa_added=added.count)


def fix_one(path: str, shown: str, raw: bytes, source: SourceFile, findings: Tuple[Finding, ...], job: Job,
            context: ProjectContext) -> Outcome:
    if not any(fix_wanted(f, job.unsafe, job.style) for f in findings):
        return Outcome(shown, findings, output=raw if path == "-" else None)
    from ..fixer import encode, fix_source  # libcst only for a file with something to fix
    from ..fixer.writer import WriteError, replace_file

    result = fix_source(source, findings, job.settings, unsafe=job.unsafe, style=job.style, context=context)
    if result.error is not None:
        return Outcome(shown, findings, error=result.error)
    notes = result.notes
    if not result.changed:
        return Outcome(shown, result.remaining, output=raw if path == "-" else None, notes=notes)
    new_raw = encode(result.text, source)
    if job.mode == MODE_DIFF:
        diff = unified_diff(shown, source.text, result.text) if result.text != source.text else ""
        diff += "".join(unified_diff(shown_path(other.path), other.source.text, other.text) for other in result.others)
        return Outcome(shown, result.remaining, fixed=result.fixed, diff=diff, notes=notes)
    if path == "-":
        return Outcome(shown, result.remaining, fixed=result.fixed, output=new_raw, notes=notes)
    if not result.others:
        try:
            replace_file(path, new_raw, before=raw)
        except WriteError as err:
            return Outcome(shown, findings, error=str(err), notes=notes)
        finally:
            context.overlay.reread(path)
        return Outcome(shown, result.remaining, fixed=result.fixed, notes=notes)
    return write_with_others(path, shown, raw, new_raw, findings, result, job, notes, context)


def write_with_others(path: str, shown: str, raw: bytes, new_raw: bytes, findings: Tuple[Finding, ...],
                      result: "FixResult", job: Job, notes: Tuple[str, ...], context: ProjectContext) -> Outcome:
    """Write this file and the modules its nested fixes rewrite together (all or none), then check this file
    again against the rewritten project: only the findings that are gone count as fixed."""
    from ..pipeline.analysis import check_file
    from ..fixer import encode, gone
    from ..fixer.writer import WriteError, replace_files

    files = [(path, raw, new_raw)] if new_raw != raw else []
    files += [(other.path, other.before, encode(other.text, other.source)) for other in result.others]
    try:
        replace_files(files)
    except WriteError as err:
        return Outcome(shown, findings, error=str(err), notes=notes)
    context.forget()  # the project's facts changed with the origin module
    after = check_file(shown, new_raw, job.settings, context)
    remaining = after.findings if after.error is None else result.remaining
    return Outcome(shown, remaining, fixed=gone(findings, remaining), notes=notes)


def shown_path(path: str) -> str:
    """Another file the fix rewrites, as the output names it (relative to the working directory)."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class _Worker:
    """A pool worker's projects: the parent's context, inherited through fork with what the screening solved
    (a spawned worker starts its own)."""

    context: Optional[ProjectContext] = None

    @classmethod
    def adopt(cls, context: Optional[ProjectContext]) -> None:
        cls.context = context if context is not None else ProjectContext()


def _work(item: Tuple[str, Job, bool]) -> Outcome:
    assert _Worker.context is not None
    path, job, digest = item
    return process(path, job, digest=digest, context=_Worker.context)


def screen(path: str, job: Job, digest: bool, context: ProjectContext) -> Tuple[Optional[Outcome], int]:
    """The cheap part, done in this process for every file: read, decode, prefilter.

    Returns the final outcome of a file that cannot have a finding (or cannot be read or decoded), else
    ``None`` and the file's size, so that only real candidates go to the workers.
    """
    tokens = prefilter_tokens(job.settings.manager_factories)
    try:
        raw = read_bytes(path, context)
        if may_have_findings_in_bytes(raw, tokens):
            return None, len(raw)  # the worker decodes it (and reports a decoding error there)
        if is_notebook(path):
            from .notebook import load as load_notebook

            load_notebook(path, raw)  # a notebook that is not valid JSON or nbformat 4 is an error anyway
            return Outcome(path, digest=content_hash(raw) if digest else ""), 0
        source = decode(path, raw)  # decoded even so: an undecodable file is an error whatever it holds
        if not (source.encoding.startswith(("utf-16", "utf-32")) and may_have_findings(source.text, tokens)) \
                and not (path != "-" and involved_or_unknown(path, job, context)):
            # (a module other modules pass proxies to is a candidate all the same)
            return Outcome(path, digest=content_hash(raw) if digest else ""), 0
    except OSError as err:
        return unreadable(path, err), 0
    except SourceError as err:
        return Outcome(path, error=str(err), problem=err.problem), 0
    return None, len(raw)


def involved_or_unknown(path: str, job: Job, context: ProjectContext) -> bool:
    """:func:`involved_here`; True when a bug of ours stops the project's solve (the file's own check then
    reports it against the file, in one line, instead of a traceback ending the run)."""
    try:
        return involved_here(path, job, context)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception:
        return True


def involved_here(path: str, job: Job, context: ProjectContext) -> bool:
    """:meth:`ProjectContext.involved`, with the project's summaries read through the file's result cache."""
    return context.involved(path, job.settings, cache_for(path, job.cache_dir, job.cache))


def run_all(items: List[Tuple[str, Job]], jobs: Optional[int], context: Optional[ProjectContext] = None
            ) -> Iterator[Outcome]:
    """Process each ``(path, job)`` (files under different configurations get different jobs): a file whose
    warm record holds (:mod:`warmstore`) costs a stat; the others are screened, and the candidates that pass
    :func:`screen` go to ``jobs`` worker processes (None: as many as the work is worth). Yields outcomes in any
    order."""
    from ..project.warmstore import WarmRun

    warm = WarmRun(items[0][1].mode if items else MODE_CHECK)
    misses: List[Tuple[str, Job]] = []
    for path, job in items:
        hit = warm.hit(path, job)
        if hit is not None:
            yield hit
        else:
            misses.append((path, job))
    context = context if context is not None else ProjectContext(remember_reads=True)
    for outcome in run_misses(misses, jobs, {path for path, _ in misses if warm.wants_digest(path)}, context):
        warm.record(outcome)
        yield outcome
    warm.save()


def run_misses(items: List[Tuple[str, Job]], jobs: Optional[int], digests: AbstractSet[str],
               context: ProjectContext) -> Iterator[Outcome]:
    """Screen and check the files no warm record holds; ``digests``: the files whose outcome must carry the
    hash of the bytes checked (hashing every file would cost about 5 % of a standard-library run)."""
    candidates: List[Tuple[int, str, Job]] = []
    for path, job in items:
        outcome, size = screen(path, job, path in digests, context)
        if outcome is not None:
            yield outcome
        else:
            candidates.append((size, path, job))
    candidates.sort(key=lambda item: (-item[0], item[1]))  # the largest first: the workers finish together
    workers = jobs if jobs is not None else default_jobs(sum(size for size, _, _ in candidates))
    if workers <= 1 or len(candidates) < 2:
        for _, path, job in candidates:
            yield process(path, job, digest=path in digests, context=context)
        return
    import multiprocessing

    workers = min(workers, len(candidates))
    chunk = max(1, len(candidates) // (workers * 4))  # few round trips, yet the workers finish together
    method = _start_method()
    inherited = context if method == "fork" else None  # (forked: not pickled; spawned: starts its own)
    with multiprocessing.get_context(method).Pool(workers, initializer=_Worker.adopt, initargs=(inherited,)) as pool:
        yield from pool.imap_unordered(_work, [(path, job, path in digests) for _, path, job in candidates], chunksize=chunk)


def _start_method() -> str:
    """fork where the platform has it (cheap workers: nothing to re-import); else the default."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and sys.platform != "darwin" else methods[0]


#: Candidate source (bytes) per worker process of the default run. A forked worker costs about 0.04 to 0.05 s
#: of CPU (fork, copied pages, results sent back) and the analysis about 0.5 s per MB of candidates (standard
#: library and the realistic corpus, 2026-11-25), so at 1 MB per worker the pool adds under a tenth to the CPU
#: time while it can halve the wall time on idle cores. The standard library's 14 candidates (1.1 MB) run in
#: process: 2 workers cost about 0.05 to 0.08 s more CPU there (and save about 0.15 s of wall time when a
#: second core is idle, none on a busy machine; ``-j2`` asks for them).
WORKER_BYTES = 1_000_000


def default_jobs(candidate_bytes: int, cpus: Optional[int] = None) -> int:
    """The worker count of a run without ``-j``: one (in process) for a little work, such as a pre-commit run or
    the standard library; one more per :data:`WORKER_BYTES` of candidates, at most one per CPU."""
    return max(1, min(candidate_bytes // WORKER_BYTES, cpus or os.cpu_count() or 1))


def flatten(outcomes: Iterable[Outcome]) -> List[Outcome]:
    return sorted(outcomes, key=lambda o: o.path)
