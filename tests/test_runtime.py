"""The fixtures prove the rules: run under real multiprocessing (spawn, fork, and the interpreter's default,
which is forkserver on Linux from 3.14), flagged programs lose their data (or fail), clean ones keep it.

Headers (fixtures/README.md): ``# runtime: lost | kept | error | crash-under-spawn``, ``# wants: <literal>``
(what a correct program prints), ``# kept: a, b`` (a ``lost`` program with several cases: the keys of
``wants`` its unflagged lines do keep; every other key must differ), ``# runtime-before: 3.14`` (the runtime
claim holds on older Pythons only: from that version on the operation exists and the program keeps its data),
``# target-version: py314`` (written for that Python: not run on older ones) and ``# timeout: <seconds>``
(default 60).
"""

from __future__ import annotations

import ast

import pytest

from .programs import (DEFAULT, FIXTURES, NO_STATE, START_METHODS, default_start_method, expected_findings, header,
                       kept_keys, program_library, programs, reaches_target, run_program, runnable, runs_here,
                       skip_without_libraries, timeout_of)

RUNNABLE = [p for p in programs() if runnable(p) and p.parent.name != "fix"]  # fix/: test_fixer runs those


def assert_lost_case_by_case(path, state, wants) -> None:
    """A ``lost`` program with several cases (a dict STATE) loses every case not listed in ``# kept:``."""
    if not isinstance(wants, dict):
        return
    assert isinstance(state, dict) and set(state) == set(wants), "STATE and wants name different cases"
    same = {str(key) for key in wants if state[key] == wants[key]}
    assert same == kept_keys(path), f"cases kept: {sorted(same)}; '# kept:' says {sorted(kept_keys(path))}"


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS + [DEFAULT])
@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_program_behaves_as_its_header_says(path, method, tmp_path):
    if not reaches_target(path):
        pytest.skip(f"written for Python {header(path, 'target-version')}")
    skip_without_libraries(path)
    effective = default_start_method(module=program_library(path)) if method == DEFAULT else method
    if method == DEFAULT and effective in START_METHODS:
        pytest.skip(f"the default start method of {program_library(path)} here is {effective}, run already")
    behaviour = header(path, "runtime")
    wants = ast.literal_eval(header(path, "wants"))
    status, state = run_program(path, method, tmp_path, timeout=timeout_of(path))
    shown = "no STATE line" if state is NO_STATE else f"STATE {state!r}"
    context = f"exit status {status}, {shown}; stderr:\n{(tmp_path / 'stderr.txt').read_text()[-2000:]}"
    if not runs_here(path):  # the operation exists on this Python: the program works
        assert (status, state) == (0, wants), context
    elif behaviour == "kept":
        assert (status, state) == (0, wants), context
    elif behaviour == "lost":
        assert status == 0 and state is not NO_STATE and state != wants, context
        assert_lost_case_by_case(path, state, wants)
    elif behaviour == "error":
        assert status != 0, context
    elif effective in ("spawn", "forkserver"):  # crash-under-spawn: both re-import the main module
        assert status != 0 or state != wants, context
    else:  # crash-under-spawn, under fork: it runs, and keeps its data unless an MPP1xx finding loses it anyway
        assert status == 0 and state is not NO_STATE, context
        if loses_data_anyway(path):
            assert state != wants, context
        else:
            assert state == wants, context


def loses_data_anyway(path) -> bool:
    """An MPP1xx finding (a change to a copy) loses data under every start method."""
    return any(code.startswith("MPP1") for _, code, _ in expected_findings(path))


# --- the API table (flake8_mpproxy.engine.values) against the running interpreter ------------------------------------

PROBE = """
import multiprocessing.managers as managers
from multiprocessing import Manager

def attempt(make):
    try:
        make()
        return True
    except Exception:
        return False

if __name__ == "__main__":
    with Manager() as m:
        made = {"list": lambda: m.list([1]), "dict": lambda: m.dict(a=1), "lock": m.Lock}
        calls = {
            ("list", "clear"): lambda p: p.clear(), ("list", "copy"): lambda p: p.copy(),
            ("dict", "__or__"): lambda p: p | {}, ("dict", "__ror__"): lambda p: {} | p,
            ("dict", "__reversed__"): lambda p: list(reversed(p)), ("dict", "fromkeys"): lambda p: p.fromkeys("x"),
            ("lock", "locked"): lambda p: p.locked(),
        }
        def ior(p):
            p |= {}
        calls[("dict", "__ior__")] = ior
        works = {f"{kind}.{method}": attempt(lambda: call(made[kind]())) for (kind, method), call in calls.items()}
        works.update({f"typeid.{typeid}": attempt(getattr(m, typeid, None)) for typeid in ("set",)})
        works["SetProxy"] = hasattr(managers, "SetProxy")
        print("STATE:", works)
"""


@pytest.mark.runtime
def test_api_table_matches_this_python(tmp_path):
    """Each entry of the API table works on this interpreter exactly when it is at least the entry's version,
    and every entry is probed (so a new entry needs a probe here, and a run on the Pythons CI covers)."""
    import sys

    from flake8_mpproxy.engine.values import PROXY_METHODS_SINCE, PROXY_TYPE_SINCE, TYPEID_SINCE

    program = tmp_path / "probe.py"
    program.write_text(PROBE)
    status, state = run_program(program, "spawn", tmp_path)
    assert status == 0, (tmp_path / "stderr.txt").read_text()
    works = state
    table = {f"{kind}.{method}": since for kind, methods in PROXY_METHODS_SINCE.items()
             for method, since in methods.items()}
    table.update({f"typeid.{typeid}": since for typeid, since in TYPEID_SINCE.items()})
    table.update(PROXY_TYPE_SINCE)
    assert set(works) == set(table)
    here = tuple(sys.version_info[:2])
    assert works == {entry: here >= since for entry, since in table.items()}
