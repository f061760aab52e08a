"""The fixtures prove the rules: run under real multiprocessing (spawn and fork), flagged programs lose their
data (or fail), clean ones keep it.

Headers (fixtures/README.md): ``# runtime: lost | kept | error | crash-under-spawn``, ``# wants: <literal>``
(what a correct program prints), ``# kept: a, b`` (a ``lost`` program with several cases: the keys of
``wants`` its unflagged lines do keep; every other key must differ), ``# runtime-before: 3.14`` (the runtime
claim holds on older Pythons only: ``ListProxy.clear()`` and ``DictProxy |=`` exist from 3.14 on) and
``# timeout: <seconds>`` (default 60).
"""

from __future__ import annotations

import ast

import pytest

from .programs import (FIXTURES, NO_STATE, START_METHODS, expected_findings, header, kept_keys, programs,
                              run_program, runnable, runs_here, timeout_of)

RUNNABLE = [p for p in programs() if runnable(p) and p.parent.name != "fix"]  # fix/: test_fixer runs those


def assert_lost_case_by_case(path, state, wants) -> None:
    """A ``lost`` program with several cases (a dict STATE) loses every case not listed in ``# kept:``."""
    if not isinstance(wants, dict):
        return
    assert isinstance(state, dict) and set(state) == set(wants), "STATE and wants name different cases"
    same = {str(key) for key in wants if state[key] == wants[key]}
    assert same == kept_keys(path), f"cases kept: {sorted(same)}; '# kept:' says {sorted(kept_keys(path))}"


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_program_behaves_as_its_header_says(path, method, tmp_path):
    if not runs_here(path):
        pytest.skip(f"the runtime claim holds before Python {header(path, 'runtime-before')} only")
    behaviour = header(path, "runtime")
    wants = ast.literal_eval(header(path, "wants"))
    status, state = run_program(path, method, tmp_path, timeout=timeout_of(path))
    shown = "no STATE line" if state is NO_STATE else f"STATE {state!r}"
    context = f"exit status {status}, {shown}; stderr:\n{(tmp_path / 'stderr.txt').read_text()[-2000:]}"
    if behaviour == "kept":
        assert (status, state) == (0, wants), context
    elif behaviour == "lost":
        assert status == 0 and state is not NO_STATE and state != wants, context
        assert_lost_case_by_case(path, state, wants)
    elif behaviour == "error":
        assert status != 0, context
    elif method == "spawn":  # crash-under-spawn
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
