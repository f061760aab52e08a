"""A call-chain corpus: does a finding at the bottom of a long chain of helpers survive?

Each file passes a dict proxy from its main guard through ``f0 -> f1 -> ... -> f{depth-1}``; the last function
mutates a copy read from it (``d[k].append(x)``: MPP101). The order the functions are written in is what tests
the analysis:

- ``callers-first``: each function above the one it calls (how most people write top-down code). An engine that
  walks the module again until facts settle needs one walk per level; on the first version (8 passes at most)
  depth 9 and more lost the finding without a word.
- ``callees-first``: each function below the one it calls, so facts flow down in the order of the text.
- ``mutual``: the same chain, callers first, whose bottom also calls ``f0`` again (recursion through the whole
  chain), so facts about the parameters must settle around a cycle.

``generate(dest, depths)`` writes one file per depth and order and returns where the finding must be reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Tuple

ORDERS: Tuple[str, ...] = ("callers-first", "callees-first", "mutual")
DEPTHS: Tuple[int, ...] = (5, 8, 9, 10, 20, 50)


@dataclass(frozen=True)
class Chain:
    """One generated file and the line where MPP101 is expected."""

    path: Path
    depth: int
    order: str
    line: int


def chain_source(depth: int, order: str) -> Tuple[str, int]:
    """The module text and the 1-based line of the mutation at the bottom of the chain."""
    functions = []
    for level in range(depth):
        if level < depth - 1:
            body = [f"    f{level + 1}(d, k, x)"]
        else:
            body = ["    d[k].append(x)"]
            if order == "mutual":
                body.append("    if x > 0:\n        f0(d, k, x - 1)")
        functions.append([f"def f{level}(d, k, x):", *"\n".join(body).split("\n")])
    if order == "callees-first":
        functions.reverse()
    lines = ['"""Call chain of depth %d, %s."""' % (depth, order), "from multiprocessing import Manager"]
    mutation = 0
    for function in functions:
        lines += ["", ""]
        if function[0].startswith(f"def f{depth - 1}("):
            mutation = len(lines) + 2  # 1-based line of the body's first statement
        lines += function
    lines += ["", "", 'if __name__ == "__main__":', "    with Manager() as manager:", "        d = manager.dict()",
              '        d["a"] = []', '        f0(d, "a", 1)', '        print(d["a"])', ""]
    return "\n".join(lines), mutation


def generate(dest: Path, depths: Iterable[int] = DEPTHS, orders: Iterable[str] = ORDERS) -> List[Chain]:
    """Write ``chain_<order>_<depth>.py`` for every depth and order under ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    chains = []
    for depth in depths:
        for order in orders:
            text, line = chain_source(depth, order)
            path = dest / f"chain_{order.replace('-', '_')}_{depth:03}.py"
            path.write_text(text, encoding="utf-8")
            chains.append(Chain(path, depth, order, line))
    return chains
