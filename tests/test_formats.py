"""Machine-readable outputs: SARIF validates against the official 2.1.0 schema; github annotations parse."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

from flake8_mpproxy.model.catalogue import RULES

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "seed.py"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def sarif_for(*paths: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--output-format", "sarif", *paths],
                            capture_output=True, text=True, cwd=str(ROOT))
    return json.loads(result.stdout)


def test_sarif_of_the_seed_validates_against_the_schema():
    log = sarif_for(str(SEED.relative_to(ROOT)))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["MPP201", "MPP101", "MPP202"]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"MPP101", "MPP301"}
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_sarif_without_findings_validates():
    log = sarif_for(str((ROOT / "fixtures" / "clean" / "propagated_forms.py").relative_to(ROOT)))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["runs"][0]["results"] == []


def test_schema_catches_a_broken_log():
    broken = sarif_for(str(SEED.relative_to(ROOT)))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(broken))
    assert errors


def command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], capture_output=True, text=True,
                          cwd=str(ROOT))


SEED_ARG = str(SEED.relative_to(ROOT))
DOCS = "https://github.com/flake8-mpproxy/flake8-mpproxy/blob/main/docs/rules.md"


def test_rule_urls_point_at_the_rule_docs_headings():
    records = json.loads(command("--output-format", "json", SEED_ARG).stdout)
    assert records[1]["url"] == f"{DOCS}#mpp101-mutation-of-proxy-copy"
    headings = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for record in records:  # GitHub's anchor of "## MPP101 mutation-of-proxy-copy"
        assert f"## {record['code']} {record['name']}\n" in headings
    rules = sarif_for(SEED_ARG)["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["helpUri"] == f"{DOCS}#{r['id'].lower()}-{r['name']}" for r in rules)


def test_json_lines_and_pylint():
    lines = command("--output-format", "json-lines", SEED_ARG).stdout.splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["MPP201", "MPP101", "MPP202"]
    pylint = command("--output-format", "pylint", SEED_ARG).stdout.splitlines()
    assert pylint[1].startswith(f"{SEED_ARG}:11: [MPP101] d[1].append() mutates a copy")
    assert len(pylint) == 3  # no summary line in a machine format


def test_gitlab_code_quality():
    records = json.loads(command("--output-format", "gitlab", SEED_ARG, SEED_ARG).stdout)
    assert len(records) == 6 and len({r["fingerprint"] for r in records}) == 6  # unique, even for repeats
    assert records[1]["check_name"] == "MPP101" and records[1]["severity"] == "major"
    assert records[1]["location"] == {"path": SEED_ARG, "positions": {
        "begin": {"line": 11, "column": 5}, "end": {"line": 11, "column": 19}}}
    again = json.loads(command("--output-format", "gitlab", SEED_ARG, SEED_ARG).stdout)
    assert [r["fingerprint"] for r in again] == [r["fingerprint"] for r in records]  # stable across runs
    assert json.loads(command("--output-format", "gitlab", "fixtures/clean/propagated_forms.py").stdout) == []


def test_junit_parses_with_one_failure_per_finding():
    import xml.etree.ElementTree as ET

    root = ET.fromstring(command("--output-format", "junit", SEED_ARG).stdout)
    assert root.get("failures") == "3"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [f"org.flake8_mpproxy.{c}" for c in ("MPP201", "MPP101", "MPP202")]
    assert cases[1].get("line") == "11" and cases[1].find("failure").text.startswith("line 11, col 5, d[1]")
    clean = ET.fromstring(command("--output-format", "junit", "fixtures/clean/propagated_forms.py").stdout)
    assert clean.get("failures") == "0" and clean.find("./testsuite/testcase").get("name") == "No errors found"


def test_statistics_keep_json_valid_and_refuse_other_machine_formats():
    counts = json.loads(command("--statistics", "--output-format", "json", SEED_ARG).stdout)
    assert counts[0] == {"code": "MPP101", "name": "mutation-of-proxy-copy", "count": 1, "fixable": True,
                         "fixable_count": 1}
    assert [c["fixable"] for c in counts[1:]] == [False, False]  # unsafe fixes only: no star, as ruff
    sarif = command("--statistics", "--output-format", "sarif", SEED_ARG)
    assert sarif.returncode == 2 and sarif.stdout == "" and "--statistics" in sarif.stderr


# --- files that cannot be checked: a result in every machine format, as ruff reports a syntax error ------------

HEADER = "from multiprocessing import Manager\n"  # passes the prefilter: the file is really parsed


def broken_tree(tmp_path: Path) -> Path:
    """A good file (3 findings), one that does not parse (line 2, col 7), one that does not decode (line 2,
    byte column 6), and a notebook whose cell 2 does not parse (its line 1)."""
    shutil.copy(SEED, tmp_path / "good.py")
    (tmp_path / "bad.py").write_text(HEADER + "def f(:\n    pass\n")
    (tmp_path / "undecodable.py").write_bytes(HEADER.encode() + b'x = "\xff"\n')
    book = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                       "source": [HEADER]},
                      {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                       "source": ["x = (\n"]}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(book))
    return tmp_path


def in_dir(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], capture_output=True, text=True,
                          cwd=str(tmp_path))


def test_json_reports_each_file_error_as_ruff_reports_a_syntax_error(tmp_path):
    result = in_dir(broken_tree(tmp_path), "--output-format", "json", ".", "missing.py")
    assert result.returncode == 2  # still an error, whatever the format
    assert len(result.stderr.splitlines()) == 4  # and still a line on stderr each
    records = json.loads(result.stdout)
    errors = {r["filename"]: r for r in records if r["code"] is None}
    assert errors["./bad.py"] == {
        "code": None, "name": "invalid-syntax", "message": "syntax error: invalid syntax (line 2)",
        "filename": "./bad.py", "cell": None, "location": {"row": 2, "column": 7},
        "end_location": {"row": 2, "column": 8} if sys.version_info >= (3, 10) else {"row": 2, "column": 7},
        "noqa_row": None, "fix": None, "fix_applicability": "none", "url": None}
    assert errors["./undecodable.py"]["name"] == "io-error"
    assert errors["./undecodable.py"]["location"] == {"row": 2, "column": 6}
    assert errors["./nb.ipynb"]["name"] == "invalid-syntax" and errors["./nb.ipynb"]["cell"] == 2
    assert errors["./nb.ipynb"]["location"]["row"] == 1
    assert errors["missing.py"]["name"] == "io-error" and errors["missing.py"]["location"] == {"row": 1, "column": 1}
    assert [r["code"] for r in records if r["filename"] == "./good.py"] == ["MPP201", "MPP101", "MPP202"]
    assert [r["filename"] for r in records] == sorted(r["filename"] for r in records)
    lines = in_dir(tmp_path, "--output-format", "json-lines", ".", "missing.py").stdout.splitlines()
    assert [json.loads(line) for line in lines] == records


def test_exit_zero_does_not_hide_a_file_error(tmp_path):
    result = in_dir(broken_tree(tmp_path), "--output-format", "json", "--exit-zero", "bad.py")
    assert result.returncode == 2 and json.loads(result.stdout)[0]["name"] == "invalid-syntax"


def test_text_keeps_file_errors_on_stderr_only(tmp_path):
    result = in_dir(broken_tree(tmp_path), "bad.py", "good.py")
    assert result.stderr == "bad.py: error: syntax error: invalid syntax (line 2)\n"
    assert "bad.py" not in result.stdout and result.returncode == 2


def test_sarif_with_file_errors_validates_and_points_at_them(tmp_path):
    result = in_dir(broken_tree(tmp_path), "--output-format", "sarif", ".", "missing.py")
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    by_uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run["results"]
              if not r["ruleId"].startswith("MPP")}
    assert by_uri["./bad.py"]["ruleId"] == "invalid-syntax" and by_uri["./bad.py"]["level"] == "error"
    assert by_uri["./bad.py"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert by_uri["./undecodable.py"]["ruleId"] == "io-error"
    assert "region" not in by_uri["missing.py"]["locations"][0]["physicalLocation"]  # no position known
    notebook = by_uri["./nb.ipynb"]
    assert "region" not in notebook["locations"][0]["physicalLocation"]  # cell lines are not the file's
    assert notebook["message"]["text"].startswith("cell 2:1:") and \
        notebook["locations"][0]["logicalLocations"] == [{"name": "cell 2", "kind": "module"}]
    assert [r["id"] for r in rules[len(RULES):]] == ["invalid-syntax", "io-error"]  # the kinds in the run
    clean = sarif_for(str((ROOT / "fixtures" / "clean" / "propagated_forms.py").relative_to(ROOT)))
    assert len(clean["runs"][0]["tool"]["driver"]["rules"]) == len(rules) - 2


def test_gitlab_junit_pylint_and_github_show_file_errors(tmp_path):
    import xml.etree.ElementTree as ET

    broken_tree(tmp_path)
    quality = json.loads(in_dir(tmp_path, "--output-format", "gitlab", "bad.py", "good.py").stdout)
    assert quality[0]["check_name"] == "invalid-syntax"
    assert quality[0]["description"] == "invalid-syntax: syntax error: invalid syntax (line 2)"
    assert quality[0]["location"]["path"] == "bad.py" and quality[0]["location"]["positions"]["begin"] == \
        {"line": 2, "column": 7}
    assert len({r["fingerprint"] for r in quality}) == 4
    root = ET.fromstring(in_dir(tmp_path, "--output-format", "junit", "bad.py", "good.py").stdout)
    assert root.get("failures") == "4"
    case = root.find("./testsuite[@name='bad.py']/testcase")
    assert case.get("name") == "org.flake8_mpproxy.invalid-syntax" and case.get("line") == "2"
    assert case.find("failure").get("message") == "syntax error: invalid syntax (line 2)"
    pylint = in_dir(tmp_path, "--output-format", "pylint", "bad.py", "missing.py").stdout.splitlines()
    assert pylint == ["bad.py:2: [invalid-syntax] syntax error: invalid syntax (line 2)",
                      "missing.py:1: [io-error] No such file or directory"]
    github = in_dir(tmp_path, "--output-format", "github", "bad.py", "missing.py", "nb.ipynb").stdout.splitlines()
    end = ",endLine=2,endColumn=8" if sys.version_info >= (3, 10) else ",endLine=2,endColumn=7"
    assert github[0] == ("::error title=flake8-mpproxy (invalid-syntax),file=bad.py,line=2,col=7" + end +
                         "::syntax error: invalid syntax (line 2)")
    assert github[1] == "::error title=flake8-mpproxy (io-error),file=missing.py::No such file or directory"
    assert github[2].startswith("::error title=flake8-mpproxy (invalid-syntax),file=nb.ipynb::cell 2:1:")


def test_a_configuration_error_is_a_result_for_its_file(tmp_path):
    (tmp_path / "sub").mkdir()
    shutil.copy(SEED, tmp_path / "sub" / "seed.py")
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nselect = ["MPP999"]\n')
    result = in_dir(tmp_path, "--output-format", "json", ".")
    assert result.returncode == 2
    (record,) = json.loads(result.stdout)
    assert (record["name"], record["filename"], record["message"]) == (
        "invalid-configuration", str(tmp_path / "sub" / "pyproject.toml"), "select: unknown code 'MPP999'")


def test_github_escapes_properties_and_message_data(tmp_path):
    from flake8_mpproxy.frontends.report import FileError, github
    from flake8_mpproxy.model.source import Problem

    name = "we,ird:50%.py"
    shutil.copy(SEED, tmp_path / name)
    lines = in_dir(tmp_path, "--output-format", "github", name).stdout.splitlines()
    assert lines[1].startswith("::error title=flake8-mpproxy (MPP101),file=we%2Cird%3A50%25.py,line=11,col=5,")
    error = FileError("C:\\src\\a,b.py", "100% bad\r\nsecond line", Problem("io-error", 3, 1))
    assert github([error]) == ("::error title=flake8-mpproxy (io-error),file=C%3A\\src\\a%2Cb.py,line=3,col=1,"
                               "endLine=3,endColumn=1::100%25 bad%0D%0Asecond line")
