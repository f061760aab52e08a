"""Machine-readable outputs: SARIF validates against the official 2.1.0 schema; github annotations parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

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
