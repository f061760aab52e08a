"""Benchmark flake8-mpproxy against the floor (ast.parse), flake8 with and without the plugin, bugbear and ruff.

    python benchmarks/run_benchmarks.py            # full run (about 15 minutes on 2 cores)
    python benchmarks/run_benchmarks.py --quick    # smoke test on small corpora

Corpus 1 is every ``*.py`` of the running interpreter's standard library (no site-packages), copied to a
temporary directory; corpus 2 is a synthetic proxy-heavy tree (benchmarks/synthetic.py). Every row is a whole
process; rows are measured alternately, after one warm-up run each, and the median is reported. Ratios and
targets are printed at the end, with "met" or "NOT met".
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate  # noqa: E402

PARSE_ALL = """
import ast, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
"""

#: Runs flake8 with only its default plugins plus the ones named in argv[1] (``mpproxy``, ``bugbear``), so the
#: rows with and without our plugin use the same flake8 and differ in nothing else.
FLAKE8_LAUNCHER = """
import sys
from flake8.main import cli
from flake8.plugins import finder

OPTIONAL = {"mpproxy": "flake8-mpproxy", "bugbear": "flake8-bugbear"}
keep = {OPTIONAL[name] for name in sys.argv[1].split(",") if name}
original = finder._find_importlib_plugins

def filtered():
    for plugin in original():
        if plugin.package in OPTIONAL.values() and plugin.package not in keep:
            continue
        yield plugin

finder._find_importlib_plugins = filtered
sys.exit(cli.main(sys.argv[2:]))
"""

MAXRSS = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def stdlib_corpus(dest: Path, limit: Optional[int]) -> int:
    """Copy the running interpreter's standard library ``*.py`` files (no site-packages) into ``dest``."""
    root = Path(os.__file__).resolve().parent
    count = 0
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if "site-packages" in relative.parts or "dist-packages" in relative.parts:
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
        if limit and count >= limit:
            break
    return count


def version_of(distribution: str) -> Optional[str]:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


class Bench:
    def __init__(self, reps: int, work: Path) -> None:
        self.reps = reps
        self.work = work
        self.times: Dict[str, List[float]] = {}
        self.commands: Dict[str, Tuple[List[str], Optional[Path]]] = {}
        self.order: List[str] = []

    def add(self, name: str, command: List[str], fresh_copy_of: Optional[Path] = None) -> None:
        """A row; ``fresh_copy_of``: the command changes its tree, so each run gets a new copy (not timed)."""
        self.commands[name] = (command, fresh_copy_of)
        self.order.append(name)

    def run_once(self, name: str) -> float:
        command, source = self.commands[name]
        if source is not None:
            target = self.work / "fix-copy"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            if hasattr(os, "sync"):
                os.sync()  # the copy's write-back must not land inside the timed run
            command = [part if part != "{copy}" else str(target) for part in command]
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(self.work))
        return time.perf_counter() - start

    def measure(self, names: Sequence[str], reps: Optional[int] = None, warm_up: bool = True) -> None:
        for name in names if warm_up else ():  # warm-up: caches, imports, pyc files
            self.run_once(name)
        for _ in range(reps or self.reps):
            for name in names:  # alternating, so drift hits every row alike
                self.times.setdefault(name, []).append(self.run_once(name))
                print(f"  {name}: {self.times[name][-1]:.3f} s", file=sys.stderr)

    def median(self, name: str) -> Optional[float]:
        values = self.times.get(name)
        return statistics.median(values) if values else None


def peak_rss_kb(command: List[str], cwd: Path) -> int:
    out = subprocess.run([sys.executable, "-c", MAXRSS, *command], capture_output=True, text=True, cwd=str(cwd))
    return int(out.stdout.strip() or 0)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small corpora, one repetition: a smoke test")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the fast rows (default 5)")
    parser.add_argument("--flake8-reps", type=int, default=2, help="repetitions of the flake8 rows (default 2)")
    parser.add_argument("--corpus2-files", type=int, default=1000, help="synthetic files (default 1000)")
    parser.add_argument("--skip-flake8", action="store_true", help="leave out the slow flake8 rows")
    parser.add_argument("--flake8-files", type=int, default=0,
                        help="run the flake8 rows on the first N files of corpus 1 only (default: all; flake8 "
                             "takes about 80 s per run on the whole standard library with 2 jobs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.flake8_reps, args.corpus2_files = 1, 1, 120

    python = sys.executable
    tool = [python, "-m", "flake8_mpproxy", "-q"]
    with tempfile.TemporaryDirectory(prefix="mpp-bench-") as tmp:
        work = Path(tmp)
        corpus1, corpus2 = work / "stdlib", work / "synthetic"
        n1 = stdlib_corpus(corpus1, 300 if args.quick else None)
        n2 = len(generate(corpus2, args.corpus2_files, seed=0))
        (work / "parse_all.py").write_text(PARSE_ALL)
        (work / "flake8_only.py").write_text(FLAKE8_LAUNCHER)
        bench = Bench(args.reps, work)
        flake8 = [python, str(work / "flake8_only.py")]

        bench.add("parse1", [python, str(work / "parse_all.py"), str(corpus1)])
        bench.add("check1 -j1", tool + ["-j1", str(corpus1)])
        bench.add("check1 -j2", tool + ["-j2", str(corpus1)])
        bench.add("check1", tool + [str(corpus1)])
        bench.add("fix1 nothing", tool + ["--fix", "{copy}"], fresh_copy_of=corpus1)
        bench.add("parse2", [python, str(work / "parse_all.py"), str(corpus2)])
        bench.add("check2 -j1", tool + ["-j1", str(corpus2)])
        bench.add("check2 -j2", tool + ["-j2", str(corpus2)])
        bench.add("fix2", tool + ["--fix", "{copy}"], fresh_copy_of=corpus2)
        ruff = shutil.which("ruff")
        if ruff:
            bench.add("ruff1", [ruff, "check", "--no-cache", "--exit-zero", "--isolated", str(corpus1)])
        print(f"corpus 1: {n1} files; corpus 2: {n2} files; measuring the fast rows ...", file=sys.stderr)
        bench.measure(bench.order[:])

        slow = []
        if not args.skip_flake8:
            slow = [("flake8 -j1", ["", "-j1"]), ("flake8+MPP -j1", ["mpproxy", "-j1"]),
                    ("flake8", ["", "-j2"]), ("flake8+MPP", ["mpproxy", "-j2"]),
                    ("flake8 --select MPP", ["mpproxy", "-j2", "--select", "MPP"])]
            if version_of("flake8-bugbear"):
                slow.append(("flake8+bugbear", ["bugbear", "-j2"]))
            flake8_corpus = corpus1
            if args.flake8_files:
                flake8_corpus = work / "stdlib-subset"
                for path in sorted(corpus1.rglob("*.py"))[:args.flake8_files]:
                    target = flake8_corpus / path.relative_to(corpus1)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
            for name, extra in slow:
                bench.add(name, flake8 + [extra[0], *extra[1:], "--exit-zero", str(flake8_corpus)])
            print("measuring the flake8 rows ...", file=sys.stderr)
            bench.measure([name for name, _ in slow], reps=args.flake8_reps, warm_up=False)

        rss = peak_rss_kb(tool + [str(corpus1)], work)
        report(bench, n1, n2, rss, args)
    return 0


def report(bench: Bench, n1: int, n2: int, rss_kb: int, args: argparse.Namespace) -> None:
    m = bench.median
    print(f"# flake8-mpproxy benchmark, {datetime.date.today().isoformat()}")
    print(f"CPU: {cpu_name()} ({os.cpu_count()} cores); Python {platform.python_version()}; "
          f"flake8-mpproxy {version_of('flake8-mpproxy')}, flake8 {version_of('flake8')}, "
          f"flake8-bugbear {version_of('flake8-bugbear') or 'not installed'}, "
          f"ruff {version_of('ruff') or 'not installed'}")
    subset = f" (flake8 rows: its first {args.flake8_files} files)" if args.flake8_files else ""
    print(f"corpus 1: standard library, {n1} files{subset}; corpus 2: synthetic, {n2} files; "
          f"medians of {args.reps} runs ({args.flake8_reps} for flake8 rows), after a warm-up run each\n")
    print("| row | median (s) |")
    print("|---|---|")
    for name in bench.order:
        value = m(name)
        print(f"| {name} | {value:.3f} |" if value is not None else f"| {name} | not run |")
    if not shutil.which("ruff"):
        print("| ruff1 | not installed |")
    print(f"\npeak RSS of `flake8-mpproxy` on corpus 1: {rss_kb / 1024:.1f} MiB\n")

    targets: List[Tuple[str, Optional[float], str, bool]] = []

    def ratio(a: str, b: str) -> Optional[float]:
        x, y = m(a), m(b)
        return x / y if x is not None and y else None

    def target(label: str, value: Optional[float], bound: str, ok) -> None:
        targets.append((label, value, bound, value is not None and ok(value)))

    target("flake8+MPP / flake8 (corpus 1, -j2)", ratio("flake8+MPP", "flake8"), "<= 1.03", lambda v: v <= 1.03)
    target("flake8+MPP / flake8 (corpus 1, -j1)", ratio("flake8+MPP -j1", "flake8 -j1"), "<= 1.03",
           lambda v: v <= 1.03)
    target("flake8+bugbear / flake8 (corpus 1), for comparison", ratio("flake8+bugbear", "flake8"), "(none)",
           lambda v: True)
    target("check / parse-all (corpus 1)", ratio("check1", "parse1"), "<= 0.10", lambda v: v <= 0.10)
    target("check / ruff check (corpus 1)", ratio("check1", "ruff1"), "< 1.00", lambda v: v < 1.0)
    target("check -j1 / parse-all (corpus 2)", ratio("check2 -j1", "parse2"), "<= 1.50", lambda v: v <= 1.5)
    target("--fix with nothing to fix / check (corpus 1)", ratio("fix1 nothing", "check1"), "<= 1.05",
           lambda v: v <= 1.05)
    target("-j1 / -j2 (corpus 2)", ratio("check2 -j1", "check2 -j2"), ">= 1.70", lambda v: v >= 1.7)
    print("| target | measured | bound | |")
    print("|---|---|---|---|")
    for label, value, bound, ok in targets:
        shown = f"{value:.2f}" if value is not None else "n/a"
        verdict = "" if bound == "(none)" else ("met" if ok else "NOT met")
        print(f"| {label} | {shown} | {bound} | {verdict} |")


if __name__ == "__main__":
    sys.exit(main())
