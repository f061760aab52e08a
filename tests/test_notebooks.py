"""Jupyter notebooks through the real command: discovery, cell positions, magics, noqa, output formats, fixes,
diffs and bad notebooks. Fixtures are real nbformat-4 files written with json (nbformat's layout: indent 1,
sorted keys, a final newline)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import jsonschema
import pytest

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
    assert result.stderr.splitlines() == [
        "./a.ipynb: error: syntax error: '(' was never closed (cell 2, line 1)",
        "./b.ipynb: error: syntax error: '(' was never closed (cell 1, line 3)"]
