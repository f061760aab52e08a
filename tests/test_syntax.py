"""Syntax helpers the inference relies on: ``same_code`` must say what comparing ``ast.dump`` says."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from flake8_mpproxy.engine.syntax import reads_same, same_code

ROOT = Path(__file__).resolve().parent.parent
TRICKY = ["1", "1.0", "True", "-0.0", "0.0", "'a'", "b'a'", "x[1]", "x[1.0]", "x[True]", "x[i]", "x[i, j]",
          "x[i:j]", "x[i:]", "f(*a)", "f(a)", "f(a=1)", "d.k", "d['k']", "(lambda: 1)", "[a for a in b]"]


@pytest.mark.parametrize("left, right", list(itertools.product(TRICKY, TRICKY)))
def test_same_code_agrees_with_ast_dump(left, right):
    a, b = ast.parse(left, mode="eval").body, ast.parse(right, mode="eval").body
    assert same_code(a, b) == (ast.dump(a) == ast.dump(b))


def test_same_code_agrees_with_ast_dump_on_the_fixtures():
    nodes = [node for path in sorted((ROOT / "fixtures").rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_bytes())) if isinstance(node, ast.Subscript)]
    by_dump = {}
    for node in nodes:
        by_dump.setdefault(ast.dump(node), []).append(node)
    twins = [group for group in by_dump.values() if len(group) > 1]
    assert twins  # the fixtures do read the same item twice
    for group in twins:
        assert same_code(group[0], group[-1])
    for a, b in zip(nodes, nodes[1:]):
        assert same_code(a, b) == (ast.dump(a) == ast.dump(b))


def test_reads_same_finds_the_item_read_back():
    store = ast.parse("d[k] = 1").body[0].targets[0]  # type: ignore[attr-defined]
    assert reads_same(ast.parse("d[k] + [1]", mode="eval").body, store)
    assert not reads_same(ast.parse("d[j] + [1]", mode="eval").body, store)
    assert not reads_same(ast.parse("e[k] + [1]", mode="eval").body, store)
