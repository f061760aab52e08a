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
