"""The uses known to behave the same on a nested proxy: the one list ``--fix-style auto`` trusts.

``--fix-style auto`` may store a nested proxy (``d[k] = manager.list()``) instead of writing each changed copy
back. That changes the type of every value the program reads from the container: where it saw a ``list`` it
now sees a ``ListProxy``. Some uses cannot tell (``v.append(x)``, ``len(v)``, ``for x in v``), others can
(``v == [1]``, ``sum(d.values(), [])``, ``json.dumps(v)``, ``d.copy()`` read after the manager shut down).

The engine names every use of a proxy and of the values read from it (:func:`value_use` spells the names);
auto stores a nested proxy only when each of them is in :data:`SAME_ON_NESTED` for the stored value's type.
A use the engine cannot name is recorded with a description, which no entry matches: so anything not proven
keeps the write-back. Each entry carries the code that proves it: ``tests/test_nested_uses.py`` runs it on a
plain value and on a nested proxy, in a child started with spawn and with fork, and requires the same result.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Tuple

#: The stored value's types the nested form can make (``manager.list()``, ``manager.dict()``).
NESTED_KINDS: Tuple[str, ...] = ("list", "dict")

#: use -> stored value's type -> code proving it: run with ``v`` bound to the value (a list ``[1, 2, 3]`` or a
#: dict ``{"a": 1, "b": 2}``, plain or nested), it sets ``r`` to what the program would see. Results are
#: compared after converting proxies in them to plain values (``list(r)``/``dict(r)``) only where the entry's
#: code does so itself: a proxy left in ``r`` fails the test.
SAME_ON_NESTED: Dict[str, Dict[str, str]] = {
    "method:append": {"list": "v.append(4); r = list(v)"},
    "method:extend": {"list": "v.extend([4, 5]); r = list(v)"},
    "method:insert": {"list": "v.insert(0, 9); r = list(v)"},
    "method:pop": {"list": "r = (v.pop(), v.pop(0), list(v))", "dict": "r = (v.pop('a'), v.pop('z', 0), dict(v))"},
    "method:remove": {"list": "v.remove(2); r = list(v)"},
    "method:index": {"list": "r = v.index(2)"},
    "method:count": {"list": "r = v.count(2)"},
    "method:reverse": {"list": "v.reverse(); r = list(v)"},
    "method:sort": {"list": "v.sort(reverse=True); r = list(v)"},
    "method:get": {"dict": "r = (v.get('a'), v.get('z'), v.get('z', 0))"},
    "method:keys": {"dict": "r = sorted(v.keys())"},
    "method:values": {"dict": "r = sorted(v.values())"},
    "method:items": {"dict": "r = sorted(v.items())"},
    "method:update": {"dict": "v.update({'c': 3}, d=4); r = dict(v)"},
    "method:setdefault": {"dict": "r = (v.setdefault('a', 0), v.setdefault('z', 5), dict(v))"},
    "method:popitem": {"dict": "r = (v.popitem(), dict(v))"},
    "method:clear": {"dict": "v.clear(); r = dict(v)"},
    "method:copy": {"dict": "c = v.copy(); c['z'] = 0; r = (type(c).__name__, c, dict(v))"},
    "subscript": {"list": "r = (v[0], v[-1])", "dict": "r = v['a']"},
    "store-item": {"list": "v[0] = 7; r = list(v)", "dict": "v['a'] = 7; v['z'] = 8; r = dict(v)"},
    "delete-item": {"list": "del v[0]; r = list(v)", "dict": "del v['a']; r = dict(v)"},
    "len": {"list": "r = len(v)", "dict": "r = len(v)"},
    "truth": {"list": "r = (bool(v), not v, 'yes' if v else 'no')", "dict": "r = (bool(v), not v)"},
    "in": {"list": "r = (2 in v, 7 in v, 7 not in v)", "dict": "r = ('a' in v, 'z' in v)"},
    # Iterating a dict proxy that came out of another proxy fails on every version measured (3.9 to 3.13:
    # ``AttributeError: 'NoneType' object has no attribute '_registry'`` from the iterator proxy it asks its
    # manager for, and it has none): ``for k in v``, ``list(v)``, ``sorted(v)`` of a dict value are not proven.
    "iter": {"list": "r = [x for x in v]"},
    "converted": {"list": "c = list(v); r = (type(c).__name__, c, sorted(v), tuple(v))"},
    "converted with dict()": {"dict": "c = dict(v); r = (type(c).__name__, c)"},
    "augmented +=": {"list": "w = v; w += [4]; r = list(v)"},
}

#: Uses of the container itself (the proxy whose values would be nested): use -> container's type -> code
#: run with ``c`` bound to ``[[1, 2], [3]]`` / ``{"a": [1, 2], "b": [3]}`` or to a list/dict proxy holding
#: nested list proxies in their place. Its other methods compare, sort, hand out or snapshot the stored values
#: (``c.index([1, 2])``, ``c.copy()``, ``c.pop(k)`` whose result the analysis does not follow): not listed.
CONTAINER_SAME: Dict[str, Dict[str, str]] = {
    "container:append": {"list": "c.append([9]); r = len(c)"},
    "container:extend": {"list": "c.extend([[9]]); r = len(c)"},
    "container:insert": {"list": "c.insert(0, [9]); r = len(c)"},
    "container:reverse": {"list": "c.reverse(); r = len(c)"},
    "container:keys": {"dict": "r = sorted(c.keys())"},
    "container:update": {"dict": "c.update({'z': [9]}); r = sorted(c.keys())"},
    "container:clear": {"dict": "c.clear(); r = len(c)"},
    "container:pop, result unused": {"list": "c.pop(); r = len(c)", "dict": "c.pop('a'); r = sorted(c.keys())"},
    "container:popitem, result unused": {"dict": "c.popitem(); r = len(c)"},
    # (dict keys are unique: sorting the items never compares two values)
    "container:sorted(items())": {"dict": "r = [(k, list(v)) for k, v in sorted(c.items())]"},
}

#: How the engine names the uses (in :data:`SAME_ON_NESTED` and in the descriptions it records for others).
METHOD_PREFIX = "method:"


def method_use(method: str) -> str:
    """The use ``value.method(...)``."""
    return f"{METHOD_PREFIX}{method}"


CONTAINER_PREFIX = "container:"


def container_use(method: str) -> str:
    """The use ``proxy.method(...)`` of the container whose values would be nested."""
    return f"{CONTAINER_PREFIX}{method}"


def same_on_nested(use: str, kind: str) -> bool:
    """Does ``use`` behave the same when the values (of type ``kind``) are nested proxies? (A container use
    does not depend on the values' type: proven once for each container type, it holds for both.)"""
    if use.startswith(CONTAINER_PREFIX):
        return use in CONTAINER_SAME
    return kind in SAME_ON_NESTED.get(use, {})


def blocking(uses: Iterable[str], kinds: Iterable[str]) -> List[str]:
    """The uses that keep auto from storing nested proxies of every type in ``kinds`` (all of them when the
    type is not known): sorted, each once."""
    wanted = [kind for kind in kinds if kind in NESTED_KINDS] or list(NESTED_KINDS)
    return sorted({use for use in uses if not all(same_on_nested(use, kind) for kind in wanted)})


def describe(use: str) -> str:
    """A use as a message says it: ``method:copy`` -> ``passed through .copy()``; descriptions stay as they are."""
    if use.startswith(METHOD_PREFIX):
        return f"used with .{use[len(METHOD_PREFIX):]}()"
    if use.startswith(CONTAINER_PREFIX):
        method = use[len(CONTAINER_PREFIX):]
        return CONTAINER_WORDS.get(method, f"handled by the container's .{method}()")
    return {"subscript": "indexed", "store-item": "assigned an item", "delete-item": "deleted from",
            "len": "measured with len()", "truth": "tested for truth", "in": "searched with in",
            "iter": "iterated", "converted": "converted with list()", "converted with dict()": "converted with dict()",
            "augmented +=": "extended with +="}.get(use, use)


#: How a message says a container use the table does not prove.
CONTAINER_WORDS = {"copy": "copied whole with .copy()", "pop": "taken out with .pop()",
                   "popitem": "taken out with .popitem()", "index": "searched with .index()",
                   "count": "counted with .count()", "remove": "searched with .remove()",
                   "sort": "compared by .sort()", "__reversed__": "reversed"}
