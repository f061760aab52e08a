"""The fixtures prove the rules: run under real multiprocessing (spawn and fork), flagged programs lose their
data (or fail), clean ones keep it.

Headers (fixtures/README.md): ``# runtime: lost | kept | error | crash-under-spawn``, ``# wants: <literal>``
(what a correct program prints), ``# kept: a, b`` (a ``lost`` program with several cases: the keys of
``wants`` its correct lines do keep; every other key must differ) and ``# runtime-before: 3.14`` (the runtime
claim holds on older Pythons only, e.g. ``ListProxy.clear()`` exists from 3.14 on).
"""

from __future__ import annotations

import ast
import sys

import pytest

from .programs import FIXTURES, NO_STATE, START_METHODS, header, programs, run_program

RUNNABLE = [p for p in programs() if header(p, "runtime") and p.parent.name != "fix"]


def kept_keys(path) -> set:
    return {key.strip() for key in (header(path, "kept") or "").split(",") if key.strip()}


def runs_here(path) -> bool:
    """False when ``# runtime-before: X.Y`` says the runtime claim is not true on this Python."""
    before = header(path, "runtime-before")
    return before is None or sys.version_info[:2] < tuple(int(part) for part in before.split("."))


def assert_lost_case_by_case(path, state, wants) -> None:
    """A ``lost`` program with several cases (a dict STATE) loses every one not listed in ``# kept:``."""
    if not (isinstance(wants, dict) and isinstance(state, dict)):
        return
    assert set(state) == set(wants), "STATE and wants name different cases"
    same = {str(key) for key in wants if state[key] == wants[key]}
    assert same == kept_keys(path), f"cases kept: {sorted(same)}, header says: {sorted(kept_keys(path))}"


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_program_behaves_as_its_header_says(path, method, tmp_path):
    if not runs_here(path):
        pytest.skip(f"runtime claim holds before Python {header(path, 'runtime-before')} only")
    behaviour = header(path, "runtime")
    wants = ast.literal_eval(header(path, "wants"))
    status, state = run_program(path, method, tmp_path)
    if behaviour == "kept":
        assert (status, state) == (0, wants)
    elif behaviour == "lost":
        assert status == 0 and state is not NO_STATE and state != wants
        assert_lost_case_by_case(path, state, wants)
    elif behaviour == "error":
        assert status != 0
    elif method == "spawn":  # crash-under-spawn
        assert status != 0 or state != wants
    else:
        assert status == 0 and state is not NO_STATE
