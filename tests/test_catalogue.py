"""The catalogue is the single source of rule facts: its examples prove themselves, the docs come from it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from flake8_mpproxy.pipeline.analysis import check_tree
from flake8_mpproxy.model.catalogue import BY_CODE, DEFAULT_OFF, FIX_NONE, RULES
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.frontends.explain import explain, rule_list, rules_page, with_rule_table

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


# --- the rule registry: each catalogue code has one rule module ----------------------------------------------

RULES_DIR = ROOT / "flake8_mpproxy" / "rules"


def _rule_modules():
    """Every rule module file in flake8_mpproxy/rules/ (all but the package and its reporter), imported (also one
    the catalogue forgot to name)."""
    import importlib

    return {path.stem: importlib.import_module(f"flake8_mpproxy.rules.{path.stem}")
            for path in sorted(RULES_DIR.glob("*.py")) if path.stem not in ("__init__", "reporter")}


def test_every_catalogue_code_has_exactly_one_rule_module():
    owners = {}
    for name, module in _rule_modules().items():
        for code in module.CODES:
            owners.setdefault(code, []).append(name)
    assert {code: names for code, names in owners.items() if len(names) != 1} == {}
    assert set(owners) == set(BY_CODE), "a code without a rule module, or a rule module for an unknown code"
    for entry in RULES:
        assert owners[entry.code] == [entry.module], f"{entry.code}: catalogue names {entry.module!r}"


def test_the_registry_loads_the_modules_the_catalogue_names_and_each_observation_has_a_rule():
    from flake8_mpproxy import rules
    from flake8_mpproxy.engine.observations import OBSERVATIONS

    assert [module.name for module in rules.MODULES] == list(dict.fromkeys(entry.module for entry in RULES))
    assert set(_rule_modules()) == {module.name for module in rules.MODULES}
    handled = {kind for module in rules.MODULES for kind in module.handles}
    assert handled == set(OBSERVATIONS)


def test_only_rules_with_an_enabled_code_hear_observations():
    from flake8_mpproxy import rules
    from flake8_mpproxy.engine.observations import CopyMutated, ManagerStarted

    only_201 = rules.handlers_for(frozenset({"MPP201"}))
    assert set(only_201) == {ManagerStarted}
    assert CopyMutated in rules.handlers_for(frozenset({"MPP101"}))


def test_a_deselected_rule_reports_nothing_while_the_others_still_do(tmp_path):
    from flake8_mpproxy.frontends.cli import main

    source = tmp_path / "m.py"
    source.write_text(BY_CODE["MPP201"].bad + "\n" + BY_CODE["MPP101"].bad.replace("if __name__", "if False and __name__"))
    out = tmp_path / "out.txt"
    main(["--isolated", "--select", "MPP101", "-o", str(out), str(source)])
    only_101 = out.read_text()
    main(["--isolated", "--select", "MPP101,MPP201", "-o", str(out), str(source)])
    both = out.read_text()
    assert "MPP101" in only_101 and "MPP201" not in only_101
    assert "MPP101" in both and "MPP201" in both
