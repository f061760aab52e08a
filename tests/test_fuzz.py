"""Fuzzing: no exception escapes the analysis, and every --fix output parses, is idempotent, and leaves files
without findings byte-identical. Short by default; ``pytest tests/test_fuzz.py --fuzz-examples 2000`` is the
long run (each test prints how many programs it ran)."""

from __future__ import annotations

import ast
from typing import List

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_mpproxy.pipeline.analysis import check_source, check_tree
from flake8_mpproxy.model.catalogue import DEFAULT_OFF
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.fixer import fix_source
from flake8_mpproxy.model.source import SourceError, SourceFile

ALL = Settings(extend_select=DEFAULT_OFF)
SHORT_RUN = 30

#: Statements about managers and proxies, in every trap and correct form, to build programs from.
SNIPPETS = [
    "d[k].append(v)", "d[k][0] = v", "del d[k][0]", "d[k][0] += 1", "d.setdefault(k, []).append(v)",
    "d.get(k).add(v)", "x = d[k]", "x.append(v)", "d[k] = x", "d[k] += [v]", "d[k] = d[k] + [v]",
    "d[k] = []", "d[k] = {}", "d[k] = m.list()", "d[k] = m.dict()", "l[0].sort()", "l.clear()", "d |= {k: v}",
    "ns.items.append(v)", "ns._x = v", "ns.cfg[k] = v", "for key, value in d.items():\n    value.append(v)",
    "for value in d.values():\n    value.append(v)", "for value in l:\n    value.append(v)",
    "if v:\n    d[k].append(v)", "while d[k].pop():\n    pass", "f = lambda: d[k].append(v)",
    "[d[k].append(i) for i in range(2)]", "with lock:\n    d[k] += 1", "d[next(it)].append(v)",
    "y = d[k].pop()", "d.update({k: v})", "l += [v]", "q.put(v)", "p = Process(target=child, args=(d,))",
    "p = Process(target=child, args=(m,))", "g = d", "g[k].append(v)", "return d[k]", "v = d[k][0]",
]
MODULE_SNIPPETS = ["m2 = Manager()", "d2 = m2.dict()", "import os", "CONST = 1"]


def fuzz_settings(request) -> settings:
    count = request.config.getoption("--fuzz-examples") or SHORT_RUN
    return settings(max_examples=count, deadline=None, derandomize=count == SHORT_RUN,
                    suppress_health_check=list(HealthCheck))


def build_program(body: List[str], module: List[str], guard: bool) -> str:
    lines = ["from multiprocessing import Manager, Process", "", *module, "", "",
             "def child(d, k='a', v=1, l=None, ns=None, lock=None, q=None, m=None, it=None):"]
    for snippet in body or ["pass"]:
        lines += ["    " + part for part in snippet.splitlines()]
    lines += ["", ""]
    main = ["with Manager() as m:", "    d = m.dict(a=[1], b={})", "    child(d, 'a', 1, m.list([[2, 1]]),"
            " m.Namespace(items=[], cfg={}), m.Lock(), m.Queue(), m, iter(['a']))"]
    if guard:
        lines += ['if __name__ == "__main__":'] + ["    " + line for line in main]
    else:
        lines += main
    return "\n".join(lines) + "\n"


def check_fix_properties(text: str, unsafe: bool, style: str) -> bool:
    """The fix invariants; returns whether the fixer changed anything."""
    source = SourceFile("fuzz.py", text.encode(), text, "utf-8")
    findings = check_source(source, ALL)
    result = fix_source(source, findings, ALL, unsafe=unsafe, style=style)
    assert result.error is None, result.error
    ast.parse(result.text)
    if not findings:
        assert result.text == text
    again = fix_source(SourceFile("fuzz.py", b"", result.text, "utf-8"),
                       check_source(SourceFile("fuzz.py", b"", result.text, "utf-8"), ALL), ALL,
                       unsafe=unsafe, style=style)
    assert not again.changed, "a second --fix changed the file"
    return result.changed


@pytest.fixture
def counter(request, capsys):
    seen: List[bool] = []
    yield seen
    with capsys.disabled():
        print(f"\n{request.node.name}: {len(seen)} programs, {sum(seen)} changed by --fix")


def test_analysis_never_raises_on_generated_programs(request, counter):
    @fuzz_settings(request)
    @given(hypothesmith.from_grammar())
    def run(text):
        counter.append(False)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return  # hypothesmith's grammar is a little wider than CPython's parser
        try:
            check_tree(tree, ALL)
        except SourceError:
            pass  # "nesting too deep to analyse" is a clean per-file error

    run()


def test_analysis_never_raises_on_generated_syntax_trees(request, counter):
    @fuzz_settings(request)
    @given(hypothesmith.from_node())
    def run(text):
        counter.append(False)
        check_tree(ast.parse(text), ALL)

    run()


def test_fix_properties_on_proxy_programs(request, counter):
    @fuzz_settings(request)
    @given(st.lists(st.sampled_from(SNIPPETS), max_size=8), st.lists(st.sampled_from(MODULE_SNIPPETS), max_size=3),
           st.booleans(), st.booleans(), st.sampled_from(["reassign", "nested", "auto"]))
    def run(body, module, guard, unsafe, style):
        text = build_program(body, module, guard)
        ast.parse(text)
        counter.append(check_fix_properties(text, unsafe, style))

    run()
