"""The fixtures prove the rules: run under real multiprocessing (spawn and fork), flagged programs lose their
data (or fail), clean ones keep it."""

from __future__ import annotations

import ast

import pytest

from .programs import FIXTURES, NO_STATE, START_METHODS, header, programs, run_program

RUNNABLE = [p for p in programs() if header(p, "runtime") and p.parent.name != "fix"]


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_program_behaves_as_its_header_says(path, method, tmp_path):
    behaviour = header(path, "runtime")
    wants = ast.literal_eval(header(path, "wants"))
    status, state = run_program(path, method, tmp_path)
    if behaviour == "kept":
        assert (status, state) == (0, wants)
    elif behaviour == "lost":
        assert status == 0 and state is not NO_STATE and state != wants
    elif behaviour == "error":
        assert status != 0
    elif method == "spawn":  # crash-under-spawn
        assert status != 0 or state != wants
    else:
        assert status == 0 and state is not NO_STATE
