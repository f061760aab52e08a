"""Every fixture program gets exactly the findings its inline markers expect."""

from __future__ import annotations

import pytest

from flake8_mpproxy.analysis import check_source
from flake8_mpproxy.catalogue import RULES
from flake8_mpproxy.config import Settings
from flake8_mpproxy.source import decode

from .programs import FIXTURES, expected_findings, header, programs, selected

ALL = programs()


def ident(path) -> str:
    return str(path.relative_to(FIXTURES))


@pytest.mark.parametrize("path", ALL, ids=ident)
def test_findings_match_the_markers(path):
    expected = expected_findings(path)
    source = decode(str(path), path.read_bytes())
    found = check_source(source, Settings(extend_select=selected(path)))
    assert {(f.line, f.code) for f in found} == {(line, code) for line, code, _ in expected}
    for line, code, col in expected:
        if col is not None:
            assert any(f.line == line and f.code == code and f.col + 1 == col for f in found)


@pytest.mark.parametrize("path", ALL, ids=ident)
def test_fixture_is_well_formed(path):
    markers = expected_findings(path)
    clean = header(path, "expect") == "no findings"
    assert bool(markers) != clean, "a fixture has markers or says '# expect: no findings', not both"
    if header(path, "runtime") is not None:
        assert header(path, "wants") is not None
        assert header(path, "runtime") in ("lost", "kept", "error", "crash-under-spawn")


def test_every_rule_is_proven_by_a_fixture():
    covered = {code for path in ALL for _, code, _ in expected_findings(path)}
    assert covered >= {rule.code for rule in RULES}
