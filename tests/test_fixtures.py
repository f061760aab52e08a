"""Every fixture program gets exactly the findings its inline markers expect (fixtures/README.md)."""

from __future__ import annotations

import ast
import re

import pytest

from flake8_mpproxy.pipeline.analysis import check_source
from flake8_mpproxy.model.catalogue import RULES
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.model.source import decode

from .programs import (BEHAVIOURS, FIXTURES, MARKER, expected_findings, header, programs, runnable, selected,
                       target_of)

ALL = programs()
CODES = {rule.code for rule in RULES}


def ident(path) -> str:
    return str(path.relative_to(FIXTURES))


def describe(path, items) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(f"  {line}:{col or ''} {code}  | {lines[line - 1].strip()}" for line, code, col in sorted(items))


@pytest.mark.parametrize("path", ALL, ids=ident)
def test_findings_match_the_markers(path):
    expected = expected_findings(path)
    source = decode(str(path), path.read_bytes())
    found = check_source(source, Settings(extend_select=selected(path), target_version=target_of(path)))
    got = {(f.line, f.code) for f in found}
    want = {(line, code) for line, code, _ in expected}
    missing = {(line, code, None) for line, code in want - got}
    unexpected = {(line, code, None) for line, code in got - want}
    assert not missing and not unexpected, (
        f"\nmissing (marked, not found):\n{describe(path, missing)}"
        f"\nunexpected (found, not marked):\n{describe(path, unexpected)}")
    for line, code, col in expected:
        if col is not None:
            cols = sorted(f.col + 1 for f in found if f.line == line and f.code == code)
            assert col in cols, f"{code} on line {line}: marked at column {col}, reported at {cols}"


@pytest.mark.parametrize("path", ALL, ids=ident)
def test_fixture_is_well_formed(path):
    text = path.read_text(encoding="utf-8")
    markers = expected_findings(path)
    clean = header(path, "expect") == "no findings"
    assert bool(markers) != clean, "a fixture has markers or says '# expect: no findings', not both"
    if clean:
        assert text.startswith("# expect: no findings\n"), "'# expect: no findings' is the first line"
    lines = text.splitlines()
    for number, code, _ in markers:
        assert code in CODES, f"line {number}: {code} is not a rule of the catalogue"
        assert not lines[number - 1].lstrip().startswith("#"), f"line {number}: a marker on a comment line"
    for code in selected(path):
        assert code in CODES, f"# select: {code} is not a rule of the catalogue"
    if header(path, "target-version") is not None:
        assert re.fullmatch(r"py3\d+", header(path, "target-version"))
    assert not re.search(r"#\s*noqa", text, re.I), "fixtures never use noqa (test_noqa covers it)"
    if runnable(path):
        assert header(path, "runtime") in BEHAVIOURS
        wants = ast.literal_eval(header(path, "wants"))
        if path.parent.name != "fix":  # a fixer input may lack the guard its fix creates
            assert 'if __name__ == "__main__":' in text or "if __name__ == '__main__':" in text
        assert '"STATE:"' in text
        kept = header(path, "kept")
        if kept is not None:
            assert header(path, "runtime") == "lost" and isinstance(wants, dict)
            assert {key.strip() for key in kept.split(",")} <= {str(key) for key in wants}
        before = header(path, "runtime-before")
        if before is not None:
            assert re.fullmatch(r"3\.\d+", before)
        if header(path, "timeout") is not None:
            assert float(header(path, "timeout")) > 0
        if header(path, "runtime") == "kept":
            assert clean or path.parent.name == "fix", "a program that keeps its data has no findings"
    else:
        for name in ("wants", "kept", "runtime-before", "timeout"):
            assert header(path, name) is None, f"'# {name}:' needs '# runtime:'"


def test_every_rule_is_proven_by_a_fixture():
    covered = {code for path in ALL for _, code, _ in expected_findings(path)}
    assert covered >= CODES


def test_every_rule_is_proven_at_run_time():
    """Each rule has a marker in a program that really runs and loses its data (or fails)."""
    proven = {code for path in ALL if header(path, "runtime") not in (None, "kept") and path.parent.name != "fix"
              for _, code, _ in expected_findings(path)}
    assert proven >= CODES, f"no runnable proof for {sorted(CODES - proven)}"


def test_marker_syntax():
    def codes(line):
        match = MARKER.search(line)
        return match.group(1).split() if match else []

    assert codes('d[1].append(4)  # MPP101') == ["MPP101"]
    assert codes('d[1].append(4)  # MPP101 MPP202') == ["MPP101", "MPP202"]
    assert codes('d[1].append(4)  # MPP101:5') == ["MPP101:5"]
    assert codes('d[1].append(4)  # noqa: MPP101') == []
    assert codes('# MPP101 on list items') == []
