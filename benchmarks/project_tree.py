"""A generated project for the project-mode rows (issue 11 "Cost"): packages of 20 modules, 2 of which use
managers (a realistic program from benchmarks/realistic.py plus a proxy passed to a worker module), 1 worker
module that receives the proxy without importing multiprocessing, and 17 plain modules importing each other.

    python benchmarks/project_tree.py --files 2000 --big 20000 --reps 3
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realistic  # noqa: E402

PACKAGE_SIZE = 20
CROSS = '''

import multiprocessing as _mp
from {package}.workers import record_{index}


def cross_main_{index}():
    """The proxy crosses into workers.py, which never imports multiprocessing."""
    with _mp.Manager() as manager:
        shared = manager.dict({{"k": []}})
        child = _mp.Process(target=record_{index}, args=(shared, "k", {index}))
        child.start()
        child.join()
        return dict(shared)
'''
WORKER = '''

def record_{index}(shared, key, value):
    shared[key].append(norm_{first}(value))
'''
PLAIN = '''"""Plain module {index}: no manager anywhere."""
from {package}.plain_{other} import helper_{other}


def helper_{index}(value):
    total = 0
    for item in range(value % 7):
        total += helper_{other}(item) if item % 3 == 0 else item
    return total


def norm_{index}(value):
    return value * 2 + {index}
'''


def generate(dest: Path, n_files: int, seed: int = 0) -> Tuple[int, int]:
    """Write the tree (a project: it has a pyproject.toml); returns (files, files that use managers)."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "pyproject.toml").write_text("[project]\nname = 'tree'\n")
    written = managers = 0
    for number in range(max(1, n_files // PACKAGE_SIZE)):
        package = f"pkg{number:04}"
        folder = dest / package
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        plain = list(range(2, PACKAGE_SIZE - 1))
        for index in plain:
            other = plain[(plain.index(index) + 1) % len(plain)]
            (folder / f"plain_{index}.py").write_text(PLAIN.format(index=index, other=other, package=package))
        worker = f"from {package}.plain_{plain[0]} import norm_{plain[0]}\n"
        for index in (0, 1):
            text, _ = realistic.program(rng, number * 2 + index, 0.35)
            (folder / f"main_{index}.py").write_text(text + CROSS.format(package=package, index=index))
            worker += WORKER.format(index=index, first=plain[0])
        (folder / "workers.py").write_text(worker)
        written += PACKAGE_SIZE + 1
        managers += 2
    return written, managers


def cpu_of(command: List[str], cwd: Path) -> float:
    """User + system seconds of ``command`` and everything it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


MAXRSS = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
          "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_rss_kb(command: List[str], cwd: Path) -> int:
    out = subprocess.run([sys.executable, "-c", MAXRSS, *command], capture_output=True, text=True, cwd=cwd)
    return int(out.stdout.strip() or 0)


def summarised(cache: Path) -> int:
    """Modules whose call summaries the run computed (one cache record each)."""
    count = 0
    for entry in cache.rglob("*.json"):
        try:
            count += json.loads(entry.read_text()).get("kind") == "summaries"
        except ValueError:
            pass
    return count


def measure(work: Path, n_files: int, big: Optional[int], reps: int) -> Dict[str, object]:
    """The rows: CPU of single-file mode, project mode cold (no cache) and warm (cache, nothing changed),
    and peak RSS with the number of modules summarised for the tree and (``big``) a larger one."""
    tool = [sys.executable, "-m", "flake8_mpproxy", "-q", "--exit-zero"]
    tree = work / "tree"
    files, managers = generate(tree, n_files)
    rows: Dict[str, List[float]] = {"single": [], "cold": [], "warm": []}
    cpu_of(tool + ["--no-project", "--no-cache", "."], tree)  # warm-up (file system cache, .pyc files)
    cpu_of(tool + ["."], tree)  # fills the cache for the warm rows
    for _ in range(reps):
        rows["single"].append(cpu_of(tool + ["--no-project", "--no-cache", "."], tree))
        rows["cold"].append(cpu_of(tool + ["--no-cache", "."], tree))
        rows["warm"].append(cpu_of(tool + ["."], tree))
    result: Dict[str, object] = {"files": files, "managers": managers,
                                 **{name: statistics.median(values) for name, values in rows.items()}}
    memory = []
    for size, folder in [(n_files, tree)] + ([(big, work / "big")] if big else []):
        if folder != tree:
            generate(folder, size, seed=1)
        cache = work / f"cache-{size}"
        rss = peak_rss_kb(tool + ["--cache-dir", str(cache), "."], folder)
        memory.append((sum(1 for _ in folder.rglob("*.py")), rss, summarised(cache)))
    result["memory"] = memory
    return result


def report(result: Dict[str, object]) -> List[str]:
    single, cold, warm = (float(result[k]) for k in ("single", "cold", "warm"))  # type: ignore[arg-type]
    lines = [f"project tree: {result['files']} files, {result['managers']} use managers",
             f"| row | CPU (s) | / single-file |", "|---|---|---|",
             f"| single-file mode (--no-project) | {single:.3f} | 1.00 |",
             f"| project mode, cold (--no-cache) | {cold:.3f} | {cold / single:.2f} (target <= 1.2: "
             f"{'met' if cold <= 1.2 * single else 'NOT met'}) |",
             f"| project mode, warm (cache, nothing changed) | {warm:.3f} | {warm / single:.2f} (target <= 0.1: "
             f"{'met' if warm <= 0.1 * single else 'NOT met'}) |",
             "", "| tree (files) | peak RSS (MB) | modules summarised | KB per summarised module |", "|---|---|---|---|"]
    for files, rss, summaries in result["memory"]:  # type: ignore[attr-defined]
        per = f"{rss / summaries:.0f}" if summaries else "-"
        lines.append(f"| {files} | {rss / 1024:.0f} | {summaries} | {per} |")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--big", type=int, default=20000, help="the larger tree for the memory row (0: none)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 files, a 2,000-file memory tree, one repetition")
    args = parser.parse_args(argv)
    if args.quick:
        args.files, args.big, args.reps = 200, 2000, 1
    with tempfile.TemporaryDirectory(prefix="mpp-tree-") as tmp:
        print("\n".join(report(measure(Path(tmp), args.files, args.big or None, args.reps))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
