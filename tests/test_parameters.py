"""engine.parameters: which parameter another module's helper changes in place, read from its text alone.

A copy passed there is changed (then lost unless written back); passed anywhere else it is handed over (the
analysis stops following it). So the reading must not claim a change where the helper may write the copy back
itself, or changes a list of its own.
"""

from __future__ import annotations

import ast
import textwrap

from flake8_mpproxy.engine.parameters import changed_parameters


def read(source: str) -> dict:
    return {name: sorted(found) for name, found in changed_parameters(ast.parse(textwrap.dedent(source))).items()}


def test_in_place_changes_of_one_parameter_count():
    assert read("""
        def append(items, v): items.append(v)
        def store(table, key, v): table[key] = v
        def deep(table, key): table[key]["n"] = 1
        def extend(items, more): items += more
        def drop(table, key): del table[key]
        def attribute(record, v): record.total = v
        def positional_only(a, /, items): items.insert(0, a)
    """) == {"append": [0], "store": [0], "deep": [0], "extend": [0], "drop": [0], "attribute": [0],
             "positional_only": [1]}


def test_through_another_function_of_the_module_to_a_fixed_point():
    assert read("""
        def outer(v, items): middle(items, v)
        def middle(items, v): inner(v, items)
        def inner(v, items): items.append(v)
    """) == {"outer": [1], "middle": [0], "inner": [1]}


def test_no_claim_where_the_helper_may_write_back_or_changes_its_own_list():
    assert read("""
        def writes_back(store, key, items): items.append(1); store[key] = items
        def rebinds(items): items = list(items); items.append(1)
        def loop_rebinds(items):
            for items in ([],): items.append(1)
        def nested_only(items):
            def later(): items.append(1)
            return later
        def reads(items): return len(items)
        def returns_it(items, v): items.append(v); return items
        def returns_a_view(items): items.sort(); return items[0], len(items)
        def recursive(items): recursive(items)
    """) == {}
