"""The fixer, driven by fixtures/fix: each NAME.py is fixed to exactly NAME.fixed.py (written by hand), the fix
is idempotent, keeps every byte it does not mean to change, and the fixed program keeps its data at run time."""

from __future__ import annotations

import ast
import multiprocessing
import re
from pathlib import Path
from typing import Optional, Tuple

import pytest

from flake8_mpproxy.pipeline.analysis import check_source
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.fixer import encode, fix_source
from flake8_mpproxy.model.source import decode

from .programs import START_METHODS, run_program, runs_here, skip_without_libraries

ROOT = Path(__file__).resolve().parent.parent
FIX_DIR = ROOT / "fixtures" / "fix"
CASES = sorted(p for p in FIX_DIR.glob("*.py") if not p.name.endswith(".fixed.py"))


def header(path: Path, name: str) -> Optional[str]:
    match = re.search(rf"^# {name}: (.*)$", path.read_text(encoding="utf-8"), re.M)
    return match.group(1).strip() if match else None


def options(path: Path) -> Tuple[bool, str]:
    words = (header(path, "fix") or "").split()
    style = words[words.index("--fix-style") + 1] if "--fix-style" in words else "reassign"
    return "--unsafe-fixes" in words, style


def fix_bytes(raw: bytes, unsafe: bool = False, style: str = "reassign", path: str = "t.py") -> bytes:
    source = decode(path, raw)
    result = fix_source(source, check_source(source, Settings()), Settings(), unsafe=unsafe, style=style)
    assert result.error is None, result.error
    return encode(result.text, source) if result.changed else raw


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_gives_the_hand_written_result(case):
    unsafe, style = options(case)
    expected = case.with_name(case.stem + ".fixed.py").read_bytes()
    assert fix_bytes(case.read_bytes(), unsafe, style) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_is_idempotent(case):
    unsafe, style = options(case)
    fixed = case.with_name(case.stem + ".fixed.py").read_bytes()
    assert fix_bytes(fixed, unsafe, style) == fixed


def test_every_fix_form_has_a_fixture():
    styles = {options(case) for case in CASES}
    assert (True, "reassign") in styles and (False, "nested") in styles
    names = " ".join(case.name for case in CASES)
    for form in ("reassign", "writeback", "replace", "nested", "guard", "not_fixable"):
        assert form in names


# --- bytes the fix does not mean to change ------------------------------------------------------------------

BAD = 'from multiprocessing import Manager\n\n\ndef f(d):\n\td["k"].append(1)  # keep me\t\n\n\nif __name__ == "__main__":\n\twith Manager() as m:\n\t\td = m.dict()\n\t\td["k"] = []\n\t\tf(d)\n'


def test_crlf_tabs_and_trailing_whitespace_survive():
    raw = BAD.replace("\n", "\r\n").encode()
    fixed = fix_bytes(raw)
    assert fixed == raw.replace(b'd["k"].append(1)', b'd["k"] += [1]')


def test_bom_survives():
    raw = b"\xef\xbb\xbf" + BAD.encode()
    assert fix_bytes(raw) == raw.replace(b'd["k"].append(1)', b'd["k"] += [1]')


def test_latin1_cookie_survives():
    raw = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD).encode("latin-1")
    fixed = fix_bytes(raw)
    assert fixed == raw.replace(b'd["k"].append(1)', b'd["k"] += [1]')
    assert b"caf\xe9" in fixed


def test_non_ascii_columns_are_mapped():
    raw = BAD.replace('d["k"]', 'd["ké"]').encode()
    assert fix_bytes(raw) == raw.replace('d["ké"].append(1)'.encode(), 'd["ké"] += [1]'.encode())


def test_file_without_fixable_findings_is_untouched():
    raw = (FIX_DIR / "not_fixable.py").read_bytes()
    source = decode("x.py", raw)
    result = fix_source(source, check_source(source, Settings()), Settings(), unsafe=True)
    assert not result.changed and result.text == source.text and len(result.remaining) == 4


def test_unsafe_forms_need_unsafe_fixes():
    raw = (FIX_DIR / "guard_seed.py").read_bytes()
    source = decode("x.py", raw)
    result = fix_source(source, check_source(source, Settings()), Settings(), unsafe=False)
    assert sorted(f.code for f in result.remaining) == ["MPP201", "MPP202"]
    assert "manager = Manager()  # MPP201\n" in result.text  # still at module level


def test_every_output_parses():
    for case in CASES:
        unsafe, style = options(case)
        ast.parse(fix_bytes(case.read_bytes(), unsafe, style))


# --- runtime: the fixed programs keep their data ------------------------------------------------------------

RUNNABLE = [case for case in CASES if header(case, "wants") is not None]
#: The fixed programs also run under forkserver (Linux's default from Python 3.14), where available.
FIX_METHODS = START_METHODS + (["forkserver"] if "forkserver" in multiprocessing.get_all_start_methods() else [])


@pytest.mark.runtime
@pytest.mark.parametrize("method", FIX_METHODS)
@pytest.mark.parametrize("case", RUNNABLE, ids=lambda p: p.name)
def test_original_loses_and_fixed_keeps_the_data(case, method, tmp_path):
    skip_without_libraries(case)
    wants = ast.literal_eval(header(case, "wants"))
    behaviour = header(case, "runtime")
    status, state = run_program(case, method, tmp_path)
    if not runs_here(case):  # ``# runtime-before:``: on this Python the original works too
        assert (status, state) == (0, wants)
    elif behaviour == "lost":
        assert status == 0 and state != wants
    elif behaviour == "error":
        assert status != 0
    elif behaviour == "crash-under-spawn" and method == "spawn":
        assert status != 0 or state != wants
    unsafe, style = options(case)
    fixed = tmp_path / case.name
    fixed.write_bytes(fix_bytes(case.read_bytes(), unsafe, style))
    left = [f.code for f in check_source(decode(str(fixed), fixed.read_bytes()), Settings()) if f.code < "MPP2"]
    status, state = run_program(fixed, method, tmp_path)
    if left:  # a fix refused (writers may race): the finding stays, and the data is still lost
        assert header(case, "fixed") == "keeps its findings" and status == 0 and state != wants
    else:  # never fixed-and-lossy
        assert (status, state) == (0, wants)
