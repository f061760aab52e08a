"""Command-line habits of ruff and flake8 users, each run as the real command on files in tmp_path:
configuration per file, per-file ignores, --config KEY=VALUE, --show-settings/--show-files, .gitignore,
--force-exclude, --stdin-filename, --exit-zero, --output-file and colour."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "seed.py"
CLEAN = ROOT / "fixtures" / "seed" / "corrected_pass_proxy.py"


def run(*args: str, cwd: Path, stdin: str = None, env: dict = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=str(cwd), input=stdin,
                          capture_output=True, text=True, env=environ)


def found(result: subprocess.CompletedProcess) -> list:
    """``(path, code)`` of each finding line."""
    return [(line.split(":")[0], line.split()[1]) for line in result.stdout.splitlines() if ": MPP" in line]


def project(tmp_path: Path, files: dict) -> Path:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            shutil.copy(SEED, target)
        else:
            target.write_text(text)
    return tmp_path


def test_each_file_gets_its_nearest_configuration_whatever_the_argument_order(tmp_path):
    project(tmp_path, {
        "pyproject.toml": '[tool.flake8-mpproxy]\nignore = ["MPP2"]\n',
        "a/seed.py": None,
        "b/pyproject.toml": '[tool.flake8-mpproxy]\nselect = ["MPP2"]\n',
        "b/seed.py": None,
        "c/pyproject.toml": '[project]\nname = "c"\n',  # no table: must not hide the one above
        "c/seed.py": None,
    })
    expected = [("a/seed.py", "MPP101"), ("b/seed.py", "MPP201"), ("b/seed.py", "MPP202"), ("c/seed.py", "MPP101")]
    assert found(run("a/seed.py", "b/seed.py", "c/seed.py", cwd=tmp_path)) == expected
    assert found(run("c/seed.py", "b/seed.py", "a/seed.py", cwd=tmp_path)) == expected
    assert sorted(found(run("b", "a", cwd=tmp_path))) == expected[:3]


def test_a_bad_code_names_the_pyproject_and_the_other_files_are_still_checked(tmp_path):
    project(tmp_path, {"good/seed.py": None, "bad/seed.py": None,
                       "bad/pyproject.toml": '[tool.flake8-mpproxy]\nextend-select = ["MPP999"]\n'})
    result = run(".", cwd=tmp_path)
    assert result.returncode == 2
    bad = tmp_path / "bad" / "pyproject.toml"
    assert result.stderr.strip() == f"{bad}: error: extend-select: unknown code 'MPP999'"
    assert {path for path, _ in found(result)} == {"./good/seed.py"}


@pytest.mark.parametrize("table", ["tool.flake8_mpproxy", "tool.flake8mpproxy", "tool.Flake8-MPProxy",
                                   "tool.flake8.mpproxy"])
def test_a_misspelled_table_is_a_warning_naming_the_file(tmp_path, table):
    project(tmp_path, {"pyproject.toml": '[tool.flake8-mpproxy]\nignore = ["MPP1"]\n',
                       "sub/pyproject.toml": f'[{table}]\nignore = ["MPP2"]\n', "sub/seed.py": None})
    result = run("sub", cwd=tmp_path)
    written = table[len("tool."):]
    assert result.stderr == (f"{tmp_path / 'sub' / 'pyproject.toml'}: warning: [tool.{written}] is not read: "
                             "the table is spelled [tool.flake8-mpproxy]\n")
    # not read, so it does not hide the table above (as before): the files get that one's settings
    assert found(result) == [("sub/seed.py", "MPP201"), ("sub/seed.py", "MPP202")]


def test_no_warning_for_a_pyproject_that_only_mentions_the_tool(tmp_path):
    project(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["flake8-mpproxy"]\n'
                                         '[tool.flake8]\nmax-line-length = 99\n', "seed.py": None})
    result = run(".", cwd=tmp_path)
    assert result.stderr == "" and len(found(result)) == 3


def test_a_config_file_without_the_table_is_an_error_naming_it(tmp_path):
    project(tmp_path, {"other.toml": '[project]\nname = "x"\n', "typo.toml": '[tool.flake8_mpproxy]\nselect = []\n',
                       "seed.py": None})
    result = run("--config", "other.toml", "seed.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"{tmp_path / 'other.toml'}: error: no [tool.flake8-mpproxy] table (a --config file "
                             "must have one)\n")
    typo = run("--config", "typo.toml", "seed.py", cwd=tmp_path)
    assert typo.returncode == 2 and typo.stderr.endswith(
        "must have one); [tool.flake8_mpproxy] is not read: the table is spelled [tool.flake8-mpproxy]\n")
    (tmp_path / "good.toml").write_text('[tool.flake8-mpproxy]\nselect = ["MPP1"]\n')
    assert found(run("--config", "good.toml", "seed.py", cwd=tmp_path)) == [("seed.py", "MPP101")]


def test_per_file_ignores_in_pyproject_and_on_the_command_line(tmp_path):
    project(tmp_path, {"tests/test_x.py": None, "src/seed.py": None, "pyproject.toml":
                       '[tool.flake8-mpproxy.per-file-ignores]\n"tests/*" = ["MPP2"]\n"seed.py" = ["MPP101"]\n'})
    assert found(run(".", cwd=tmp_path)) == [
        ("./src/seed.py", "MPP201"), ("./src/seed.py", "MPP202"), ("./tests/test_x.py", "MPP101")]
    flake8_form = run(".", "--per-file-ignores", "tests/*:MPP101,MPP201 src/seed.py:MPP2", cwd=tmp_path)
    assert found(flake8_form) == [("./src/seed.py", "MPP101"), ("./tests/test_x.py", "MPP202")]
    assert run(".", "--per-file-ignores", "x.py:NOPE1", cwd=tmp_path).returncode == 2
    before = (tmp_path / "src" / "seed.py").read_text()
    assert run("--fix", "src/seed.py", cwd=tmp_path).returncode == 1  # MPP101 is ignored there: not fixed
    assert (tmp_path / "src" / "seed.py").read_text() == before
    assert run("--fix", "tests/test_x.py", cwd=tmp_path).returncode == 0
    assert "d[1] += [4]" in (tmp_path / "tests" / "test_x.py").read_text()


def test_config_key_value_overrides_every_file(tmp_path):
    project(tmp_path, {"seed.py": None, "pyproject.toml": '[tool.flake8-mpproxy]\nselect = ["MPP1"]\n'})
    assert found(run("seed.py", cwd=tmp_path)) == [("seed.py", "MPP101")]
    assert found(run("seed.py", "--config", 'select = ["MPP201"]', cwd=tmp_path)) == [("seed.py", "MPP201")]
    result = run("seed.py", "--config", "selcet = 1", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("--config: error: unknown key 'selcet'")
    other = project(tmp_path / "elsewhere", {"cfg.toml": '[tool.flake8-mpproxy]\nselect = ["MPP202"]\n'})
    assert found(run("seed.py", "--config", str(other / "cfg.toml"), cwd=tmp_path)) == [("seed.py", "MPP202")]


def test_show_settings_and_show_files(tmp_path):
    project(tmp_path, {"pkg/seed.py": None, "pkg/gen/x.py": "x = 1\n", "pyproject.toml":
                       '[tool.flake8-mpproxy]\nextend-exclude = ["gen"]\nextend-select = ["MPP301"]\n'})
    shown = run("--show-settings", "pkg", cwd=tmp_path)
    assert shown.returncode == 0
    assert f"Resolved settings for: {tmp_path / 'pkg' / 'seed.py'}" in shown.stdout
    assert f"Settings path: {tmp_path / 'pyproject.toml'}" in shown.stdout
    assert "'MPP301'" in shown.stdout and "'gen'" in shown.stdout
    files = run("--show-files", ".", cwd=tmp_path)
    assert (files.returncode, files.stdout) == (0, f"{tmp_path / 'pkg' / 'seed.py'}\n")


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_gitignore_is_respected_in_a_git_work_tree(tmp_path):
    project(tmp_path, {".gitignore": "generated/\n*_pb2.py\n!keep_pb2.py\n", "generated/seed.py": None,
                       "src/seed.py": None, "src/api_pb2.py": None, "src/keep_pb2.py": None,
                       "src/sub/.gitignore": "local.py\n", "src/sub/local.py": None})
    outside = {path for path, _ in found(run(".", cwd=tmp_path))}  # not a repository: .gitignore means nothing
    assert "./generated/seed.py" in outside and "./src/sub/local.py" in outside
    git_init(tmp_path)
    assert {path for path, _ in found(run(".", cwd=tmp_path))} == {"./src/seed.py", "./src/keep_pb2.py"}
    assert {path for path, _ in found(run(".", "--no-respect-gitignore", cwd=tmp_path))} == outside
    assert {path for path, _ in found(run("generated/seed.py", cwd=tmp_path))} == {"generated/seed.py"}
    # a folder named on the command line is walked even when a .gitignore above ignores it (as ruff)
    assert {path for path, _ in found(run("generated", cwd=tmp_path))} == {"generated/seed.py"}
    assert {path for path, _ in found(run("src", cwd=tmp_path))} == {"src/seed.py", "src/keep_pb2.py"}


def test_force_exclude_applies_excludes_to_named_files(tmp_path):
    project(tmp_path, {"vendor/lib/seed.py": None, "app.py": None, "build/x.py": None,
                       "pyproject.toml": '[tool.flake8-mpproxy]\nextend-exclude = ["vendor"]\n'})
    named = ["vendor/lib/seed.py", "app.py", "build/x.py"]
    assert {path for path, _ in found(run(*named, cwd=tmp_path))} == set(named)  # the default: checked
    assert {path for path, _ in found(run("--force-exclude", *named, cwd=tmp_path))} == {"app.py"}
    forced = project(tmp_path, {"pyproject.toml": '[tool.flake8-mpproxy]\nextend-exclude = ["vendor"]\n'
                                                  'force-exclude = true\n'})
    assert {path for path, _ in found(run(*named, cwd=forced))} == {"app.py"}
    assert {path for path, _ in found(run("--no-force-exclude", *named, cwd=forced))} == set(named)


def test_stdin_filename_alone_reads_stdin_with_that_files_configuration(tmp_path):
    project(tmp_path, {"pyproject.toml": '[tool.flake8-mpproxy]\nexclude = ["vendor"]\nforce-exclude = true\n'
                                         '[tool.flake8-mpproxy.per-file-ignores]\n"tests/*" = ["MPP2"]\n'})
    result = run("--stdin-filename", "tests/t.py", cwd=tmp_path, stdin=SEED.read_text())
    assert found(result) == [("tests/t.py", "MPP101")]
    excluded = run("--stdin-filename", "vendor/v.py", "--fix", cwd=tmp_path, stdin=SEED.read_text())
    assert (excluded.returncode, excluded.stdout) == (0, SEED.read_text())  # passed through untouched


def test_exit_codes(tmp_path):
    project(tmp_path, {"seed.py": None, "clean.py": CLEAN.read_text()})
    (tmp_path / "bad.py").write_bytes(b"import multiprocessing\x00\n")
    assert run("clean.py", cwd=tmp_path).returncode == 0
    assert run("seed.py", cwd=tmp_path).returncode == 1
    assert run("seed.py", "--exit-zero", cwd=tmp_path).returncode == 0
    assert run("seed.py", "--diff", "--exit-zero", cwd=tmp_path).returncode == 0
    assert run("seed.py", "bad.py", "--exit-zero", cwd=tmp_path).returncode == 2  # an error is never masked
    assert run("seed.py", "--select", "NOPE", cwd=tmp_path).returncode == 2


def test_output_file(tmp_path):
    project(tmp_path, {"seed.py": None})
    result = run("seed.py", "--output-format", "json", "--output-file", "out.json", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert [r["code"] for r in json.loads((tmp_path / "out.json").read_text())] == ["MPP201", "MPP101", "MPP202"]


def test_color(tmp_path):
    project(tmp_path, {"seed.py": None})
    bold_red = "\x1b[1;31mMPP101\x1b[0m"
    assert bold_red in run("seed.py", "--color", "always", cwd=tmp_path).stdout
    assert "\x1b[" not in run("seed.py", cwd=tmp_path).stdout  # a pipe is no terminal
    assert bold_red in run("seed.py", cwd=tmp_path, env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run("seed.py", cwd=tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert bold_red in run("seed.py", "--color", "always", cwd=tmp_path, env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in run("seed.py", "--color", "never", cwd=tmp_path, env={"FORCE_COLOR": "1"}).stdout


def test_docs_document_every_option_and_configuration_key():
    """docs/command-line.md and docs/configuration.md name every option and key (the README links them)."""
    from flake8_mpproxy.frontends.cli import build_parser
    from flake8_mpproxy.model.config import CONFIG_KEYS

    readme = "".join((ROOT / "docs" / name).read_text(encoding="utf-8")
                     for name in ("command-line.md", "configuration.md"))
    options = {s for action in build_parser()._actions for s in action.option_strings}
    assert not {o for o in options if f"`{o}" not in readme and f"/ `{o}" not in readme}
    assert not {key for key in CONFIG_KEYS if f"\n{key} = " not in readme and f'"{key}' not in readme
                and f"[tool.flake8-mpproxy.{key}]" not in readme}


def test_the_readme_reads_in_five_minutes_and_links_every_page_of_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    pages = sorted(path.name for path in (ROOT / "docs").glob("*.md"))
    assert [page for page in pages if f"](docs/{page})" not in readme] == []
