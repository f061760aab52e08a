"""Per-file work for the command (check, fix, diff), and running it over many files in worker processes.

Workers return small picklable :class:`Outcome` values; printing happens in the parent, in sorted order, so the
output is the same for any ``-j``. libcst is imported (through the fixer) only for files with a fixable finding.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field
from typing import Iterable, Iterator, List, Optional, Tuple

from .analysis import check_file
from .config import Settings
from .findings import Finding

MODE_CHECK = "check"
MODE_FIX = "fix"
MODE_DIFF = "diff"


@dataclass(frozen=True)
class Job:
    """What to do with every file: the same for all files of a run."""

    settings: Settings
    mode: str = MODE_CHECK
    unsafe: bool = False
    style: str = "reassign"


@dataclass(frozen=True)
class Outcome:
    """The result for one file, as the parent prints it."""

    path: str
    findings: Tuple[Finding, ...] = ()
    error: Optional[str] = None
    fixed: Tuple[Finding, ...] = ()
    diff: str = ""
    #: For stdin under --fix: the text to write to stdout.
    output: Optional[bytes] = None
    notes: Tuple[str, ...] = field(default=())


def read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def process(path: str, job: Job, display: Optional[str] = None, raw: Optional[bytes] = None) -> Outcome:
    """Check one file and, in fix or diff mode, fix it. Never raises for a bad file."""
    shown = display or path
    if raw is None:
        try:
            raw = read_bytes(path)
        except OSError as err:
            return Outcome(shown, error=f"cannot read: {err.strerror or err}")
    result = check_file(shown, raw, job.settings)
    if result.error is not None:
        return Outcome(shown, error=result.error)
    if job.mode == MODE_CHECK or result.source is None:
        return Outcome(shown, result.findings, output=raw if path == "-" and job.mode == MODE_FIX else None)
    return fix_one(path, shown, raw, result.source, result.findings, job)


def fix_one(path: str, shown: str, raw: bytes, source, findings: Tuple[Finding, ...], job: Job) -> Outcome:
    from .fixer import applicable, encode, fix_source  # libcst only when a file has something to fix
    from .writer import WriteError, replace_file

    if not any(applicable(f, job.unsafe) for f in findings):
        return Outcome(shown, findings, output=raw if path == "-" else None)
    result = fix_source(source, findings, job.settings, unsafe=job.unsafe, style=job.style)
    if result.error is not None:
        return Outcome(shown, findings, error=result.error)
    if not result.changed:
        return Outcome(shown, result.remaining, output=raw if path == "-" else None)
    new_raw = encode(result.text, source)
    if job.mode == MODE_DIFF:
        return Outcome(shown, result.remaining, fixed=result.fixed, diff=unified_diff(shown, source.text, result.text))
    if path == "-":
        return Outcome(shown, result.remaining, fixed=result.fixed, output=new_raw)
    try:
        replace_file(path, new_raw)
    except WriteError as err:
        return Outcome(shown, findings, error=str(err))
    return Outcome(shown, result.remaining, fixed=result.fixed)


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def process_guarded(path: str, job: Job) -> Outcome:
    """:func:`process`, with a bug in this tool reported against the file instead of ending the run."""
    try:
        return process(path, job)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # a bug of ours: the other files must still be checked
        return Outcome(path, error=f"internal error: {type(err).__name__}: {err} (please report this file)")


def _work(item: Tuple[str, Job]) -> Outcome:
    return process_guarded(*item)


def run_all(paths: List[str], job: Job, jobs: int) -> Iterator[Outcome]:
    """Process ``paths`` with ``jobs`` worker processes (1: in this process); yields outcomes in any order."""
    if jobs <= 1 or len(paths) < 2:
        for path in paths:
            yield process_guarded(path, job)
        return
    import multiprocessing

    chunk = max(1, min(64, len(paths) // (jobs * 8) or 1))
    with multiprocessing.get_context(_start_method()).Pool(jobs) as pool:
        yield from pool.imap_unordered(_work, ((path, job) for path in paths), chunksize=chunk)


def _start_method() -> str:
    """fork where the platform has it (cheap workers: nothing to re-import); else the default."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and sys.platform != "darwin" else methods[0]


def default_jobs(file_count: int) -> int:
    """One process for a handful of files (pre-commit runs); every CPU for a tree."""
    if file_count < 32:
        return 1
    return max(1, min(file_count // 16, os.cpu_count() or 1))


def flatten(outcomes: Iterable[Outcome]) -> List[Outcome]:
    return sorted(outcomes, key=lambda o: o.path)
