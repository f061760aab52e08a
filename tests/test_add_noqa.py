"""--add-noqa: a ``# noqa: CODE`` on every line with a finding, placed where the noqa matching (ours and
flake8's) honours it, as ruff's --add-noqa writes it; idempotent, atomic, and only files with findings."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from flake8_mpproxy.frontends import cli
from flake8_mpproxy.pipeline import noqa
from flake8_mpproxy.model.findings import Finding
from flake8_mpproxy.pipeline.noqa import add_directives, filter_findings

from .test_notebooks import code, markdown, mutation_notebook, notebook, write

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "seed.py"
CLEAN = ROOT / "fixtures" / "seed" / "corrected_pass_proxy.py"
HEADER = "from multiprocessing import Manager\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=str(cwd), capture_output=True,
                          text=True, timeout=120)


def finding(line: int, code: str = "MPP101") -> Finding:
    return Finding(code, line, 0, line, 1, ())


def added(text: str, *found: Finding) -> str:
    """The text after --add-noqa's edit, checked to suppress exactly ``found`` and to be a fixed point."""
    result = add_directives(text, found)
    assert filter_findings(result.text, found) == ()
    assert add_directives(result.text, filter_findings(result.text, found)).text == result.text
    return result.text


# --- the edit ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("before, after", [
    ("x = 1\n", "x = 1  # noqa: MPP101\n"),
    ("x = 1   \n", "x = 1  # noqa: MPP101\n"),  # trailing blanks go, as in ruff
    ("x = 1", "x = 1  # noqa: MPP101"),  # no final newline: none added
    ("x = 1  # noqa: E501\n", "x = 1  # noqa: E501, MPP101\n"),
    ("x = 1  # noqa:E501,W291\n", "x = 1  # noqa: E501, MPP101, W291\n"),  # ruff: one sorted list
    ("x = 1  # noqa: E501 because the URL is long\n", "x = 1  # noqa: E501, MPP101 because the URL is long\n"),
    ("x = 1  # noqa: E501  # fmt: skip\n", "x = 1  # noqa: E501, MPP101  # fmt: skip\n"),
    ("x = 1  # keep this note\n", "x = 1  # keep this note  # noqa: MPP101\n"),  # ruff appends after it
    ("x = 1  # note # noqa: E501\n", "x = 1  # note  # noqa: E501, MPP101\n"),
])
def test_directive_added_or_extended_keeping_codes_and_comments(before, after):
    assert added(before, finding(1)) == after


def test_codes_of_one_line_in_one_directive():
    assert added("x = 1\n", finding(1, "MPP202"), finding(1, "MPP101")) == "x = 1  # noqa: MPP101, MPP202\n"


def test_crlf_and_cr_line_endings_kept():
    text = "a = 1\r\nb = 2  # noqa: E501\r\nc = 3\r"
    assert added(text, finding(1), finding(2), finding(3)) == \
        "a = 1  # noqa: MPP101\r\nb = 2  # noqa: E501, MPP101\r\nc = 3  # noqa: MPP101\r"


def test_multi_line_string_takes_the_comment_after_the_string_ends():
    # the finding's line ends inside the string: flake8 reads the noqa of every line the string spans
    assert added('d[k].append("""\nline\n""")\n', finding(1)) == 'd[k].append("""\nline\n""")  # noqa: MPP101\n'


def test_backslash_continuation_takes_the_comment_on_its_last_line():
    assert added("d[k].append(1 + \\\n    2)\n", finding(1)) == "d[k].append(1 + \\\n    2)  # noqa: MPP101\n"


def test_bracketed_statement_takes_the_comment_on_the_findings_own_line():
    # inside brackets each line is its own noqa line (flake8: NL tokens); the first line is where it counts
    text = "result = f(\n    d[k].append(1),\n    2,\n)\n"
    assert added(text, finding(2)) == "result = f(\n    d[k].append(1),  # noqa: MPP101\n    2,\n)\n"
    assert added("d[k].append(\n    1,\n)\n", finding(1)) == "d[k].append(  # noqa: MPP101\n    1,\n)\n"


def test_a_noqa_inside_a_string_first_on_the_line_is_skipped_not_ignored():
    text = 'x = "# noqa: E501"; d[k].append(1)\n'
    result = add_directives(text, (finding(1),))
    assert result.text == text and result.count == 0
    assert result.skipped == ((1, "the first '# noqa' of its statement is inside a string, and flake8 reads "
                                   "that one"),)


def test_the_count_is_per_line_as_ruff_counts():
    result = add_directives("a = 1\nb = 2\n", (finding(1), finding(1, "MPP202"), finding(2)))
    assert result.count == 2


def test_only_comments_may_change():
    # a finding whose line lies in a string that the tokenizer cannot see as one is refused, never written
    with pytest.raises(noqa.SourceError, match="would change the code"):
        noqa._check_only_comments_changed('x = """a\n"""\n', 'x = """a  # noqa\n"""\n')


# --- the command -----------------------------------------------------------------------------------------------


def seed_project(tmp_path: Path) -> Path:
    shutil.copy(SEED, tmp_path / "seed.py")
    shutil.copy(CLEAN, tmp_path / "clean.py")  # passes the prefilter, analysed, no finding
    (tmp_path / "plain.py").write_text("x = 1\n")
    return tmp_path


def snapshot(folder: Path) -> dict:
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir() if path.is_file()}


def test_adds_then_a_check_finds_nothing_and_a_second_run_changes_nothing(tmp_path):
    seed_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")  # a project: the result cache is on
    assert run(".", cwd=tmp_path).returncode == 1  # warm records and cache entries of the findings
    before = snapshot(tmp_path)
    result = run("--add-noqa", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "Added 2 noqa directives.\n")
    lines = (tmp_path / "seed.py").read_text().splitlines()
    assert lines[6] == "manager = Manager()  # MPP201  # noqa: MPP201"
    assert lines[10] == "    d[1].append(4)  # MPP101 MPP202  # noqa: MPP101, MPP202"
    after = snapshot(tmp_path)
    for name in ("clean.py", "plain.py", "pyproject.toml"):  # no finding: not even rewritten with its own bytes
        assert after[name] == before[name]
    check = run(".", cwd=tmp_path)
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")
    again = run("--add-noqa", ".", cwd=tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert snapshot(tmp_path) == after


def test_flake8_honours_the_added_directives(tmp_path):
    (tmp_path / "multi.py").write_text(
        HEADER + "d = Manager().dict()\n"
        "d['k'].append('''\n  text\n''')\n"
        "d['k'].append(1 + \\\n    2)\n"
        "print(\n    d['k'].append(3),\n)\n")
    assert len(run("--select", "MPP101", "multi.py", cwd=tmp_path).stdout.splitlines()) == 4  # 3 + summary
    result = run("--add-noqa", "--select", "MPP101", "multi.py", cwd=tmp_path)
    assert result.stderr == "Added 3 noqa directives.\n"
    assert (tmp_path / "multi.py").read_text().splitlines()[2:] == [
        "d['k'].append('''", "  text", "''')  # noqa: MPP101",
        "d['k'].append(1 + \\", "    2)  # noqa: MPP101",
        "print(", "    d['k'].append(3),  # noqa: MPP101", ")"]
    assert run("--select", "MPP101", "multi.py", cwd=tmp_path).returncode == 0
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--select", "MPP101", "multi.py"], cwd=str(tmp_path),
                            capture_output=True, text=True)
    assert (flake8.returncode, flake8.stdout) == (0, "")


def test_crlf_file_keeps_its_line_endings_and_mode(tmp_path):
    path = tmp_path / "seed.py"
    path.write_bytes(b"\xef\xbb\xbf" + SEED.read_bytes().replace(b"\n", b"\r\n"))  # BOM and CRLF
    os.chmod(path, 0o640)
    assert run("--add-noqa", "seed.py", cwd=tmp_path).returncode == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\n") == data.count(b"\r\n") == 19
    assert b"d[1].append(4)  # MPP101 MPP202  # noqa: MPP101, MPP202\r\n" in data
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["seed.py"]  # no temporary file left behind
    assert run("seed.py", cwd=tmp_path).returncode == 0


def test_only_the_selected_codes(tmp_path):
    shutil.copy(SEED, tmp_path / "seed.py")
    result = run("--add-noqa", "--select", "MPP101", "seed.py", cwd=tmp_path)
    assert result.stderr == "Added 1 noqa directive.\n"
    lines = (tmp_path / "seed.py").read_text().splitlines()
    assert lines[6] == "manager = Manager()  # MPP201"
    assert lines[10] == "    d[1].append(4)  # MPP101 MPP202  # noqa: MPP101"
    assert [line.split()[1] for line in run("seed.py", cwd=tmp_path).stdout.splitlines()[:-1]] == \
        ["MPP201", "MPP202"]


def test_existing_codes_and_reasons_are_kept(tmp_path):
    path = tmp_path / "seed.py"
    path.write_text(SEED.read_text().replace("d[1].append(4)  # MPP101 MPP202",
                                             "d[1].append(4)  # noqa: E501 reason  # pylint: disable=x"))
    assert run("--add-noqa", "-q", "seed.py", cwd=tmp_path).stderr == ""  # --quiet: no summary
    assert path.read_text().splitlines()[10] == \
        "    d[1].append(4)  # noqa: E501, MPP101, MPP202 reason  # pylint: disable=x"


def test_a_line_that_cannot_take_a_directive_is_a_warning(tmp_path):
    (tmp_path / "s.py").write_text(HEADER + "d = Manager().dict()\nx = '# noqa: E501'; d['k'].append(1)\n")
    before = (tmp_path / "s.py").read_bytes()
    result = run("--add-noqa", "--select", "MPP101", "s.py", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == (
        "s.py: warning: line 3: the first '# noqa' of its statement is inside a string, and flake8 reads that "
        "one; left without a noqa comment\n")
    assert (tmp_path / "s.py").read_bytes() == before


def test_not_with_fix_diff_or_stdin(tmp_path):
    shutil.copy(SEED, tmp_path / "seed.py")
    for args, message in ((["--fix"], "--add-noqa cannot be used with --fix"),
                          (["--diff"], "--add-noqa cannot be used with --diff"),
                          (["-"], "--add-noqa writes files in place; it cannot read stdin"),
                          (["--stdin-filename", "x.py"], "cannot read stdin")):
        result = run("--add-noqa", *args, "seed.py", cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr.splitlines()[-1]
    assert (tmp_path / "seed.py").read_bytes() == SEED.read_bytes()


def test_errors_keep_status_2_and_the_other_files_are_done(tmp_path):
    shutil.copy(SEED, tmp_path / "a.py")
    (tmp_path / "bad.py").write_text(HEADER + "def f(:\n")
    shutil.copy(SEED, tmp_path / "ro.py")
    os.chmod(tmp_path / "ro.py", 0o444)
    result = run("--add-noqa", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["./bad.py: error: syntax error: invalid syntax (line 2)",
                                          "./ro.py: error: cannot write: file is read-only",
                                          "Added 2 noqa directives."]
    assert (tmp_path / "ro.py").read_bytes() == SEED.read_bytes()


def test_a_file_changed_after_it_was_read_is_not_written(tmp_path, monkeypatch, capsys):
    path = tmp_path / "seed.py"
    shutil.copy(SEED, path)
    edited = SEED.read_text() + "# edited meanwhile\n"
    real = noqa.add_directives

    def another_writer_meanwhile(text: str, findings: List[Finding]) -> noqa.Added:
        path.write_text(edited)  # between the read and the replace
        return real(text, findings)

    monkeypatch.setattr(noqa, "add_directives", another_writer_meanwhile)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--add-noqa", "--no-cache", "seed.py"]) == 2
    assert capsys.readouterr().err == "seed.py: error: changed while fixing; not written\n"
    assert path.read_text() == edited  # the other writer's bytes stay
    assert [p.name for p in tmp_path.iterdir()] == ["seed.py"]


# --- notebooks -------------------------------------------------------------------------------------------------


def test_notebook_directive_goes_into_the_cell_source(tmp_path):
    path = write(tmp_path / "nb.ipynb", mutation_notebook())
    before = json.loads(path.read_text())
    result = run("--add-noqa", "nb.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "Added 1 noqa directive.\n")
    after = json.loads(path.read_text())
    assert after["cells"][3]["source"] == ["shared['k'] = []\n", "for i in range(3):\n", "    !echo step\n",
                                           "    shared['k'].append(i)  # noqa: MPP101"]
    after["cells"][3]["source"] = before["cells"][3]["source"]
    assert after == before  # outputs, counts, metadata and the other cells as they were
    assert path.read_text().endswith("}\n") and '\n "cells": [\n' in path.read_text()  # nbformat's layout kept
    assert run("nb.ipynb", cwd=tmp_path).returncode == 0
    text = path.read_bytes()
    again = run("--add-noqa", "nb.ipynb", cwd=tmp_path)
    assert (again.returncode, again.stderr, path.read_bytes()) == (0, "", text)


def test_notebook_directive_in_a_multi_line_string_cell(tmp_path):
    path = write(tmp_path / "nb.ipynb", notebook(
        markdown("# title"),
        code(HEADER + "shared = Manager().dict()"),
        code("shared['k'].append('''\nmore\n''')\nprint(1)")))
    assert run("--add-noqa", "nb.ipynb", cwd=tmp_path).returncode == 0
    assert json.loads(path.read_text())["cells"][2]["source"] == [
        "shared['k'].append('''\n", "more\n", "''')  # noqa: MPP101\n", "print(1)"]
    assert run("nb.ipynb", cwd=tmp_path).returncode == 0


def test_notebook_warning_names_the_cell(tmp_path):
    path = write(tmp_path / "nb.ipynb", notebook(
        code(HEADER + "shared = Manager().dict()"),
        code("x = 1\nlabel = '# noqa: E501'; shared['k'].append(1)")))
    before = path.read_bytes()
    result = run("--add-noqa", "nb.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, (
        "nb.ipynb: warning: cell 2:2: the first '# noqa' of its statement is inside a string, and flake8 reads "
        "that one; left without a noqa comment\n"))
    assert path.read_bytes() == before
