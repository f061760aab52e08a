"""The reason a racing write-back gives names the first child start in the file, whatever the set order."""

from __future__ import annotations

import ast

from flake8_mpproxy.engine.concurrency import PARENT, UNKNOWN, in_source_order


def test_contexts_in_source_order():
    calls = [node for node in ast.walk(ast.parse("a()\nb()\nc(); d()\n")) if isinstance(node, ast.Call)]
    contexts = frozenset({("process", calls[3]), ("thread", calls[1]), PARENT, ("process", calls[0]),
                          UNKNOWN, ("pool", calls[2])})
    assert in_source_order(contexts) == [PARENT, UNKNOWN, ("process", calls[0]), ("thread", calls[1]),
                                         ("pool", calls[2]), ("process", calls[3])]
