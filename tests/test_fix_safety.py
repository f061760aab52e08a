"""The fixer never claims more than it did: unsafe moves it must refuse, convergence, honest counts, and
MPP301 as the fixer's own check (a fixed program has no read-modify-write that may race)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flake8_mpproxy.pipeline.analysis import check_source
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.fixer import fix_source
from flake8_mpproxy.model.source import decode

ROOT = Path(__file__).resolve().parent.parent
FIX_DIR = ROOT / "fixtures" / "fix"

SCRIPT = '''from multiprocessing import Manager, Process

manager = Manager()
shared = manager.dict()


def work(d):
    d["x"] = 1


if __name__ == "__main__":
    p = Process(target=work, args=(shared,))
    p.start()
    p.join()
'''


def command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=cwd, capture_output=True,
                          text=True)


def mpp201(path: Path):
    source = decode(str(path), path.read_bytes())
    return [f for f in check_source(source, Settings()) if f.code == "MPP201"]


def test_guard_move_refused_in_package_init(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(SCRIPT)
    (finding,) = mpp201(package / "__init__.py")
    assert finding.applicability == "none" and "__init__.py" in finding.message
    result = command("--fix", "--unsafe-fixes", "pkg/__init__.py", cwd=tmp_path)
    assert (package / "__init__.py").read_text() == SCRIPT
    assert "more with --fix --unsafe-fixes" not in result.stdout + result.stderr


def test_guard_move_refused_in_a_module_others_import(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "state.py").write_text(SCRIPT)
    (tmp_path / "app" / "main.py").write_text("from .state import shared\n")
    (finding,) = mpp201(tmp_path / "app" / "state.py")
    assert finding.applicability == "none" and "app/main.py" in finding.message
    (tmp_path / "app" / "main.py").write_text("print('no import')\n")
    (finding,) = mpp201(tmp_path / "app" / "state.py")
    assert finding.applicability == "unsafe"


def test_guard_move_refused_when_code_left_behind_uses_a_moved_name(tmp_path):
    program = SCRIPT.replace('if __name__ == "__main__":', 'for key in "ab":\n    shared[key] = 0\n\n\n'
                             'if __name__ == "__main__":')
    path = tmp_path / "script.py"
    path.write_text(program)
    (finding,) = mpp201(path)
    assert finding.applicability == "none" and "'shared' is used by module-level code" in finding.message
    command("--fix", "--unsafe-fixes", str(path), cwd=tmp_path)
    assert path.read_text() == program


def test_guard_move_takes_along_module_level_calls_that_read_a_moved_name(tmp_path):
    program = SCRIPT.replace('if __name__ == "__main__":', 'def setup():\n    shared["ready"] = True\n\n\n'
                             'setup()\n\nif __name__ == "__main__":')
    path = tmp_path / "script.py"
    path.write_text(program)
    command("--fix", "--unsafe-fixes", str(path), cwd=tmp_path)
    fixed = path.read_text()
    guard = fixed.index('if __name__ == "__main__":')
    assert fixed.index("    setup()") > guard and fixed.index("    manager = Manager()") > guard
    assert "\nsetup()" not in fixed


def test_an_unconverging_fix_leaves_the_file_and_says_so(monkeypatch):
    from flake8_mpproxy import fixer
    source = decode("t.py", (FIX_DIR / "reassign_three_statements.py").read_bytes())
    findings = check_source(source, Settings())

    def never_settles(text, wanted, style, check=None):
        return text + "\n", list(wanted), fixer.Edits()

    monkeypatch.setattr(fixer, "apply_round", never_settles)
    result = fix_source(source, findings, Settings())
    assert result.error is not None and "did not converge" in result.error
    assert result.text == source.text and not result.fixed


def test_fixed_counts_only_the_findings_that_are_gone(tmp_path):
    path = tmp_path / "t.py"
    path.write_bytes((FIX_DIR / "concurrent_lock.py").read_bytes())
    result = command("--fix", str(path), cwd=tmp_path)
    assert "Fixed 3 findings in 1 file; 0 remain" in result.stdout
    path.write_bytes((FIX_DIR / "concurrent_refused.py").read_bytes())
    result = command("--fix", str(path), cwd=tmp_path)
    assert "Fixed 0 findings" in result.stdout and "1 remain" in result.stdout and result.returncode == 1


@pytest.mark.parametrize("case", sorted(FIX_DIR.glob("*.fixed.py")), ids=lambda p: p.name)
def test_fixed_programs_have_no_racy_read_modify_write(case):
    """MPP301 checks the fixer: every read-modify-write it wrote is a single writer's or holds a lock."""
    source = decode(str(case), case.read_bytes())
    original = decode(str(case), case.with_name(case.name.replace(".fixed", "")).read_bytes())
    before = {(f.line, f.code) for f in check_source(original, Settings(extend_select=("MPP301",)))}
    after = [f for f in check_source(source, Settings(extend_select=("MPP301",))) if f.code == "MPP301"]
    assert len(after) <= len([code for _, code in before if code == "MPP301"]), [f.text for f in after]


def test_mpp301_flags_the_reassign_form_where_writers_race():
    racy = (FIX_DIR / "concurrent_refused.py").read_text().replace('d["k"].append(worker * 100 + i)  # MPP101',
                                                                  'd["k"] += [worker * 100 + i]')
    source = decode("t.py", racy.encode())
    codes = [f.code for f in check_source(source, Settings(extend_select=("MPP301",)))]
    assert codes == ["MPP301"]


def test_no_nested_form_for_an_augmented_assignment_where_writers_race(tmp_path):
    """Found by the property test: d[k][j] += 1 on a nested proxy is still two round trips."""
    from .test_fix_property import Shape, program

    shape = Shape(writers=4, start="loop", form="aug", lock=True, init_known=True, style="auto", method="fork")
    path = tmp_path / "generated.py"
    path.write_text(program(shape))
    command("--isolated", "--fix", "--fix-style", "auto", str(path), cwd=tmp_path)
    fixed = path.read_text()
    assert "with lock:" in fixed and 'd["k"] = {"n": 0}' in fixed


def test_guard_move_refused_when_the_import_scan_stops_early(tmp_path, monkeypatch):
    """A tree too large to read to the end cannot show that nobody imports the module: no move, and it says so."""
    from flake8_mpproxy.project import scan as projectscan
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for number in range(3):
        (tmp_path / f"other{number}.py").write_text("x = 1\n")
    (tmp_path / "script.py").write_text(SCRIPT)
    monkeypatch.setattr(projectscan, "MAX_FILES", 2)
    (finding,) = mpp201(tmp_path / "script.py")
    assert finding.applicability == "none" and "was not checked" in finding.message


@pytest.mark.parametrize("importer", [
    "from app import (\n    state,  # the manager lives there\n)\n",
    "from app import other, \\\n    state\n",
    "import importlib\n\nstate = importlib.import_module('app.state')\n",
])
def test_guard_move_refused_whichever_way_another_module_imports_this_one(tmp_path, importer):
    """The refusal reads the project scan's imports (the solver's): continued lines and literal import_module."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "other.py").write_text("")
    (tmp_path / "app" / "state.py").write_text(SCRIPT)
    (tmp_path / "main.py").write_text(importer)
    (finding,) = mpp201(tmp_path / "app" / "state.py")
    assert finding.applicability == "none" and "other modules import this one (main.py)" in finding.message
    (tmp_path / "main.py").write_text("import importlib\n\nstate = importlib.import_module(name)\n")
    (finding,) = mpp201(tmp_path / "app" / "state.py")
    assert finding.applicability == "unsafe"
