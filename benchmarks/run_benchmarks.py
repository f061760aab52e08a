"""Benchmark flake8-mpproxy against the floor (ast.parse), flake8 with and without the plugin, bugbear and ruff.

    python benchmarks/run_benchmarks.py            # full run (about 15 minutes on 2 cores, 1 to 2 more for corpus 4,
                                                   # about 4 more for corpus 5)
    python benchmarks/run_benchmarks.py --quick    # smoke test on small corpora (about a minute)
    python benchmarks/run_benchmarks.py --baseline ../main   # also measure the version checked out there
    python benchmarks/run_benchmarks.py --fix-findings 0     # leave out corpus 5 (its --fix row takes ~40 s a run)

Corpus 1 is every ``*.py`` of the running interpreter's standard library (no site-packages), copied to a
temporary directory; corpus 2 is a synthetic proxy-heavy tree (benchmarks/synthetic.py); corpus 3 is a tree of
small realistic programs that all use managers, a third of them with a planted trap (benchmarks/realistic.py);
corpus 4 is a tree of manager programs carrying recursive helpers over containers (recursive builders of dicts
and lists, conditional-expression and mutual recursion through containers, self-referential structures,
recursion through a dict of functions, helpers recursing over the proxy), a third with a planted trap
(benchmarks/recursive.py); corpus 5 is ONE generated module with N fixable findings (``--fix-findings``, default
10,000; --quick: 300), alone in a directory: N small functions, each doing ``d[key].append(v)`` (MPP101) or
``x = d[key]; x.append(1)`` never written back (MPP103) on a manager dict proxy that a main guard passes in
(benchmarks/fixable.py). Corpora 3, 4 and 5 each have a floor row (``floor3``, ``floor4``, ``floor5``: the FLOOR
script on that corpus, i.e. the tool's start-up, reading and parsing the file(s) and one no-op visit of every
node) beside their ``check -j1`` row. Corpus 5's rows are ``parse5``, ``floor5``, ``check5 -j1`` and ``fix5``
(``--fix -j1`` on a fresh copy each run), the last two with ``--no-cache``, measured as a group of their own,
``--fix-reps`` times (default 3). Every row is a whole process; rows are measured alternately, after one warm-up
run each, and the median is reported, in CPU time (user + system of the process and of every process it waited
for: workers included) and wall time. Ratios are in CPU time, so a machine whose cores are shared with other
work skews them less.

Then, run once each and not timed: whether the findings on corpora 3 and 4 match the planted traps; whether the
MPP101 at the bottom of each call chain of benchmarks/chains.py is reported (callers first, callees first, mutual
recursion; depths 5 to 50); whether corpus 5's file gets exactly N findings, all fixable, and whether ``--fix``
leaves none and a file that parses (the peak RSS of that ``--fix`` and of a check of the file are taken then);
how often the analysis walks each file (benchmarks/walks.py); and the cost of each file of corpora 1 to 4 that
the prefilter lets through, measured in one process (benchmarks/per_file.py: ``check_source`` CPU time per file,
the least of ``--per-file-reps`` runs, per 1,000 lines), with the worst file and whether the analysis of any file
stopped at its step budget. Targets are printed at the end, with "met" or "NOT met"; corpus 5's are: CPU per fix
(fix5 / N: the whole process, start-up and the analyses before and after the fix included) under 1 ms, the peak
RSS of ``--fix`` under 5x that of a check, and check5 -j1 at most 2x floor5.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Set, Tuple

try:
    import resource
except ImportError:  # Windows: no CPU time of child processes; rows fall back to wall time
    resource = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import chains  # noqa: E402
import fixable  # noqa: E402
import project_tree  # noqa: E402
import realistic  # noqa: E402
import recursive  # noqa: E402
from synthetic import generate  # noqa: E402

PARSE_ALL = """
import ast, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
"""

#: The least any analysis of ``ast`` trees can cost in this process model: the tool's own start-up (its imports),
#: reading and parsing every file, and one visit of every node that does nothing. An analysis adds its work per
#: node on top of this; a corpus's bound is only reachable when its floor row (floor3, floor4) leaves room under it.
FLOOR = """
import ast, pathlib, sys
import flake8_mpproxy.frontends.cli  # the start-up every run of the command pays

def visit(node):
    for name in node._fields:
        value = getattr(node, name)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST):
                    visit(item)
        elif isinstance(value, ast.AST):
            visit(value)

for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        visit(ast.parse(path.read_bytes()))
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
    """Rows (whole processes) and their times: wall clock and CPU (user + system of the process and every
    process it waited for, workers included: what a run costs on a machine shared with other work)."""

    def __init__(self, reps: int, work: Path) -> None:
        self.reps = reps
        self.work = work
        self.times: Dict[str, List[Tuple[float, float]]] = {}
        self.commands: Dict[str, Tuple[List[str], Optional[Path], Optional[Dict[str, str]]]] = {}
        self.order: List[str] = []

    def add(self, name: str, command: List[str], fresh_copy_of: Optional[Path] = None,
            env: Optional[Dict[str, str]] = None) -> None:
        """A row; ``fresh_copy_of``: the command changes its tree, so each run gets a new copy (not timed)."""
        self.commands[name] = (command, fresh_copy_of, env)
        self.order.append(name)

    def run_once(self, name: str) -> Tuple[float, float]:
        """One run: (wall seconds, CPU seconds of the whole process tree)."""
        command, source, env = self.commands[name]
        if source is not None:
            target = self.work / "fix-copy"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            if hasattr(os, "sync"):
                os.sync()  # the copy's write-back must not land inside the timed run
            command = [part if part != "{copy}" else str(target) for part in command]
        before = children_cpu()
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(self.work), env=env)
        wall = time.perf_counter() - start
        after = children_cpu()
        return wall, (after - before) if after is not None and before is not None else wall

    def measure(self, names: Sequence[str], reps: Optional[int] = None, warm_up: bool = True) -> None:
        for name in names if warm_up else ():  # warm-up: caches, imports, pyc files
            self.run_once(name)
        for _ in range(reps or self.reps):
            for name in names:  # alternating, so drift hits every row alike
                wall, cpu = self.run_once(name)
                self.times.setdefault(name, []).append((wall, cpu))
                print(f"  {name}: {wall:.3f} s wall, {cpu:.3f} s CPU", file=sys.stderr)

    def median(self, name: str, kind: str = "cpu") -> Optional[float]:
        values = self.times.get(name)
        if not values:
            return None
        return statistics.median(cpu if kind == "cpu" else wall for wall, cpu in values)


def children_cpu() -> Optional[float]:
    """User + system seconds of every child process waited for so far (and of the children they waited for:
    pool workers); None where the platform has no ``resource`` module (then rows fall back to wall time)."""
    if resource is None:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small corpora, one repetition, flake8 rows on 100 files: a smoke test (about a minute)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the fast rows (default 5)")
    parser.add_argument("--flake8-reps", type=int, default=2, help="repetitions of the flake8 rows (default 2)")
    parser.add_argument("--corpus1-files", type=int, default=0,
                        help="standard-library files (default: all; --quick: 300)")
    parser.add_argument("--corpus2-files", type=int, default=1000, help="synthetic files (default 1000)")
    parser.add_argument("--corpus3-files", type=int, default=1000, help="realistic program files (default 1000)")
    parser.add_argument("--corpus4-files", type=int, default=1000,
                        help="recursive-helper program files (default 1000)")
    parser.add_argument("--fix-findings", type=int, default=10000,
                        help="fixable findings in corpus 5's one file (default 10000, --quick: 300; 0: leave "
                             "corpus 5 out)")
    parser.add_argument("--fix-reps", type=int, default=3,
                        help="repetitions of corpus 5's rows (default 3, --quick: 1; fix5 takes about 40 s a run "
                             "at 10,000 findings)")
    parser.add_argument("--per-file-reps", type=int, default=3,
                        help="in-process checks of each file for the per-file cost; the least is kept (default 3, "
                             "--quick: 1)")
    parser.add_argument("--chain-depths", default=",".join(map(str, chains.DEPTHS)),
                        help="call-chain depths, comma-separated (default %(default)s; --quick: 5,9)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="a source checkout of the version to compare with (the folder holding its "
                             "flake8_mpproxy/): adds its realistic-corpus row, chain results and walk counts")
    parser.add_argument("--skip-flake8", action="store_true", help="leave out the slow flake8 rows")
    parser.add_argument("--project-files", type=int, default=2000,
                        help="files of the generated project for the single-file / project cold / warm rows "
                             "(benchmarks/project_tree.py; default 2000, --quick: 200; 0: leave the rows out)")
    parser.add_argument("--project-big", type=int, default=20000,
                        help="files of the larger project for the peak-RSS row (default 20000, --quick: 2000)")
    parser.add_argument("--flake8-files", type=int, default=0,
                        help="run the flake8 rows on the first N files of corpus 1 only (default: all, --quick: "
                             "100; flake8 takes about 80 s per run on the whole standard library with 2 jobs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.flake8_reps = 1, 1
        args.corpus1_files = args.corpus1_files or 300
        args.corpus2_files = min(args.corpus2_files, 120)
        args.corpus3_files = min(args.corpus3_files, 120)
        args.corpus4_files = min(args.corpus4_files, 120)
        args.per_file_reps = 1
        args.fix_findings, args.fix_reps = min(args.fix_findings, 300), 1
        args.flake8_files = args.flake8_files or 100
        args.project_files, args.project_big = min(args.project_files, 200), min(args.project_big, 2000)
        if args.chain_depths == parser.get_default("chain_depths"):
            args.chain_depths = "5,9"
    try:
        args.depths = [int(part) for part in args.chain_depths.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--chain-depths: integers separated by commas, not {args.chain_depths!r}")
    if args.baseline is not None and not (args.baseline / "flake8_mpproxy" / "__init__.py").is_file():
        parser.error(f"--baseline {args.baseline}: no flake8_mpproxy/__init__.py there")
    return args


def baseline_env(baseline: Optional[Path]) -> Optional[Dict[str, str]]:
    """The environment that makes ``python -m flake8_mpproxy`` import the baseline's source (PYTHONPATH comes
    before an editable install's finder)."""
    if baseline is None:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(baseline.resolve()), env.get("PYTHONPATH")]))
    return env


def byte_compile(baseline: Optional[Path]) -> str:
    """Byte-compile the measured versions of flake8-mpproxy, as an installed package is (``pip install``
    compiles it): where PYTHONDONTWRITEBYTECODE is set (CI images, sandboxes) an editable checkout would
    otherwise compile every module at each start (about 40 ms, a twentieth of the standard-library row), a
    cost no installed command pays. Returns the sentence the report prints about it."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("flake8_mpproxy")
    packages = [Path(spec.origin).parent] if spec is not None and spec.origin else []
    if baseline is not None:
        packages.append(baseline / "flake8_mpproxy")
    compiled = all(compileall.compile_dir(str(package), quiet=1) for package in packages)
    state = "byte-compiled" if compiled else "NOT all byte-compiled (see compileall's errors)"
    return f"flake8-mpproxy's modules {state} before timing, as an installed package has them."


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    args.bytecode = byte_compile(args.baseline)
    python = sys.executable
    tool = [python, "-m", "flake8_mpproxy", "-q"]
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="mpp-bench-") as tmp:
        work = Path(tmp)
        corpus1, corpus2, corpus3 = work / "stdlib", work / "synthetic", work / "realistic"
        corpus4 = work / "recursive"
        n1 = stdlib_corpus(corpus1, args.corpus1_files or None)
        n2 = len(generate(corpus2, args.corpus2_files, seed=0))
        planted = realistic.generate(corpus3, args.corpus3_files, seed=0)
        planted4 = recursive.generate(corpus4, args.corpus4_files, seed=0)
        chain_files = chains.generate(work / "chains", args.depths)
        corpus5 = work / "fixable"
        file5 = fixable.generate(corpus5, args.fix_findings) if args.fix_findings > 0 else None
        (work / "parse_all.py").write_text(PARSE_ALL)
        (work / "floor.py").write_text(FLOOR)
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
        bench.add("parse3", [python, str(work / "parse_all.py"), str(corpus3)])
        bench.add("floor3", [python, str(work / "floor.py"), str(corpus3)])
        bench.add("check3 -j1", tool + ["-j1", str(corpus3)])
        bench.add("check3", tool + [str(corpus3)])
        if args.baseline is not None:
            bench.add("check3 -j1 (baseline)", tool + ["-j1", str(corpus3)], env=baseline_env(args.baseline))
        bench.add("parse4", [python, str(work / "parse_all.py"), str(corpus4)])
        bench.add("floor4", [python, str(work / "floor.py"), str(corpus4)])
        bench.add("check4 -j1", tool + ["-j1", str(corpus4)])
        ruff = shutil.which("ruff")
        if ruff:
            bench.add("ruff1", [ruff, "check", "--no-cache", "--exit-zero", "--isolated", str(corpus1)])
            bench.add("ruff3", [ruff, "check", "--no-cache", "--exit-zero", "--isolated", str(corpus3)])
        print(f"corpus 1: {n1} files; corpus 2: {n2} files; corpus 3: {len(planted)} files; "
              f"corpus 4: {len(planted4)} files; measuring the fast rows ...", file=sys.stderr)
        bench.measure(bench.order[:])
        if file5 is not None:
            measure_corpus5(bench, tool, work, file5, args.fix_reps)
        if not args.skip_flake8:
            measure_flake8(bench, flake8, corpus1, work, args)

        rss = peak_rss_kb(tool + [str(corpus1)], work)
        print("checking findings on corpora 3 to 5 and the call chains, counting walks, timing each file ...",
              file=sys.stderr)
        corpora = [("standard library (corpus 1)", sorted(corpus1.rglob("*.py"))), *walk_corpora(corpus2, planted),
                   ("recursive helpers (corpus 4)", [path for path, _ in planted4])]
        checks = Checks(
            labels=realistic_labels(tool, planted, work, None),
            chain_files=chain_files,
            chains=chain_results(tool, chain_files, work, None),
            chains_before=chain_results(tool, chain_files, work, args.baseline) if args.baseline else None,
            walks={name: walk_counts(paths, work, None) for name, paths in corpora[1:]},
            # (not corpus 4 before: versions before values.bounded may not end on it)
            walks_before={name: walk_counts(paths, work, args.baseline)
                          for name, paths in walk_corpora(corpus2, planted)} if args.baseline else None,
            chain_walks=walk_counts([c.path for c in chain_files], work, None),
            labels4=realistic_labels(tool, planted4, work, None),
            fix5=fix_check(tool, file5, args.fix_findings, work) if file5 is not None else None,
            per_file={name: per_file_costs(paths, work, args.per_file_reps) for name, paths in corpora})
        report(bench, (n1, n2, len(planted), len(planted4)), rss, args, checks, (load_before, load_average()))
        if args.project_files:
            print("measuring the project-mode rows (single-file, cold, warm cache, peak RSS) ...", file=sys.stderr)
            rows = project_tree.measure(work / "project", args.project_files, args.project_big or None,
                                        max(1, min(args.reps, 3)))
            print("\n".join(project_tree.report(rows)))
    return 0


def corpus5_rows(tool: List[str], work: Path, file5: Path) -> List[Tuple[str, List[str], Optional[Path]]]:
    """Corpus 5's rows (name, command, the directory each run gets a fresh copy of): the parse-all and floor
    scripts written by :func:`main`, a check and a ``--fix`` of the one file, in process, without the cache."""
    python, corpus5 = sys.executable, file5.parent
    return [("parse5", [python, str(work / "parse_all.py"), str(corpus5)], None),
            ("floor5", [python, str(work / "floor.py"), str(corpus5)], None),
            ("check5 -j1", tool + ["-j1", "--no-cache", str(file5)], None),
            ("fix5", tool + ["--fix", "-j1", "--no-cache", "{copy}"], corpus5)]


def measure_corpus5(bench: Bench, tool: List[str], work: Path, file5: Path, reps: int) -> None:
    """Corpus 5's rows, measured alternately as a group of their own (``fix5`` takes about 40 s a run at 10,000
    findings, so they get ``--fix-reps`` runs, not ``--reps``)."""
    rows = corpus5_rows(tool, work, file5)
    for name, command, fresh in rows:
        bench.add(name, command, fresh_copy_of=fresh)
    print(f"measuring corpus 5 (one file, {file5.stat().st_size / 1e6:.1f} MB) ...", file=sys.stderr)
    bench.measure([name for name, _, _ in rows], reps=reps)


def measure_flake8(bench: Bench, flake8: List[str], corpus1: Path, work: Path, args: argparse.Namespace) -> None:
    """The flake8 rows, with and without our plugin (and bugbear, for comparison), on corpus 1 or its start."""
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


# --- what the tool finds (run once each, not timed) -----------------------------------------------------------

class Checks(NamedTuple):
    """Results of the sections run once: corpus 3 and 4 labels, chains, walk counts, per-file costs."""

    labels: "Labels"
    chain_files: Sequence[chains.Chain]
    chains: Dict[Path, "ChainResult"]
    chains_before: Optional[Dict[Path, "ChainResult"]]
    walks: Dict[str, dict]
    walks_before: Optional[Dict[str, dict]]
    chain_walks: dict
    labels4: Optional["Labels"] = None
    per_file: Optional[Dict[str, dict]] = None
    fix5: Optional["FixCheck"] = None


class FixCheck(NamedTuple):
    """Corpus 5's one file, run once each and not timed: what a check reports, what ``--fix`` leaves, and the
    peak RSS of both (``-j1``, no cache: one process each)."""

    generated: int  # fixable findings written into the file
    reported: int  # findings a check reports
    fixable: int  # ... of them with a safe fix (what --fix applies)
    remaining: int  # findings a check reports on the file --fix wrote
    parses: bool  # the file --fix wrote still parses
    check_rss_kb: int
    fix_rss_kb: int

    @property
    def ok(self) -> bool:
        """Every generated finding reported, fixable, and gone after ``--fix``, which left a file that parses."""
        return self.reported == self.fixable == self.generated and self.remaining == 0 and self.parses


class Labels(NamedTuple):
    """How the findings on a corpus with planted traps (3 or 4) compare with the traps planted in it."""

    planted: int  # files with a planted trap
    planted_ok: int  # ... reported with exactly the expected codes
    clean: int  # files without one
    clean_ok: int  # ... with no finding
    mismatches: List[str]  # "path: expected X, got Y", the first few


class ChainResult(NamedTuple):
    reported: bool  # MPP101 at the bottom of the chain
    warned: bool  # the tool said on stderr that its analysis of this file stopped early


def run_json(tool: List[str], paths: Sequence[Path], work: Path, baseline: Optional[Path]
             ) -> Tuple[List[dict], str]:
    """Findings of one run as JSON records, and its stderr."""
    out = subprocess.run(tool + ["-j2", "--output-format", "json", *map(str, paths)], capture_output=True,
                         text=True, cwd=str(work), env=baseline_env(baseline))
    try:
        return json.loads(out.stdout or "[]"), out.stderr
    except json.JSONDecodeError:
        raise SystemExit(f"benchmark: the tool's JSON output cannot be read: {out.stderr.strip()[:500]}")


def fix_check(tool: List[str], file5: Path, generated: int, work: Path) -> FixCheck:
    """Check corpus 5's file, ``--fix`` a copy of its directory (with the peak RSS of both), check the result."""
    findings, _ = run_json(tool + ["--no-cache"], [file5], work, None)
    copy = work / "fix5-verify"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(file5.parent, copy)
    fix_rss = peak_rss_kb(tool + ["--fix", "-j1", "--no-cache", str(copy)], work)
    fixed = copy / file5.name
    remaining, _ = run_json(tool + ["--no-cache"], [fixed], work, None)
    try:
        ast.parse(fixed.read_bytes())
        parses = True
    except SyntaxError:
        parses = False
    return FixCheck(generated, len(findings), sum(f.get("fix_applicability") == "safe" for f in findings),
                    len(remaining), parses, peak_rss_kb(tool + ["-j1", "--no-cache", str(file5)], work), fix_rss)


def realistic_labels(tool: List[str], planted: Sequence[Tuple[Path, FrozenSet[str]]], work: Path,
                     baseline: Optional[Path]) -> Labels:
    findings, _ = run_json(tool, sorted({path.parent for path, _ in planted}), work, baseline)
    found: Dict[str, Set[str]] = {}
    for finding in findings:
        found.setdefault(os.path.realpath(finding["filename"]), set()).add(finding["code"])
    planted_ok = clean_ok = 0
    mismatches = []
    for path, expected in planted:
        got = found.get(os.path.realpath(path), set())
        if got == expected:
            planted_ok += bool(expected)
            clean_ok += not expected
        elif len(mismatches) < 5:
            mismatches.append(f"{path.relative_to(work)}: expected {sorted(expected) or 'nothing'}, "
                              f"got {sorted(got) or 'nothing'}")
    n_planted = sum(1 for _, expected in planted if expected)
    return Labels(n_planted, planted_ok, len(planted) - n_planted, clean_ok, mismatches)


def chain_results(tool: List[str], chain_files: Sequence[chains.Chain], work: Path, baseline: Optional[Path]
                  ) -> Dict[Path, ChainResult]:
    findings, stderr = run_json(tool, [chain.path for chain in chain_files], work, baseline)
    at = {(os.path.realpath(f["filename"]), f["location"]["row"]) for f in findings if f["code"] == "MPP101"}
    return {chain.path: ChainResult((os.path.realpath(chain.path), chain.line) in at,
                                    any(chain.path.name in line for line in stderr.splitlines()))
            for chain in chain_files}


def walk_corpora(corpus2: Path, planted: Sequence[Tuple[Path, FrozenSet[str]]]) -> List[Tuple[str, List[Path]]]:
    return [("synthetic (corpus 2)", sorted(corpus2.rglob("*.py"))),
            ("realistic (corpus 3)", [path for path, _ in planted])]


def walk_counts(paths: Sequence[Path], work: Path, baseline: Optional[Path]) -> dict:
    """Walks per file, counted by benchmarks/walks.py in a process of its own (see its docstring)."""
    out = subprocess.run([sys.executable, str(HERE / "walks.py")], input="\n".join(map(str, paths)),
                         capture_output=True, text=True, cwd=str(work), env=baseline_env(baseline))
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"source": None, "note": f"walks.py failed: {out.stderr.strip().splitlines()[-1:]}"}


def per_file_costs(paths: Sequence[Path], work: Path, reps: int) -> dict:
    """Per-file CPU time of the analysis, measured by benchmarks/per_file.py in a process of its own (see its
    docstring); ``{"note": why not}`` when it failed."""
    out = subprocess.run([sys.executable, str(HERE / "per_file.py"), "--reps", str(reps)],
                         input="\n".join(map(str, paths)), capture_output=True, text=True, cwd=str(work))
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"note": f"per_file.py failed: {out.stderr.strip().splitlines()[-1:]}"}


class FileCost(NamedTuple):
    """One file's in-process analysis cost."""

    path: str
    ms_per_kloc: float  # CPU milliseconds per 1,000 physical lines
    lines: int


class CorpusCost(NamedTuple):
    """The per-file costs of one corpus: files timed, the corpus's ms per 1,000 lines, its median and worst file,
    and how many files' analysis stopped at its step budget."""

    files: int
    ms_per_kloc: float
    median: float
    worst: FileCost
    stopped: int


#: The per-file target: no file's analysis over this many CPU milliseconds per 1,000 lines.
PER_FILE_BOUND = 20.0


def cost_summary(costs: dict) -> Optional[CorpusCost]:
    """Summarise :func:`per_file_costs` for one corpus; None when no file was timed."""
    files = costs.get("files") or {}
    if not files:
        return None
    per = sorted((entry["cpu"] * 1e6 / entry["lines"], path, entry["lines"]) for path, entry in files.items())
    total = sum(entry["cpu"] for entry in files.values()) * 1e6 / sum(entry["lines"] for entry in files.values())
    worst = per[-1]
    return CorpusCost(len(per), total, statistics.median(value for value, _, _ in per),
                      FileCost(worst[1], worst[0], worst[2]), sum(bool(e["stopped"]) for e in files.values()))


def walk_summary(counts: dict) -> Optional[Tuple[float, float, int]]:
    """(module walks per analysed file, unit walks per unit, most module walks of one file), or None."""
    files = [entry for entry in (counts.get("files") or {}).values() if entry["modules"] or entry["units"]]
    if not files:
        return None
    units = sum(entry["unit_count"] for entry in files) or 1
    return (sum(entry["modules"] for entry in files) / len(files), sum(entry["units"] for entry in files) / units,
            max(entry["modules"] for entry in files))


def load_average() -> str:
    try:
        return "/".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


# --- the report --------------------------------------------------------------------------------------------------

def report(bench: Bench, sizes: Tuple[int, int, int, int], rss_kb: int, args: argparse.Namespace,
           checks: Checks, loads: Tuple[str, str]) -> None:
    n1, n2, n3, n4 = sizes
    print(f"# flake8-mpproxy benchmark, {datetime.date.today().isoformat()}")
    print(f"CPU: {cpu_name()} ({os.cpu_count()} cores); load average (1/5/15 min) {loads[0]} at the start, "
          f"{loads[1]} at the end; Python {platform.python_version()}; "
          f"flake8-mpproxy {version_of('flake8-mpproxy')}, flake8 {version_of('flake8')}, "
          f"flake8-bugbear {version_of('flake8-bugbear') or 'not installed'}, "
          f"ruff {version_of('ruff') or 'not installed'}")
    subset = f" (flake8 rows: its first {args.flake8_files} files)" if args.flake8_files else ""
    print(f"corpus 1: standard library, {n1} files{subset}; corpus 2: synthetic, {n2} files; corpus 3: realistic "
          f"programs, {n3} files; corpus 4: programs with recursive helpers, {n4} files; corpus 5: one file with "
          f"{args.fix_findings} fixable findings; medians of {args.reps} runs ({args.flake8_reps} for flake8 rows, "
          f"{args.fix_reps} for corpus 5's), after a warm-up run each. CPU = user + system time of the "
          f"whole process tree (workers included). "
          f"{getattr(args, 'bytecode', '')}\n")
    print("| row | CPU median (s) | wall median (s) |")
    print("|---|---|---|")
    for name in bench.order:
        cpu, wall = bench.median(name), bench.median(name, "wall")
        print(f"| {name} | {cpu:.3f} | {wall:.3f} |" if cpu is not None and wall is not None
              else f"| {name} | not run | not run |")
    if not shutil.which("ruff"):
        print("| ruff1 | not installed | |")
    print(f"\npeak RSS of `flake8-mpproxy` on corpus 1: {rss_kb / 1024:.1f} MiB\n")
    if checks.fix5 is not None:
        report_fix5(checks.fix5)
    report_labels(checks.labels)
    if checks.labels4 is not None:
        report_labels(checks.labels4, "recursive-helper corpus")
    report_chains(checks)
    report_walks(checks)
    report_per_file(checks, args.per_file_reps)
    report_targets(bench, checks)


def report_labels(labels: Labels, corpus: str = "realistic corpus") -> None:
    print(f"{corpus}: {labels.planted_ok} of {labels.planted} files with a planted trap reported with "
          f"exactly the expected codes; {labels.clean_ok} of {labels.clean} correct files with no finding")
    for line in labels.mismatches:
        print(f"  {line}")
    print()


def report_fix5(fix: FixCheck) -> None:
    print(f"corpus 5 (one file, {fix.generated} fixable findings generated): {fix.reported} reported, "
          f"{fix.fixable} of them fixable with --fix; after --fix {fix.remaining} remain and the file "
          f"{'parses' if fix.parses else 'does NOT parse'}; peak RSS: check5 -j1 {fix.check_rss_kb / 1024:.1f} MiB, "
          f"fix5 {fix.fix_rss_kb / 1024:.1f} MiB\n")


def report_chains(checks: Checks) -> None:
    print("call chains (benchmarks/chains.py): is the MPP101 at the bottom of the chain reported?\n")
    before = " before (--baseline) |" if checks.chains_before is not None else ""
    print(f"| depth | order | reported |{before} module walks | unit walks / units |")
    print(f"|---|---|---|{'---|' if before else ''}---|---|")
    files = checks.chain_walks.get("files") or {}
    for chain in sorted(checks.chain_files, key=lambda chain: (chains.ORDERS.index(chain.order), chain.depth)):
        entry = files.get(str(chain.path))
        walks = (f"{entry['modules']} | {entry['units']} / {entry['unit_count']}" if entry else "n/a | n/a")
        shown = f"| {chain.depth} | {chain.order} | {verdict(checks.chains[chain.path])} |"
        if checks.chains_before is not None:
            shown += f" {verdict(checks.chains_before[chain.path])} |"
        print(f"{shown} {walks} |")
    print()


def verdict(result: ChainResult) -> str:
    return "yes" if result.reported else "no, with a warning" if result.warned else "LOST (no warning)"


def report_walks(checks: Checks) -> None:
    print("walks per file (benchmarks/walks.py: each file checked alone, in-process, with -j1)\n")
    sections = [("this tree", checks.walks)]
    if checks.walks_before is not None:
        sections.insert(0, ("before (--baseline)", checks.walks_before))
    notes = []
    print("| corpus | version | module walks per file | unit walks per unit | most module walks | counted by |")
    print("|---|---|---|---|---|---|")
    for version, per_corpus in sections:
        for corpus, counts in per_corpus.items():
            summary = walk_summary(counts)
            if summary is None:
                notes.append(f"{corpus}, {version}: not measured: {counts.get('note', 'no file was analysed')}")
                continue
            print(f"| {corpus} | {version} | {summary[0]:.2f} | {summary[1]:.2f} | {summary[2]} | "
                  f"{counts['source']} |")
    for note in notes:
        print(f"  {note}")
    print()


def report_per_file(checks: Checks, reps: int) -> None:
    print(f"per-file cost (benchmarks/per_file.py: check_source of each file the prefilter lets through, in one "
          f"process, CPU time, the least of {reps} run(s); ms per 1,000 lines)\n")
    print("| corpus | files timed | all files | median file | worst file | its ms per 1,000 lines | its lines | "
          "stopped at the budget |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for corpus, costs in (checks.per_file or {}).items():
        summary = cost_summary(costs)
        if summary is None:
            notes.append(f"{corpus}: not measured: {costs.get('note', 'no file passed the prefilter')}")
            continue
        print(f"| {corpus} | {summary.files} | {summary.ms_per_kloc:.1f} | {summary.median:.1f} | "
              f"{short_path(summary.worst.path)} | {summary.worst.ms_per_kloc:.1f} | {summary.worst.lines} | "
              f"{summary.stopped} |")
    for note in notes:
        print(f"  {note}")
    print()


def short_path(path: str) -> str:
    """A timed file's path from its corpus directory on (``recursive/rec006/x.py``), not the temporary root."""
    parts = Path(path).parts
    for index, part in enumerate(parts):
        if part.startswith("mpp-bench-"):
            return "/".join(parts[index + 1:])
    return path


def per_file_targets(checks: Checks) -> List[Tuple[str, str, str, Optional[bool]]]:
    """The per-file target (no file over :data:`PER_FILE_BOUND` ms per 1,000 lines) and the step-budget count."""
    summaries = [s for s in map(cost_summary, (checks.per_file or {}).values()) if s is not None]
    if not summaries:
        return [(f"no file over {PER_FILE_BOUND:.0f} ms per 1,000 lines (in process)", "n/a",
                 f"<= {PER_FILE_BOUND:.0f}", False)]
    worst = max((s.worst for s in summaries), key=lambda cost: cost.ms_per_kloc)
    stopped = sum(s.stopped for s in summaries)
    timed = sum(s.files for s in summaries)
    return [(f"no file over {PER_FILE_BOUND:.0f} ms per 1,000 lines (corpora 1 to 4, in process; worst file)",
             f"{worst.ms_per_kloc:.1f} ({short_path(worst.path)}, {worst.lines} lines)", f"<= {PER_FILE_BOUND:.0f}",
             worst.ms_per_kloc <= PER_FILE_BOUND),
            ("files whose analysis stopped at its step budget (corpora 1 to 4)", f"{stopped} of {timed}", "0",
             stopped == 0)]


#: Corpus 5's bounds: CPU milliseconds per fix, peak RSS of --fix over that of a check, check over its floor.
FIX_MS_BOUND, FIX_RSS_BOUND, CHECK5_FLOOR_BOUND = 1.0, 5.0, 2.0


def corpus5_targets(bench: Bench, fix: FixCheck) -> List[Tuple[str, str, str, Optional[bool]]]:
    """Corpus 5's targets: CPU per fix, peak RSS of ``--fix`` against a check, the check against its floor, and
    whether every generated finding was reported, fixable and fixed."""
    fix_cpu, check5, floor5, parse5 = (bench.median(name) for name in ("fix5", "check5 -j1", "floor5", "parse5"))
    per_fix = fix_cpu * 1000 / fix.generated if fix_cpu is not None else None
    fixing_alone = (fix_cpu - check5) * 1000 / fix.generated if fix_cpu is not None and check5 is not None else None
    rss = fix.fix_rss_kb / fix.check_rss_kb if fix.check_rss_kb else None
    floor_ratio = check5 / floor5 if check5 is not None and floor5 else None
    parse_ratio = check5 / parse5 if check5 is not None and parse5 else None

    def shown(value: Optional[float], unit: str = "") -> str:
        return f"{value:.2f}{unit}" if value is not None else "n/a"

    return [
        (f"CPU per fix (fix5 / N, N = {fix.generated})", shown(per_fix, " ms"), f"< {FIX_MS_BOUND:.0f} ms",
         per_fix is not None and per_fix < FIX_MS_BOUND),
        ("CPU per fix beyond the check ((fix5 - check5 -j1) / N), for comparison", shown(fixing_alone, " ms"),
         "(none)", None),
        ("peak RSS of fix5 / check5 (corpus 5, -j1)", shown(rss, "x"), f"< {FIX_RSS_BOUND:.0f}x",
         rss is not None and rss < FIX_RSS_BOUND),
        ("check of the big file at most 2x the floor (check5 -j1 / floor5)", shown(floor_ratio, "x"),
         f"<= {CHECK5_FLOOR_BOUND:.0f}x", floor_ratio is not None and floor_ratio <= CHECK5_FLOOR_BOUND),
        ("check5 -j1 / parse5, for comparison", shown(parse_ratio, "x"), "(none)", None),
        ("corpus 5 findings reported / fixable / gone after --fix", f"{fix.reported} / {fix.fixable} / "
         f"{fix.reported - fix.remaining} of {fix.generated}", "all", fix.ok)]


def report_targets(bench: Bench, checks: Checks) -> None:
    m = bench.median
    targets: List[Tuple[str, str, str, Optional[bool]]] = []

    def ratio(a: str, b: str, kind: str = "cpu") -> Optional[float]:
        x, y = m(a, kind), m(b, kind)
        return x / y if x is not None and y else None

    def target(label: str, value: Optional[float], bound: str, ok: Callable[[float], bool]) -> None:
        if value is None and bound == "(none)":
            return  # a comparison row whose runs were not made (no bugbear, no ruff, no --baseline)
        shown = f"{value:.2f}" if value is not None else "n/a"
        targets.append((label, shown, bound, None if bound == "(none)" else value is not None and ok(value)))

    target("flake8+MPP / flake8 (corpus 1, -j2)", ratio("flake8+MPP", "flake8"), "<= 1.03", lambda v: v <= 1.03)
    target("flake8+MPP / flake8 (corpus 1, -j1)", ratio("flake8+MPP -j1", "flake8 -j1"), "<= 1.03",
           lambda v: v <= 1.03)
    target("flake8+bugbear / flake8 (corpus 1), for comparison", ratio("flake8+bugbear", "flake8"), "(none)",
           lambda v: True)
    target("check / parse-all (corpus 1, standard library, default run)", ratio("check1", "parse1"), "<= 0.13",
           lambda v: v <= 0.13)
    target("check / ruff check (corpus 1)", ratio("check1", "ruff1"), "< 1.00", lambda v: v < 1.0)
    target("check -j1 / parse-all (corpus 3, realistic, manager-heavy)", ratio("check3 -j1", "parse3"), "<= 1.50",
           lambda v: v <= 1.5)
    target("floor / parse-all (corpus 3): start-up, parse, one no-op visit of every node", ratio("floor3", "parse3"),
           "(none)", lambda v: True)
    target("check -j1 / floor (corpus 3)", ratio("check3 -j1", "floor3"),
           "(none)", lambda v: True)
    target("recursive-helper corpus at most 1.5x the floor (check -j1 / floor, corpus 4)",
           ratio("check4 -j1", "floor4"), "<= 1.50", lambda v: v <= 1.5)
    target("floor / parse-all (corpus 4)", ratio("floor4", "parse4"), "(none)", lambda v: True)
    target("check -j1 / parse-all (corpus 4), for comparison", ratio("check4 -j1", "parse4"), "(none)",
           lambda v: True)
    target("check -j1 / parse-all (corpus 3), before (--baseline)", ratio("check3 -j1 (baseline)", "parse3"),
           "(none)", lambda v: True)
    target("check -j1 / ruff check (corpus 3), for comparison", ratio("check3 -j1", "ruff3"), "(none)",
           lambda v: True)
    target("check -j1 / parse-all (corpus 2, synthetic)", ratio("check2 -j1", "parse2"), "<= 1.50",
           lambda v: v <= 1.5)
    target("--fix with nothing to fix / check (corpus 1)", ratio("fix1 nothing", "check1"), "<= 1.05",
           lambda v: v <= 1.05)
    target("-j1 / -j2 (corpus 2), wall time", ratio("check2 -j1", "check2 -j2", "wall"), ">= 1.70",
           lambda v: v >= 1.7)
    n_chains = len(checks.chains)
    reported = sum(result.reported for result in checks.chains.values())
    targets.append(("call chains reported (every depth and order)", f"{reported} of {n_chains}", "all",
                    reported == n_chains))
    labels = checks.labels
    ok = labels.planted_ok + labels.clean_ok
    targets.append(("realistic files reported as planted", f"{ok} of {labels.planted + labels.clean}", "all",
                    ok == labels.planted + labels.clean))
    if checks.labels4 is not None:
        labels = checks.labels4
        ok = labels.planted_ok + labels.clean_ok
        targets.append(("recursive-helper files reported as planted", f"{ok} of {labels.planted + labels.clean}",
                        "all", ok == labels.planted + labels.clean))
    targets.extend(per_file_targets(checks))
    if checks.fix5 is not None:
        targets.extend(corpus5_targets(bench, checks.fix5))
    print("ratios in CPU time unless the row says otherwise\n")
    print("| target | measured | bound | |")
    print("|---|---|---|---|")
    for label, shown, bound, met in targets:
        print(f"| {label} | {shown} | {bound} | {'' if met is None else 'met' if met else 'NOT met'} |")


if __name__ == "__main__":
    sys.exit(main())
