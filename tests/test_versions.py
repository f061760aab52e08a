"""The target Python: where it comes from (option, configuration, requires-python, the interpreter), and what
depends on it (MPP107, SyncManager.set()). End to end through the command and flake8, on files in tmp_path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flake8_mpproxy.model.targets import lowest_admitted, parse_target

CLEAR = ("from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as m:\n"
         "        l = m.list([1])\n        l.clear()\n")
NESTED_SET = ("from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as m:\n"
              "        d = m.dict()\n        d['seen'] = m.set()\n        d['seen'].add(1)\n"
              "        print(sorted(d['seen']))\n")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=str(cwd), capture_output=True,
                          text=True)


def codes(result: subprocess.CompletedProcess):
    return [line.split()[1] for line in result.stdout.splitlines() if ": MPP" in line]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text(CLEAR)
    return tmp_path


# --- the option and its defaults ---------------------------------------------------------------------------

@pytest.mark.parametrize("target, found", [("py39", ["MPP107"]), ("py313", ["MPP107"]), ("py314", []),
                                           ("py315", [])])
def test_mpp107_follows_the_target_version(project, target, found):
    result = run("--target-version", target, "app.py", cwd=project)
    assert codes(result) == found
    assert result.returncode == (1 if found else 0)


def test_message_names_the_version_and_the_target(project):
    result = run("--target-version", "py312", "app.py", cwd=project)
    assert "before Python 3.14 (the target is 3.12)" in result.stdout


@pytest.mark.parametrize("requires, found", [(">=3.9", ["MPP107"]), (">=3.13,<4", ["MPP107"]),
                                             ("~=3.14.1", []), (">=3.14", []), (">=3.7", ["MPP107"])])
def test_default_is_the_lowest_python_requires_python_admits(project, requires, found):
    (project / "pyproject.toml").write_text(f'[project]\nname = "app"\nrequires-python = "{requires}"\n')
    assert codes(run("app.py", cwd=project)) == found
    assert codes(run(".", cwd=project)) == found


def test_requires_python_is_read_from_the_nearest_pyproject_above_the_path(project):
    (project / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.14"\n')
    sub = project / "pkg"
    sub.mkdir()
    (sub / "mod.py").write_text(CLEAR)
    assert codes(run("pkg/mod.py", cwd=project)) == []
    (sub / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.10"\n')
    assert codes(run("pkg/mod.py", cwd=project)) == ["MPP107"]


def test_configuration_beats_requires_python_and_the_command_line_beats_both(project):
    (project / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.9"\n\n'
                                           '[tool.flake8-mpproxy]\ntarget-version = "py314"\n')
    assert codes(run("app.py", cwd=project)) == []
    assert codes(run("--target-version", "py313", "app.py", cwd=project)) == ["MPP107"]


def test_without_pyproject_the_running_interpreter_is_the_target(project):
    assert not any((folder / "pyproject.toml").is_file() for folder in [project, *project.parents])
    expected = [] if sys.version_info >= (3, 14) else ["MPP107"]
    assert codes(run("app.py", cwd=project)) == expected


def test_isolated_reads_no_requires_python(project):
    (project / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.14"\n')
    expected = [] if sys.version_info >= (3, 14) else ["MPP107"]
    assert codes(run("--isolated", "app.py", cwd=project)) == expected


@pytest.mark.parametrize("args, pyproject, error", [
    (["--target-version", "py38"], None, "--target-version: error: expected one of py39,"),
    (["--target-version", "3.14"], None, "--target-version: error: expected one of py39,"),
    ([], '[tool.flake8-mpproxy]\ntarget-version = 314\n', "target-version must be a string"),
    ([], '[project]\nrequires-python = "newest"\n', "requires-python: cannot read the clause 'newest'"),
    ([], '[project]\nrequires-python = ">=3.9,<3.8"\n', "admits no Python version"),
])
def test_bad_target_is_a_one_line_error(project, args, pyproject, error):
    if pyproject is not None:
        (project / "pyproject.toml").write_text(pyproject)
    result = run(*args, "app.py", cwd=project)
    assert result.returncode == 2
    assert error in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize("spec, lowest", [
    (">=3.9", (3, 9)), (">3.9", (3, 9)), (">=3.10, <4", (3, 10)), ("~=3.10.2", (3, 10)), ("~=3.11", (3, 11)),
    ("==3.12.*", (3, 12)), (">=2.7, !=3.0.*", (2, 7)), ("!=3.9.*, >=3.9", (3, 10)), ("<3.12,>=3.11.4", (3, 11)),
    (">=3.14.0rc1", (3, 14)), ("==3.13.1", (3, 13)),
])
def test_lowest_admitted_version(spec, lowest):
    assert lowest_admitted(spec) == lowest


def test_target_names():
    assert parse_target("py39") == (3, 9) and parse_target("py315") == (3, 15)
    with pytest.raises(ValueError):
        parse_target("py316")


# --- SyncManager.set(): a proxy on every target, an error before 3.14 ---------------------------------------

def test_nested_set_proxy_is_a_proxy_not_a_copy(tmp_path):
    (tmp_path / "app.py").write_text(NESTED_SET)
    assert codes(run("--target-version", "py314", "app.py", cwd=tmp_path)) == []
    result = run("--target-version", "py313", "app.py", cwd=tmp_path)
    assert codes(result) == ["MPP107"] and ":6:21: MPP107 m.set() is not supported by SyncManager 'm'" in result.stdout


def test_fix_leaves_code_that_uses_a_nested_set_proxy_alone(tmp_path):
    (tmp_path / "app.py").write_text(NESTED_SET)
    for target in ("py313", "py314"):
        result = run("--fix", "--target-version", target, "app.py", cwd=tmp_path)
        assert (tmp_path / "app.py").read_text() == NESTED_SET, result.stdout


def test_a_set_typeid_the_file_registers_is_not_syncmanagers(tmp_path):
    (tmp_path / "app.py").write_text(
        "from multiprocessing.managers import SyncManager\n\nclass Mine(SyncManager):\n    pass\n\n"
        "Mine.register('set', set)\n\nif __name__ == '__main__':\n    with Mine() as m:\n        s = m.set()\n")
    assert codes(run("--target-version", "py39", "app.py", cwd=tmp_path)) == []


def test_set_proxy_annotation_is_a_proxy(tmp_path):
    (tmp_path / "app.py").write_text(
        "from multiprocessing.managers import DictProxy, SetProxy\n\n\ndef f(d: DictProxy, s: SetProxy):\n"
        "    d['k'] = s\n    d['k'].add(1)\n    s |= {2}\n")
    assert codes(run("--target-version", "py39", "app.py", cwd=tmp_path)) == []


# --- flake8 ----------------------------------------------------------------------------------------------------

def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", "--select", "MPP", *args], cwd=str(cwd),
                          capture_output=True, text=True)


def test_flake8_option_config_and_requires_python(project):
    assert "MPP107" in flake8("--mpproxy-target-version", "py313", "app.py", cwd=project).stdout
    assert flake8("--mpproxy-target-version", "py314", "app.py", cwd=project).stdout == ""
    (project / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.14"\n')
    assert flake8("app.py", cwd=project).stdout == ""
    (project / ".flake8").write_text("[flake8]\nmpproxy-target-version = py312\n")
    assert "MPP107" in flake8("app.py", cwd=project).stdout


def test_flake8_bad_target_is_one_line(project):
    result = flake8("--mpproxy-target-version", "py27", "app.py", cwd=project)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "flake8-mpproxy: error: --mpproxy-target-version: error: expected one of py39, py310, py311, py312, py313, "
        "py314, py315, got 'py27'"]


# --- what the package says it supports ---------------------------------------------------------------------

def test_classifiers_and_requires_python_name_the_supported_targets():
    from flake8_mpproxy.model.config import _toml_loads
    from flake8_mpproxy.engine.values import NEWEST_TARGET, OLDEST_TARGET

    project = _toml_loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    versions = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
                if c.startswith("Programming Language :: Python :: 3.")]
    assert versions == [f"3.{minor}" for minor in range(OLDEST_TARGET[1], NEWEST_TARGET[1] + 1)]
    assert lowest_admitted(project["requires-python"]) == OLDEST_TARGET
