"""Registries (engine/registries.py): which functions are registrars, which functions they register, and the
textual test that spares most modules a parse. The flows they feed are in fixtures/inference/registries.py,
fixtures/projects/registry*, fixtures/fix/registries_nested.py."""

from __future__ import annotations

import ast

import pytest

from flake8_mpproxy.engine.registries import (
    MAPPING_STORE, SEQUENCE_STORE, function_tables, may_register, registrars, registrations,
)

REGISTRY = '''
WORKERS = {}
TASKS = []
SEEN = set()


def worker(name):
    def register(func):
        WORKERS[name] = func
        return func
    return register


def task(func):
    TASKS.append(func)
    return func


def later(func, where=0):
    TASKS.insert(where, func)


def remember(func):
    WORKERS.setdefault(func.__name__, func)
    SEEN.add(func)


def not_a_registrar(func):
    local = {}
    local["x"] = func          # a local container
    WORKERS["y"] = len         # not a parameter
    return func
'''


def test_registrars_are_functions_storing_a_parameter_into_a_top_level_container():
    assert registrars(ast.parse(REGISTRY)) == {
        "worker": {"WORKERS": MAPPING_STORE},
        "task": {"TASKS": SEQUENCE_STORE},
        "later": {"TASKS": SEQUENCE_STORE},
        "remember": {"WORKERS": MAPPING_STORE, "SEEN": SEQUENCE_STORE},
    }
    assert registrars(ast.parse(REGISTRY), only={"task"}) == {"task": {"TASKS": SEQUENCE_STORE}}


def test_a_module_without_a_top_level_container_has_no_registrar():
    source = "def worker(func):\n    registry = {}\n    registry['x'] = func\n    return func\n"
    assert registrars(ast.parse(source)) == {}


def test_registrations_are_decorated_top_level_functions_and_top_level_calls_with_one():
    source = '''
from app import registry
from app.registry import worker


@worker("collect")
@functools.lru_cache()
def collect(shared):
    pass


@registry.task
def audit(shared):
    pass


class Job:
    @staticmethod
    def method():
        pass


def tally(shared):
    pass


registry.later(tally)
print(len)
'''
    assert registrations(ast.parse(source)) == [
        ("worker", "collect"), ("functools.lru_cache", "collect"), ("registry.task", "audit"),
        ("registry.later", "tally")]


@pytest.mark.parametrize("source, expected", [
    (REGISTRY, True),
    ("HANDLERS = {}\n\ndef f(x):\n    HANDLERS[x.name] = x\n", True),
    ("ITEMS = []\n\ndef f(x):\n    ITEMS.append(x)\n", True),
    ("def f(x):\n    items = []\n    items.append(x)\n", False),           # no top-level container
    ("ITEMS = []\n\ndef f(x):\n    ITEMS.append(x + 1)\n", False),       # not a bare name
    ("COUNTS = {}\n\ndef f(k):\n    COUNTS[k] = COUNTS.get(k, 0) + 1\n", False),
])
def test_only_a_module_that_may_define_a_registrar_is_parsed_for_one(source, expected):
    assert may_register(source.encode()) is expected


def test_dispatch_tables_are_top_level_displays_of_the_modules_own_functions():
    source = '''
from other import imported


def count(shared):
    pass


def tidy(shared):
    pass


DISPATCH = {"count": count, key(): tidy, "len": len, "imported": imported}
STEPS = [tidy, count]
NAMES = ("count", "tidy")
EMPTY = {}
'''
    assert function_tables(ast.parse(source)) == {
        "DISPATCH": (MAPPING_STORE, (("count", "count"), ("*", "tidy"))),
        "STEPS": (SEQUENCE_STORE, (("*", "tidy"), ("*", "count"))),
    }
