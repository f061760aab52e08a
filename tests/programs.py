"""Fixture programs: their inline expectations, and running them under a chosen start method.

Markers (see fixtures/README.md): a trailing ``# MPP101`` (several codes, optional ``:col``) on a line expects
those findings there; ``# expect: no findings`` says none; ``# select: MPP301`` selects opt-in codes;
``# runtime: lost|kept|error|crash-under-spawn`` with ``# wants: <literal>`` describes what running it shows.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MARKER = re.compile(r"#((?:\s+MPP\d{3}(?::\d+)?)+)\s*$")
SITECUSTOMIZE = (
    "import multiprocessing, os\n"
    "if os.environ.get('MPP_START_METHOD'):\n"
    "    multiprocessing.set_start_method(os.environ['MPP_START_METHOD'], force=True)\n"
)
START_METHODS = ["spawn", "fork"] if sys.platform != "win32" else ["spawn"]
NO_STATE = object()  # the program printed no STATE line


def programs(group: Optional[str] = None) -> List[Path]:
    """Every fixture program (not the expected outputs of the fixer, ``*.fixed.py``)."""
    base = FIXTURES / group if group else FIXTURES
    return sorted(p for p in base.rglob("*.py") if not p.name.endswith(".fixed.py"))


def header(path: Path, name: str) -> Optional[str]:
    match = re.search(rf"^# {name}: (.*)$", path.read_text(encoding="utf-8"), re.M)
    return match.group(1).strip() if match else None


def expected_findings(path: Path) -> Set[Tuple[int, str, Optional[int]]]:
    """(line, code, 1-based column or None) for each marker."""
    expected = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = MARKER.search(line)
        if match:
            for item in match.group(1).split():
                code, _, col = item.partition(":")
                expected.add((number, code, int(col) if col else None))
    return expected


def selected(path: Path) -> Tuple[str, ...]:
    return tuple((header(path, "select") or "").replace(",", " ").split())


def run_program(path: Path, method: str, workdir: Path, timeout: float = 60) -> Tuple[int, object]:
    """Run ``path`` under ``method``; its exit status and the literal on its last ``STATE:`` line.

    A run that outlives ``timeout`` (a spawn loop) is killed with its whole process group: status -9.
    """
    site = workdir / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(os.environ, PYTHONPATH=str(site), MPP_START_METHOD=method)
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=str(workdir), start_new_session=True, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return -9, NO_STATE
    states = [line[len("STATE:"):].strip() for line in out.splitlines() if line.startswith("STATE:")]
    return proc.returncode, ast.literal_eval(states[-1]) if states else NO_STATE
