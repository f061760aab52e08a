"""Jupyter notebooks through the real command: discovery, cell positions, magics, noqa, output formats, fixes,
diffs and bad notebooks. Fixtures are real nbformat-4 files written with json (nbformat's layout: indent 1,
sorted keys, a final newline)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import jsonschema
import pytest

from .test_integrations import git, pre_commit, try_repo  # noqa: F401 (pre_commit is a fixture)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def run(*args: str, cwd: Path, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=str(cwd), input=stdin,
                          capture_output=True, text=True)


def code(source: str, outputs: Optional[List[Dict[str, Any]]] = None, count: Optional[int] = None,
         metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A code cell with the source split into lines, as Jupyter stores it."""
    return {"cell_type": "code", "execution_count": count, "metadata": metadata or {},
            "outputs": outputs or [], "source": source.splitlines(True)}


def markdown(source: str) -> Dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(True)}


def notebook(*cells: Dict[str, Any], language: str = "python") -> Dict[str, Any]:
    return {"cells": list(cells), "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": language, "name": "python3"},
        "language_info": {"name": language, "version": "3.11.7"}}, "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, book: Dict[str, Any], indent: int = 1, final_newline: bool = True) -> Path:
    path.write_text(json.dumps(book, indent=indent, sort_keys=True, ensure_ascii=False)
                    + ("\n" if final_newline else ""), encoding="utf-8")
    return path


IMPORTS = "from multiprocessing import Manager, Process\n"
MODULE = (IMPORTS + "def f(d):\n    d['k'].append(1)\n\nif __name__ == '__main__':\n    with Manager() as m:\n"
          "        d = m.dict()\n        f(d)\n")
STREAM = {"name": "stdout", "output_type": "stream", "text": ["done\n"]}


def mutation_notebook() -> Dict[str, Any]:
    """Manager in cell 2, the lost append in cell 4 (a markdown cell between them counts)."""
    return notebook(
        markdown("# Shared dict\n\nA manager in one cell, used in another."),
        code(IMPORTS + "%load_ext autoreload\nmanager = Manager()\nshared = manager.dict()", count=1),
        markdown("Collect:"),
        code("shared['k'] = []\nfor i in range(3):\n    !echo step\n    shared['k'].append(i)", [STREAM], 2),
    )


def findings(stdout: str) -> List[str]:
    return [line for line in stdout.splitlines() if ": MPP" in line]


# --- checking ------------------------------------------------------------------------------------------------


def test_finding_in_a_later_cell_is_reported_at_its_cell_line_and_column(tmp_path):
    write(tmp_path / "nb.ipynb", mutation_notebook())
    result = run("nb.ipynb", cwd=tmp_path)
    assert findings(result.stdout) == [
        "nb.ipynb:cell 4:4:5: MPP101 shared['k'].append() mutates a copy returned by manager proxy 'shared'; "
        "the change is lost. Write it back (shared['k'] += [i]) or store a nested proxy "
        "(shared['k'] = manager.list())."]
    assert result.returncode == 1


def test_messages_name_lines_as_the_cells_show_them(tmp_path):
    """A message that points at another line (where a child starts) names that line in its cell: the joined
    module's line numbers point to no line of any cell."""
    path = write(tmp_path / "race.ipynb", notebook(
        code("import multiprocessing as mp"),
        code("def work(d):\n    d['k'] += [1]"),
        code("with mp.Manager() as m:\n    d = m.dict({'k': []})\n    p = mp.Process(target=work, args=(d,))\n"
             "    p.start()\n    d['k'].append(2)\n    p.join()"),
    ))
    out = run("--no-cache", str(path), cwd=tmp_path).stdout
    [line] = [line for line in out.splitlines() if "MPP101" in line]
    assert line.startswith(f"{path}:cell 3:5:5: MPP101")
    assert "(started at line 3 of cell 3)" in line, line


def test_directory_walk_finds_notebooks_beside_python_files(tmp_path):
    (tmp_path / "pkg").mkdir()
    write(tmp_path / "pkg" / "nb.ipynb", mutation_notebook())
    (tmp_path / "pkg" / "mod.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "pkg" / "notes.txt").write_text("Manager multiprocessing", encoding="utf-8")
    lines = findings(run(".", cwd=tmp_path).stdout)
    assert [line.split(": MPP")[0] for line in lines] == ["./pkg/mod.py:3:5", "./pkg/nb.ipynb:cell 4:4:5"]


def test_magics_keep_positions_and_cell_magics_and_automagic_cells_are_skipped(tmp_path):
    book = notebook(
        code("%%bash\nshared['k'].append(1)"),  # a shell cell: not Python, never linted
        code(IMPORTS + "manager = Manager()\nshared = manager.dict()\nfiles = !ls\n%time x = 1\nos?"),
        code("pip install numpy"),  # automagic: skipped as ruff does
        code("%%time\nshared['a'].append(1)"),  # %%time runs Python in the namespace: linted
        code("text = '''\n%not a magic\n'''\nshared['b'].append(2)"),
    )
    write(tmp_path / "nb.ipynb", book)
    result = run("nb.ipynb", cwd=tmp_path)
    assert [line.split(": MPP")[0] for line in findings(result.stdout)] == ["nb.ipynb:cell 4:2:1",
                                                                            "nb.ipynb:cell 5:4:1"]
    assert result.stderr == ""


def test_noqa_works_per_line_in_a_cell(tmp_path):
    book = mutation_notebook()
    book["cells"][3]["source"][-1] = "    shared['k'].append(i)  # noqa: MPP101"
    book["cells"].append(code("shared['j'] = []\nshared['j'].append(1)\nshared['j'].append(2)  # noqa"))
    write(tmp_path / "nb.ipynb", book)
    assert [line.split(": MPP")[0] for line in findings(run("nb.ipynb", cwd=tmp_path).stdout)] == [
        "nb.ipynb:cell 5:2:1"]


def test_a_file_level_noqa_in_any_cell_silences_the_notebook(tmp_path):
    book = mutation_notebook()
    book["cells"].append(code("# flake8: noqa"))
    write(tmp_path / "nb.ipynb", book)
    result = run("nb.ipynb", cwd=tmp_path)
    assert findings(result.stdout) == [] and result.returncode == 0


def test_non_python_notebooks_are_skipped(tmp_path):
    book = mutation_notebook()
    write(tmp_path / "nb.ipynb", notebook(*book["cells"], language="R"))
    result = run("nb.ipynb", cwd=tmp_path)
    assert (result.stdout, result.stderr, result.returncode) == ("", "", 0)


def test_json_output_carries_the_cell_as_ruff_does(tmp_path):
    write(tmp_path / "nb.ipynb", mutation_notebook())
    (tmp_path / "mod.py").write_text(MODULE, encoding="utf-8")
    records = json.loads(run("--output-format", "json", ".", cwd=tmp_path).stdout)
    by_file = {r["filename"]: r for r in records}
    nb = by_file["./nb.ipynb"]
    assert (nb["cell"], nb["location"], nb["end_location"], nb["noqa_row"]) == (
        4, {"row": 4, "column": 5}, {"row": 4, "column": 26}, 4)
    assert by_file["./mod.py"]["cell"] is None


def test_sarif_for_a_notebook_validates_and_names_the_cell(tmp_path):
    write(tmp_path / "nb.ipynb", mutation_notebook())
    log = json.loads(run("--output-format", "sarif", "nb.ipynb", cwd=tmp_path).stdout)
    jsonschema.validate(log, SCHEMA)
    (result,) = log["runs"][0]["results"]
    assert result["message"]["text"].startswith("cell 4:4:5: shared['k'].append()")
    assert "region" not in result["locations"][0]["physicalLocation"]
    assert result["locations"][0]["logicalLocations"] == [{"name": "cell 4", "kind": "module"}]
    assert result["properties"] == {"cell": 4, "line": 4, "column": 5, "endLine": 4, "endColumn": 26}


def test_github_annotation_for_a_notebook_is_file_level_with_the_cell_in_the_message(tmp_path):
    write(tmp_path / "nb.ipynb", mutation_notebook())
    out = run("--output-format", "github", "nb.ipynb", cwd=tmp_path).stdout.strip()
    assert out.startswith("::error title=flake8-mpproxy (MPP101),file=nb.ipynb::cell 4:4:5: MPP101 shared")


def test_stdin_with_a_notebook_filename_is_read_as_a_notebook(tmp_path):
    text = json.dumps(mutation_notebook(), indent=1)
    result = run("--stdin-filename", "nb.ipynb", "-", cwd=tmp_path, stdin=text)
    assert [line.split(": MPP")[0] for line in findings(result.stdout)] == ["nb.ipynb:cell 4:4:5"]


# --- bad notebooks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, cause", [
    ('{"cells": [', "not a valid notebook: invalid JSON: Expecting value (line 1, column 12)"),
    ('{"cells": [], "nbformat": 3, "metadata": {}}', "not a valid notebook: nbformat 3 (only nbformat 4 is "
                                                     "supported)"),
    ('[1, 2]', "not a valid notebook: the top level is not a JSON object"),
    ('{"cells": {}, "nbformat": 4}', "not a valid notebook: 'cells' is not a list of objects"),
    ('{"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4}',
     "not a valid notebook: cell 1: 'source' is not a string or list of strings"),
])
def test_a_bad_notebook_is_one_error_line_and_the_run_goes_on(tmp_path, content, cause):
    (tmp_path / "bad.ipynb").write_text(content, encoding="utf-8")
    write(tmp_path / "good.ipynb", mutation_notebook())
    result = run(".", cwd=tmp_path)
    assert result.stderr.splitlines() == [f"./bad.ipynb: error: {cause}"]
    assert [line.split(": MPP")[0] for line in findings(result.stdout)] == ["./good.ipynb:cell 4:4:5"]
    assert result.returncode == 2


def test_bad_notebooks_are_errors_even_without_any_manager(tmp_path):
    (tmp_path / "bad.ipynb").write_bytes(b"\xff\xfe not json")
    result = run("bad.ipynb", cwd=tmp_path)
    assert result.stderr.startswith("bad.ipynb: error: not a valid notebook: cannot decode as UTF-8")
    assert result.returncode == 2


def test_a_syntax_error_names_its_cell_and_a_statement_cannot_run_into_the_next_cell(tmp_path):
    write(tmp_path / "a.ipynb", notebook(code(IMPORTS + "m = Manager()"), code("x = (\n1")))
    write(tmp_path / "b.ipynb", notebook(code(IMPORTS + "m = Manager()\nx = ("), code("1)")))
    result = run(".", cwd=tmp_path)
    # CPython's wording and line differ by version (3.9: "unexpected EOF while parsing" at the last line)
    assert [re.sub(r"syntax error: .* \(cell (\d+), line \d+\)$", r"syntax error (cell \1)", line)
            for line in result.stderr.splitlines()] == [
        "./a.ipynb: error: syntax error (cell 2)", "./b.ipynb: error: syntax error (cell 1)"]
    if sys.version_info >= (3, 10):
        assert result.stderr.splitlines() == [
            "./a.ipynb: error: syntax error: '(' was never closed (cell 2, line 1)",
            "./b.ipynb: error: syntax error: '(' was never closed (cell 1, line 3)"]


# --- fix and diff --------------------------------------------------------------------------------------------


def test_fix_rewrites_only_the_changed_cell_source_and_keeps_everything_else_byte_for_byte(tmp_path):
    book = mutation_notebook()
    book["metadata"]["custom"] = {"z": 1, "a": "ünïcode"}
    path = write(tmp_path / "nb.ipynb", book)
    before = path.read_text(encoding="utf-8")
    result = run("--fix", "nb.ipynb", cwd=tmp_path)
    after = path.read_text(encoding="utf-8")
    assert result.returncode == 0, result.stderr
    fixed = json.loads(after)
    assert fixed["cells"][3]["source"] == ["shared['k'] = []\n", "for i in range(3):\n", "    !echo step\n",
                                           "    shared['k'] += [i]"]
    book["cells"][3]["source"] = fixed["cells"][3]["source"]
    assert fixed == book  # outputs, execution counts, metadata, other cells: unchanged
    assert after == before.replace('"    shared[\'k\'].append(i)"', '"    shared[\'k\'] += [i]"')


@pytest.mark.parametrize("indent, final_newline", [(1, True), (2, False), (4, True)])
def test_fix_keeps_the_files_json_layout(tmp_path, indent, final_newline):
    path = write(tmp_path / "nb.ipynb", mutation_notebook(), indent=indent, final_newline=final_newline)
    before = path.read_text(encoding="utf-8")
    run("--fix", "nb.ipynb", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == before.replace("].append(i)\"", "] += [i]\"")


def test_fix_of_a_string_source_and_a_crlf_file_keeps_their_form(tmp_path):
    book = mutation_notebook()
    book["cells"][3]["source"] = "".join(book["cells"][3]["source"])
    path = tmp_path / "nb.ipynb"
    text = json.dumps(book, indent=1, sort_keys=True).replace("\n", "\r\n") + "\r\n"
    path.write_bytes(text.encode("utf-8"))
    run("--fix", "nb.ipynb", cwd=tmp_path)
    assert path.read_bytes() == text.replace("].append(i)\"", "] += [i]\"").encode("utf-8")


def test_diff_shows_each_changed_cell_and_changes_nothing(tmp_path):
    path = write(tmp_path / "nb.ipynb", mutation_notebook())
    before = path.read_bytes()
    result = run("--diff", "nb.ipynb", cwd=tmp_path)
    assert result.stdout == (
        "--- a/nb.ipynb:cell 4\n+++ b/nb.ipynb:cell 4\n@@ -1,4 +1,4 @@\n shared['k'] = []\n"
        " for i in range(3):\n     !echo step\n-    shared['k'].append(i)\n+    shared['k'] += [i]\n")
    assert result.returncode == 1
    assert path.read_bytes() == before


def test_fix_from_stdin_writes_the_fixed_notebook_to_stdout(tmp_path):
    text = json.dumps(mutation_notebook(), indent=1, sort_keys=True) + "\n"
    result = run("--fix", "--stdin-filename", "nb.ipynb", "-", cwd=tmp_path, stdin=text)
    assert result.stdout == text.replace("].append(i)\"", "] += [i]\"")


def test_a_fix_that_adds_lines_stays_in_its_cell(tmp_path):
    book = notebook(
        code(IMPORTS + "manager = Manager()\nshared = manager.dict()\nshared['k'] = []"),
        code("items = shared['k']\nitems.append(1)\nitems.append(2)"),
        code("print(dict(shared))", [STREAM], 3),
    )
    path = write(tmp_path / "nb.ipynb", book)
    result = run("--fix", "nb.ipynb", cwd=tmp_path)
    fixed = json.loads(path.read_text(encoding="utf-8"))
    # two changes: the write-back goes in a finally around them (no exit between them skips it)
    assert "".join(fixed["cells"][1]["source"]).startswith("items = shared['k']\ntry:\n    items.append(1)\n"), result
    assert "shared['k'] = items" in "".join(fixed["cells"][1]["source"])
    assert fixed["cells"][0] == book["cells"][0] and fixed["cells"][2] == book["cells"][2]


@pytest.mark.runtime
def test_global_proxy_in_a_notebook_child_is_reported_without_a_fix(tmp_path):
    book = notebook(
        code(IMPORTS + "manager = Manager()\nshared = manager.dict()"),
        code("def work():\n    shared['x'] = 1"),
        code("p = Process(target=work)\np.start()\np.join()"),
    )
    path = write(tmp_path / "nb.ipynb", book)
    before = path.read_bytes()
    result = run("--fix", "--unsafe-fixes", "--show-fixes", "nb.ipynb", cwd=tmp_path)
    assert [line.split(" ")[:2] for line in findings(result.stdout)] == [["nb.ipynb:cell", "2:2:5:"]]
    assert " MPP202 '" in result.stdout and "fix]" not in result.stdout
    assert path.read_bytes() == before
    # the notebook's own story (measured in tests/test_notebook_kernel.py), not the .py one
    assert "cannot load work() from the notebook" in result.stdout and "NameError" not in result.stdout


def test_mpp202_keeps_its_script_wording_in_py_files(tmp_path):
    script = IMPORTS + ("manager = Manager()\nshared = manager.dict()\n\ndef work():\n    shared['x'] = 1\n\n"
                        "p = Process(target=work)\np.start()\np.join()\n")
    (tmp_path / "script.py").write_text(script, encoding="utf-8")
    result = run("--select", "MPP202", "script.py", cwd=tmp_path)
    assert "NameError" in result.stdout and "from the notebook" not in result.stdout


@pytest.mark.runtime
def test_module_level_manager_is_not_reported_in_a_notebook(tmp_path):
    """MPP201 is for modules that spawn children re-import; a kernel's cells are never re-run (measured)."""
    write(tmp_path / "nb.ipynb", notebook(code(IMPORTS + "manager = Manager()\nshared = manager.dict()")))
    (tmp_path / "same.py").write_text(IMPORTS + "manager = Manager()\nshared = manager.dict()\n", encoding="utf-8")
    result = run("--select", "MPP201", ".", cwd=tmp_path)
    assert [line.split(": MPP")[0] for line in findings(result.stdout)] == ["./same.py:2:11"]


def test_a_read_only_notebook_is_an_error_for_that_file_only(tmp_path):
    path = write(tmp_path / "nb.ipynb", mutation_notebook())
    path.chmod(0o444)
    result = run("--fix", "nb.ipynb", cwd=tmp_path)
    assert result.stderr.splitlines() == ["nb.ipynb: error: cannot write: file is read-only"]
    assert result.returncode == 2


def test_a_rewrite_that_moves_code_or_a_magic_across_cells_is_refused(tmp_path):
    from flake8_mpproxy.frontends.notebook import NotebookError, load, rewrite

    raw = json.dumps(mutation_notebook(), indent=1).encode()
    book = load("nb.ipynb", raw)
    lines = book.virtual.splitlines(True)
    assert lines[3] == "manager = Manager()\n" and "magic 0" in lines[2] and lines[5].startswith("# <<")
    guard_moved = "".join(lines[:3] + lines[4:]) + "if __name__ == '__main__':\n    " + lines[3]
    marker_first = "".join([lines[1], lines[0]] + lines[2:])
    magic_moved = "".join(lines[:2] + lines[3:] + [lines[2]])
    for text in (guard_moved, marker_first, magic_moved, book.virtual.replace("# <<flake8-mpproxy cell 4>>\n", "")):
        with pytest.raises(NotebookError, match="a fix would move code across notebook cells"):
            rewrite(book, text)
    assert rewrite(book, book.virtual) == (raw.decode(), {})


def test_columns_are_characters_and_a_bom_survives_the_fix(tmp_path):
    book = notebook(code(IMPORTS + "manager = Manager()\nshared = manager.dict()"),
                    code("naïve = 'é'; shared['k'] = []\nnaïve = 'é'; shared['k'].append(1)"))
    path = tmp_path / "nb.ipynb"
    text = json.dumps(book, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert [line.split(": MPP")[0] for line in findings(run("nb.ipynb", cwd=tmp_path).stdout)] == [
        "nb.ipynb:cell 2:2:14"]
    book["cells"][1]["source"][-1] += "\n"
    book["cells"][1]["source"].append("shared['k'].append(2)")
    text = json.dumps(book, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    run("--fix", "nb.ipynb", cwd=tmp_path)
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.replace("].append(2)", "] += [2]").encode("utf-8")


def test_parallel_workers_give_the_same_notebook_findings(tmp_path):
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.ipynb", mutation_notebook())
    serial, parallel = run("-j", "1", ".", cwd=tmp_path), run("-j", "2", ".", cwd=tmp_path)
    assert findings(parallel.stdout) == findings(serial.stdout)
    assert [line.split(": MPP")[0] for line in findings(serial.stdout)] == [
        f"./{name}.ipynb:cell 4:4:5" for name in "abc"]


@pytest.mark.integration
def test_pre_commit_hooks_pass_notebooks(pre_commit, tmp_path):  # noqa: F811
    """The hooks take ``types_or: [python, jupyter]``, as ruff's do; ``types: [python]`` would skip notebooks."""
    repo = tmp_path / "project"
    repo.mkdir()
    path = write(repo / "analysis.ipynb", mutation_notebook())
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "init", cwd=repo)
    check = try_repo(pre_commit, "flake8-mpproxy", repo)
    assert check.returncode == 1 and "analysis.ipynb:cell 4:4:5: MPP101" in check.stdout, check.stdout
    assert try_repo(pre_commit, "flake8-mpproxy-fix", repo).returncode == 1
    assert "shared['k'] += [i]" in path.read_text(encoding="utf-8")
