"""Fixture programs: their inline expectations, and running them under a chosen start method.

Markers (see fixtures/README.md): a trailing ``# MPP101`` (several codes, optional ``:col``) on a line expects
those findings there; ``# expect: no findings`` says none; ``# select: MPP301`` selects opt-in codes;
``# runtime: lost|kept|error|crash-under-spawn`` with ``# wants: <literal>`` describes what running it shows
(``# kept:``, ``# runtime-before:``, ``# timeout:`` refine it).

The runner waits for the program itself, not for its output pipe. A program can exit while a manager process
it leaked still holds stdout open (a module-level fork-context manager re-created in a spawned child on
Python 3.9, or in the forkserver on every version); waiting for the pipe would hang until the timeout and lose
the STATE line the program did print. Here stdout goes to a file, and whatever is left of the program's process
group after it exits (or times out) is killed, so no run leaks processes into the next.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MARKER = re.compile(r"#((?:\s+MPP\d{3}(?::\d+)?)+)\s*$")
#: Forces the start method of multiprocessing and of the libraries named in ``MPP_LIBRARIES`` (each keeps its
#: own: ``multiprocess.set_start_method``, ``billiard.set_start_method``). The libraries' in the program only:
#: a spawned billiard child sets the method its parent sends without ``force`` and fails when it is already set.
SITECUSTOMIZE = (
    "import importlib, multiprocessing, os\n"
    "if os.environ.get('MPP_START_METHOD'):\n"
    "    multiprocessing.set_start_method(os.environ['MPP_START_METHOD'], force=True)\n"
    "    for name in filter(None, os.environ.pop('MPP_LIBRARIES', '').split(',')):\n"
    "        importlib.import_module(name).set_start_method(os.environ['MPP_START_METHOD'], force=True)\n"
)
START_METHODS = ["spawn", "fork"] if sys.platform != "win32" else ["spawn"]
#: "default" runs a program with no start method forced: what users get (forkserver on Linux from 3.14).
DEFAULT = "default"
NO_STATE = object()  # the program printed no STATE line


def programs(group: Optional[str] = None) -> List[Path]:
    """Every fixture program (not the expected outputs of the fixer, ``*.fixed.py``)."""
    base = FIXTURES / group if group else FIXTURES
    projects = FIXTURES / "projects"  # multi-module projects: tests/test_projects.py checks them whole
    return sorted(p for p in base.rglob("*.py") if not p.name.endswith(".fixed.py")
                  and (group == "projects" or projects not in p.parents))


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


BEHAVIOURS = ("lost", "kept", "error", "crash-under-spawn")
DEFAULT_TIMEOUT = 60.0


def runnable(path: Path) -> bool:
    """Has a ``# runtime:`` header (fixer inputs under fix/ are run by the fixer tests instead)."""
    return header(path, "runtime") is not None


def kept_keys(path: Path) -> Set[str]:
    """``# kept: a, b``: the cases (keys of a dict STATE) a ``lost`` program does keep."""
    return {key.strip() for key in (header(path, "kept") or "").split(",") if key.strip()}


def runs_here(path: Path, version: Tuple[int, ...] = tuple(sys.version_info[:2])) -> bool:
    """False when ``# runtime-before: X.Y`` says the runtime claim does not hold on this Python."""
    before = header(path, "runtime-before")
    return before is None or version < tuple(int(part) for part in before.split("."))


def libraries_used(path: Path) -> List[str]:
    """The libraries of :data:`flake8_mpproxy.model.mpapi.LIBRARIES` other than the standard module that ``path``
    imports (``import billiard``, ``from multiprocess import Pool``, ``import torch.multiprocessing``)."""
    from flake8_mpproxy.model.mpapi import STANDARD, library_of

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        names += [f"{node.module}.{alias.name}" for alias in node.names] \
            if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for name in names:
            library = library_of(name)
            if library is not None and library is not STANDARD:
                found.add(library.module)
    return sorted(found)


#: Library releases that cannot run a fixture at all: billiard before 4.3 (the last for Python 3.9 is 4.2.4)
#: reads the main module's name from ``__spec__``, which a script does not have, so a spawned child never
#: loads the script and cannot find any target defined there (AttributeError: Can't get attribute 'f' on
#: <module '__main__' (built-in)>; measured with 4.2.4 on 3.9 and on 3.11).
BROKEN_BEFORE: Dict[str, Tuple[Tuple[int, ...], str]] = {
    "billiard": ((4, 3), "its spawned children never load the main script"),
}


def missing_libraries(path: Path) -> List[str]:
    """The libraries ``path`` imports that are not installed here (torch never is: it is huge)."""
    return [name for name in libraries_used(path) if importlib.util.find_spec(name.partition(".")[0]) is None]


def broken_libraries(path: Path) -> List[str]:
    """The installed libraries ``path`` imports whose release is in :data:`BROKEN_BEFORE`, with the reason."""
    from importlib.metadata import version

    found = []
    for name in libraries_used(path):
        if name in BROKEN_BEFORE and importlib.util.find_spec(name) is not None:
            since, why = BROKEN_BEFORE[name]
            installed = version(name)
            if tuple(int(part) for part in re.findall(r"\d+", installed)[:len(since)]) < since:
                found.append(f"{name} {installed} (before {'.'.join(map(str, since))} {why})")
    return found


def skip_without_libraries(path: Path) -> None:
    """Skip the running test of a program whose library is not installed (billiard, multiprocess: the ``test``
    extra installs them where they support the Python), or is a release that cannot run it."""
    import pytest

    missing = missing_libraries(path)
    if missing:
        pytest.skip(f"{', '.join(missing)} is not installed: {path.name} cannot run")
    broken = broken_libraries(path)
    if broken:
        pytest.skip(f"{', '.join(broken)}: {path.name} cannot run")


def timeout_of(path: Path) -> float:
    return float(header(path, "timeout") or DEFAULT_TIMEOUT)


def parse_state(output: str) -> object:
    """The literal on the last ``STATE:`` line, or NO_STATE."""
    states = [line[len("STATE:"):].strip() for line in output.splitlines() if line.startswith("STATE:")]
    return ast.literal_eval(states[-1]) if states else NO_STATE


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # nothing left of the group
        pass


def run_program(path: Path, method: str, workdir: Path, timeout: Optional[float] = None,
                python: str = sys.executable) -> Tuple[int, object]:
    """Run ``path`` with ``multiprocessing.set_start_method(method)`` forced by a sitecustomize (children
    inherit it through PYTHONPATH), or with none forced for ``DEFAULT``; its exit status and the literal on its
    last ``STATE:`` line. The libraries it imports (:func:`libraries_used`) get the same start method.

    A program that outlives ``timeout`` (a spawn loop, a join that never returns) is killed with its whole
    process group and reports status -9 (with the STATE it printed, if any).
    """
    site = workdir / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    # the program's manager sockets and temporary folders (pymp-*) go to a folder removed after the run; a
    # short one (/tmp/mpp-...): a Unix socket path has at most 107 bytes
    scratch = tempfile.mkdtemp(prefix="mpp-")
    env = dict(os.environ, PYTHONPATH=str(site), MPP_START_METHOD="" if method == DEFAULT else method,
               MPP_LIBRARIES=",".join(libraries_used(path)), PYTHONDONTWRITEBYTECODE="1", TMPDIR=scratch)
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([python, str(path)], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=str(workdir), start_new_session=sys.platform != "win32")
        try:
            status = proc.wait(timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            status = -9
            if sys.platform == "win32":  # pragma: no cover
                proc.kill()
            else:
                _kill_group(proc.pid)
            proc.wait()
        finally:
            if sys.platform != "win32":
                _kill_group(proc.pid)  # what the program leaked: managers, resource trackers, forkservers
            shutil.rmtree(scratch, ignore_errors=True)
    return status, parse_state(out_path.read_text(encoding="utf-8", errors="replace"))


def target_of(path: Path) -> Tuple[int, int]:
    """The target Python of a fixture: its ``# target-version: pyXY`` header, else what the command resolves
    for it (this repository's ``requires-python``)."""
    from flake8_mpproxy.model.config import resolve_target_version

    return resolve_target_version(header(path, "target-version"), [str(path)])


def reaches_target(path: Path, version: Tuple[int, ...] = tuple(sys.version_info[:2])) -> bool:
    """A program written for a newer Python than this one (``# target-version: py314``) does not run here."""
    return version >= target_of(path)


_DEFAULT_METHOD: Dict[Tuple[str, str], str] = {}


def default_start_method(python: str = sys.executable, module: str = "multiprocessing") -> str:
    """The start method a fresh interpreter uses when a program sets none (fork on Linux through 3.13,
    forkserver from 3.14, spawn on macOS and Windows); ``module``: a library's own (multiprocess and billiard
    keep their own context, fork on Linux)."""
    if (python, module) not in _DEFAULT_METHOD:
        out = subprocess.run([python, "-c", f"import {module}; print({module}.get_start_method())"],
                             capture_output=True, text=True, check=True).stdout
        _DEFAULT_METHOD[(python, module)] = out.strip()
    return _DEFAULT_METHOD[(python, module)]


def program_library(path: Path) -> str:
    """The module whose processes the program starts: the library it imports, else multiprocessing."""
    return (libraries_used(path) or ["multiprocessing"])[0]
