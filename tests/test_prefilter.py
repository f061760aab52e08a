"""The textual prefilter is sound: it never skips a file that has a finding."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flake8_mpproxy.project.context import ProjectContext
from flake8_mpproxy.pipeline.analysis import check_file, check_tree
from flake8_mpproxy.model.catalogue import DEFAULT_OFF
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.model.source import decode, may_have_findings, parse, prefilter_tokens

from .programs import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import generate  # noqa: E402

ALL = Settings(extend_select=DEFAULT_OFF)


def unfiltered_findings(path: Path, settings: Settings = ALL):
    """Findings of the analysis run directly, without the prefilter in front of it."""
    source = decode(str(path), path.read_bytes())
    return check_tree(parse(source), settings), source


def test_prefilter_passes_every_fixture_with_findings():
    checked = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        findings, source = unfiltered_findings(path)
        if findings:
            checked += 1
            assert may_have_findings(source.text, prefilter_tokens()), path
    assert checked >= 30


def test_prefilter_passes_every_synthetic_file_with_findings(tmp_path):
    with_findings = 0
    for path in generate(tmp_path, 80, seed=1):
        findings, source = unfiltered_findings(path)
        with_findings += bool(findings)
        assert may_have_findings(source.text, prefilter_tokens()) or not findings, path
    assert with_findings >= 10


@pytest.mark.parametrize("text", [
    "import os\nx = {}\nx['a'].append(1)\n",
    "from logging import Manager\nm = Manager(None)\n",
    "import weakref\np = weakref.proxy(object)\n",
])
def test_files_without_tokens_have_no_findings_anyway(text, tmp_path):
    path = tmp_path / "f.py"
    path.write_text(text)
    findings, source = unfiltered_findings(path)
    assert not may_have_findings(source.text, prefilter_tokens()) and findings == ()


def test_configured_manager_factories_join_the_tokens(tmp_path):
    assert "make_manager" in prefilter_tokens(["pkg.util.make_manager"])
    path = tmp_path / "app.py"
    path.write_text("from pkg.util import make_manager\n\n\ndef work(m):\n    d = m.dict(a=[])\n"
                    "    d['a'].append(1)\n\n\nwork(make_manager())\n")
    settings = Settings(manager_factories=("pkg.util.make_manager",))
    result = check_file(str(path), path.read_bytes(), settings, ProjectContext())
    assert [f.code for f in result.findings] == ["MPP101", "MPP201"]
    assert check_file(str(path), path.read_bytes(), Settings(), ProjectContext()).findings == ()


def test_every_annotation_the_analysis_knows_lets_a_file_through(tmp_path):
    """The prefilter's tokens come from the API table: a proxy annotation the analysis reads (ConditionProxy
    was once missing from the prefilter's own list) makes the file a candidate, and its finding is reported."""
    from flake8_mpproxy.model.mpapi import PROXY_TYPE_NAMES
    from flake8_mpproxy.frontends.cli import main

    for name, kind in PROXY_TYPE_NAMES.items():
        text = f"def f(p: {name!r}):\n    return p\n"
        assert may_have_findings(text) == (kind != "auto"), name
    path = tmp_path / "cond.py"
    path.write_text('def f(c: "ConditionProxy"):\n    c.locked()\n')
    out = tmp_path / "out.txt"
    assert main(["--isolated", "--target-version", "py39", "-o", str(out), str(path)]) == 1
    assert "cond.py:2:5: MPP107" in out.read_text()


@pytest.mark.parametrize("text", [
    "from multiprocessing import Manager\n", "x: 'SyncManager'\n", "Manager = 1\n", "p: ListProxy\n",
    "# caf\u00e9 DictProxy\n", "s = '\udcff'\nimport multiprocessing\n", "nothing here\n",
])
def test_the_text_and_bytes_prefilters_agree(text):
    from flake8_mpproxy.model.source import may_have_findings_in_bytes

    tokens = prefilter_tokens(["pkg.make_manager"])
    assert may_have_findings(text, tokens) == may_have_findings_in_bytes(text.encode("utf-8", "surrogatepass"), tokens)
    assert may_have_findings(text + "make_manager()\n", tokens)
