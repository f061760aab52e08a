"""Time the analysis of each file in one process: run as a script, in a process of its own.

    python benchmarks/per_file.py [--reps N] < paths.txt     # one path a line; prints one JSON object

Each file that passes the tool's text prefilter (the files the command analyses) is decoded, then checked with
``analysis.check_source`` (parse, analysis, guard plans, noqa) ``--reps`` times; the least CPU time of those
runs is kept (later runs no longer pay one-time costs such as the directory scan an MPP201 guard plan makes,
cached per directory). The collector is tuned as the command tunes it, and a collection runs before each timed
run so no file pays for the garbage of the one before. Printed: ``{"files": {path: {"cpu": seconds, "lines":
physical lines, "stopped": the analysis stopped at its step budget}}, "skipped": files the prefilter skips}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from typing import Any, Dict, List, Optional, Sequence


def time_file(path: str, reps: int) -> Optional[Dict[str, Any]]:
    """The least CPU seconds of ``reps`` checks of ``path``, its line count and whether the analysis stopped at
    its budget; None for a file the prefilter skips (or one that cannot be read or parsed)."""
    from flake8_mpproxy.pipeline.analysis import check_source
    from flake8_mpproxy.model.source import SourceError, decode, may_have_findings

    try:
        with open(path, "rb") as handle:
            source = decode(path, handle.read())
    except (OSError, SourceError):
        return None
    if not may_have_findings(source.text):
        return None
    best, stopped = float("inf"), False
    for _ in range(reps):
        warnings: List[str] = []
        gc.collect()
        start = time.process_time()
        try:
            check_source(source, warnings=warnings)
        except SourceError:
            return None
        best = min(best, time.process_time() - start)
        stopped = stopped or bool(warnings)
    return {"cpu": best, "lines": source.text.count("\n") + 1, "stopped": stopped}


def measure(paths: Sequence[str], reps: int) -> Dict[str, Any]:
    """Per-file results for ``paths`` after one untimed warm-up check (imports, first-use caches)."""
    from flake8_mpproxy.frontends.cli import tune_gc

    tune_gc()
    files: Dict[str, Any] = {}
    if paths:
        time_file(paths[0], 1)
    for path in paths:
        result = time_file(path, reps)
        if result is not None:
            files[path] = result
    return {"files": files, "skipped": len(paths) - len(files)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="checks per file; the least CPU time is kept")
    args = parser.parse_args(argv)
    paths = [line.strip() for line in sys.stdin if line.strip()]
    print(json.dumps(measure(paths, max(1, args.reps))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
