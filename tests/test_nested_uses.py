"""The uses ``--fix-style auto`` trusts with a nested proxy (``model/nested.py``): each entry proven at run time,
and the engine naming every use so that anything not proven keeps the write-back.

The runtime half runs every entry's code on a nested proxy in a child started with spawn and with fork and
requires what the same code gives on a plain value. The fast half fixes small programs with ``auto``: one use
each, proven ones get the nested proxy, every other use the write-back."""

from __future__ import annotations

import multiprocessing
from typing import Any, Dict, List, Tuple

import pytest

from flake8_mpproxy.pipeline.analysis import check_source
from flake8_mpproxy.fixer import fix_source
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.model.nested import CONTAINER_SAME, SAME_ON_NESTED, blocking, describe, same_on_nested
from flake8_mpproxy.model.source import decode

from .programs import START_METHODS

#: (use, type of the stored value or of the container, code, is it a container use)
ENTRIES: List[Tuple[str, str, str, bool]] = sorted(
    [(use, kind, code, False) for use, kinds in SAME_ON_NESTED.items() for kind, code in kinds.items()]
    + [(use, kind, code, True) for use, kinds in CONTAINER_SAME.items() for kind, code in kinds.items()])


def plain_value(kind: str) -> Any:
    return [1, 2, 3] if kind == "list" else {"a": 1, "b": 2}


def plain_container(kind: str) -> Any:
    return [[1, 2], [3]] if kind == "list" else {"a": [1, 2], "b": [3]}


def nested_value(manager: Any, kind: str) -> Any:
    return manager.list(plain_value(kind)) if kind == "list" else manager.dict(plain_value(kind))


def nested_container(manager: Any, kind: str) -> Any:
    if kind == "list":
        return manager.list([manager.list([1, 2]), manager.list([3])])
    return manager.dict({"a": manager.list([1, 2]), "b": manager.list([3])})


def run_entry(code: str, value: Any, container: bool) -> Tuple[str, str]:
    """What the entry's code leaves in ``r``, as text (a proxy left in it prints as one and differs), or the
    exception it raised."""
    scope: Dict[str, Any] = {"c" if container else "v": value}
    try:
        exec(code, scope)
    except Exception as error:  # the difference to report, not a failure of the harness
        return "error", type(error).__name__
    return "ok", repr(scope["r"])


def child(store: Any, entries: List[Tuple[str, str, str, bool]], results: Any) -> None:
    """In a child process: each entry's code on the nested proxy the parent stored for it."""
    for index, (_, _, code, container) in enumerate(entries):
        results[index] = run_entry(code, store[index], container)


@pytest.fixture(scope="module")
def nested_results() -> Dict[str, Dict[int, Tuple[str, str]]]:
    """Per start method: each entry's result on a nested proxy, in a child started with that method."""
    found: Dict[str, Dict[int, Tuple[str, str]]] = {}
    for method in START_METHODS:
        with multiprocessing.Manager() as manager:
            store = manager.list([nested_container(manager, kind) if container else nested_value(manager, kind)
                                  for _, kind, _, container in ENTRIES])
            results = manager.dict()
            process = multiprocessing.get_context(method).Process(target=child, args=(store, ENTRIES, results))
            process.start()
            process.join(120)
            assert process.exitcode == 0, f"the child under {method} exited with {process.exitcode}"
            found[method] = dict(results)
    return found


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e[0]}-{e[1]}")
def test_each_proven_use_behaves_the_same_on_a_nested_proxy(entry, method, nested_results):
    use, kind, code, container = entry
    plain = run_entry(code, plain_container(kind) if container else plain_value(kind), container)
    assert plain[0] == "ok", f"the entry's own code fails on a plain {kind}: {plain}"
    assert nested_results[method][ENTRIES.index(entry)] == plain


@pytest.mark.runtime
def test_the_harness_tells_a_use_that_differs():
    """The same harness on uses known to differ: a nested proxy is no list to compare, add or serialise."""
    differing = ["r = v == [1, 2, 3]", "r = [0] + v", "import json; r = json.dumps(v)", "r = isinstance(v, list)"]
    with multiprocessing.Manager() as manager:
        for code in differing:
            assert run_entry(code, nested_value(manager, "list"), False) != run_entry(code, [1, 2, 3], False), code


# --- the engine names each use; auto nests only where every one is proven -------------------------------------

PROGRAM = '''from multiprocessing import Manager, Pool
import json


def work(d, n):
    d["a"].append(n)


def main():
    with Manager() as m:
        d = m.dict(a=[1], b=[2])
        with Pool(2) as pool:
            pool.starmap(work, [(d, 1), (d, 2)])
        v = d["a"]
{use}
'''

#: A use per proven entry, in the program above (``v`` a value read from ``d``, ``d`` the container).
PROVEN_LINES = {
    "method:index": "        print(v.index(1))",
    "method:count": "        n = v.count(1)",
    "method:reverse": "        v.reverse()",
    "subscript": "        first = v[0]",
    "len": "        n = len(v)",
    "truth": "        if v:\n            pass",
    "in": "        found = 1 in v",
    "iter": "        for x in v:\n            pass",
    "converted": "        rows = list(v)",
    "container:keys": "        keys = d.keys()",
    "container:update": "        d.update(b=[3])",
    "container:pop, result unused": "        d.pop('b')",
    "container:sorted(items())": "        for key, rows in sorted(d.items()):\n            n = len(rows)",
}

#: Uses nothing proves: each keeps auto from nesting.
UNPROVEN_LINES = {
    "compared": "        same = v == [1]",
    "json": "        text = json.dumps(v)",
    "flattened": "        flat = sum(d.values(), [])",
    "snapshot": "        snap = d.copy()",
    "snapshot with **": "        snap = {**d}",
    "snapshot with dict()": "        snap = dict(d)",
    "sorted values": "        ordered = sorted(d.values())",
    "added": "        total = [0] + v",
    "isinstance": "        kind = isinstance(v, list)",
    "yielded": "        x = (yield v)",
    "returned": "        return v",
    "sorted with a key": "        v.sort(key=len)",
    "copy of a list": "        c = v.copy()",
    "popped and used": "        x = d.pop('a')",
    "printed": "        print(d)",
    "formatted": "        text = f'{v}'",
    "changed inside": "        v[0].append(1)",
    "attribute": "        size = v.__len__",
    "negated": "        n = -v",
    "a context manager": "        with v:\n            pass",
    "listed then compared": "        rows = [v]\n        same = rows[0] == [1]",
}


def fixed_with_auto(program: str) -> str:
    source = decode("t.py", program.encode())
    result = fix_source(source, check_source(source, Settings()), Settings(), unsafe=True, style="auto")
    assert result.error is None, result.error
    return result.text


def test_every_proven_use_has_a_program():
    assert {use for use in PROVEN_LINES} <= set(SAME_ON_NESTED) | set(CONTAINER_SAME)


@pytest.mark.parametrize("use", sorted(PROVEN_LINES))
def test_auto_nests_where_every_use_is_proven(use):
    fixed = fixed_with_auto(PROGRAM.format(use=PROVEN_LINES[use]))
    assert 'd = m.dict(a=m.list([1]), b=[2])' in fixed, fixed


@pytest.mark.parametrize("use", sorted(UNPROVEN_LINES))
def test_any_other_use_keeps_auto_from_nesting(use):
    fixed = fixed_with_auto(PROGRAM.format(use=UNPROVEN_LINES[use]))
    assert "m.list(" not in fixed, fixed


def test_a_use_at_another_constant_key_does_not_decide():
    """``d["b"] == [2]`` tells about the value at "b" only: auto still nests "a"."""
    fixed = fixed_with_auto(PROGRAM.format(use="        same = d['b'] == [2]"))
    assert 'd = m.dict(a=m.list([1]), b=[2])' in fixed, fixed


def test_a_use_at_a_variable_key_decides_for_every_key():
    fixed = fixed_with_auto(PROGRAM.format(use="        k = 'b'\n        same = d[k] == [2]"))
    assert "m.list(" not in fixed, fixed


def test_blocking_uses_are_described_for_the_message():
    assert blocking(["method:append", "len", "compared (==, is, <)"], ["list"]) == ["compared (==, is, <)"]
    assert blocking(["method:append"], ["dict"]) == ["method:append"]
    assert blocking(["method:keys"], []) == ["method:keys"]  # unknown type: proven for both or not at all
    assert describe("method:append") == "used with .append()" and describe("container:copy") == \
        "copied whole with .copy()"
    assert same_on_nested("container:keys", "list") and not same_on_nested("container:copy", "dict")


DICT_PROGRAM = '''from multiprocessing import Manager, Pool


def work(d, n):
    d["a"].update(x=n)


def main():
    with Manager() as m:
        d = m.dict(a={}, b={})
        with Pool(2) as pool:
            pool.starmap(work, [(d, 1), (d, 2)])
        v = d["a"]
{use}
'''


@pytest.mark.parametrize("use, nested", [
    ("        names = sorted(v.keys())", True),
    ("        n = v.get('x')", True),
    ("        plain = dict(v)", True),
    ("        for name in v:\n            pass", False),  # iterating a nested dict proxy fails (see model/nested.py)
    ("        names = list(v)", False),
    ("        names = sorted(v)", False),
])
def test_dict_values_nest_only_where_the_dict_uses_are_proven(use, nested):
    fixed = fixed_with_auto(DICT_PROGRAM.replace("{use}", use))
    assert ("d = m.dict(a=m.dict(), b={})" in fixed) == nested, fixed


def test_a_use_only_an_earlier_walk_saw_does_not_decide():
    """The pool worker ``run`` is first walked before the class registry it calls into is known: that walk sees
    ``Jobs.handlers[name](shared, value)`` as a call of something unknown (a use nothing proves). Walked again
    once the registry is known, the call is followed; the stale use must go with the stale walk, so auto nests
    (the program's own uses are ``sorted(...)`` and ``list(...)`` of the values: proven)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "fixtures" / "inference" / "registry_class_attribute.py"
    fixed = fixed_with_auto(path.read_text(encoding="utf-8"))
    assert "shared = manager.dict(items=manager.list(), log=manager.list())" in fixed, fixed
