"""The catalogue is the single source of rule facts: its examples prove themselves, the docs come from it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from flake8_mpproxy.analysis import check_tree
from flake8_mpproxy.catalogue import BY_CODE, DEFAULT_OFF, FIX_NONE, RULES
from flake8_mpproxy.config import Settings
from flake8_mpproxy.explain import explain, rule_list, rules_page, with_rule_table

ROOT = Path(__file__).resolve().parent.parent
ALL_CODES = Settings(extend_select=DEFAULT_OFF)


@pytest.mark.parametrize("entry", RULES, ids=lambda r: r.code)
def test_bad_example_gives_exactly_its_code(entry):
    codes = [f.code for f in check_tree(ast.parse(entry.bad), ALL_CODES)]
    assert codes == [entry.code]


@pytest.mark.parametrize("entry", RULES, ids=lambda r: r.code)
def test_good_example_gives_nothing(entry):
    assert check_tree(ast.parse(entry.good), ALL_CODES) == ()


@pytest.mark.parametrize("entry", RULES, ids=lambda r: r.code)
def test_message_renders_from_the_finding(entry):
    (finding,) = check_tree(ast.parse(entry.bad), ALL_CODES)
    assert finding.text.startswith(entry.code + " ")
    assert "{" not in finding.message
    assert finding.fixable == (entry.fix != FIX_NONE)


def test_codes_are_flake8_codes_and_unique():
    assert len(BY_CODE) == len(RULES)
    for entry in RULES:
        assert re.fullmatch(r"[A-Z]{1,3}[0-9]{0,3}", entry.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", entry.name)


def test_readme_rule_table_is_generated_from_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_rule_table(readme) == readme, "run: python scripts/gen_docs.py"


def test_rules_page_is_up_to_date():
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == rules_page(), "run: python scripts/gen_docs.py"


def test_explain_prints_what_why_examples_and_fix():
    text = explain("mpp101")
    for part in ("MPP101 mutation-of-proxy-copy", "Why it is bad:", "Example:", "Use instead:", "Fix: safe"):
        assert part in text
    assert all(entry.code in rule_list() for entry in RULES)
