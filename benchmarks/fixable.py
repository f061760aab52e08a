"""Corpus 5: one big generated module with N fixable findings, for the cost of ``--fix`` per finding.

The module holds N small functions, each taking a manager dict proxy ``d`` and a key, and each with one finding
that ``--fix`` rewrites on its own (a safe fix):

- even-numbered ``append_NNNNN(d, key, v)``: ``d[key].append(v)`` mutates the copy the proxy returns (MPP101;
  fixed as ``d[key] += [v]``);
- odd-numbered ``alias_NNNNN(d, key)``: ``x = d[key]`` then ``x.append(1)``, never written back (MPP103; fixed by
  adding ``d[key] = x``).

A main guard fills a ``multiprocessing.Manager().dict()`` with a few list values and calls every function with it,
so the analysis knows ``d`` is a proxy in each of them. ``generate(dest, n)`` writes ``dest/fixable.py``; the text
depends only on ``n``.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

#: The keys the main guard stores lists at; function ``i`` works on ``KEYS[i % len(KEYS)]``.
KEYS = tuple(f"k{index}" for index in range(8))
FILE_NAME = "fixable.py"


def function_source(index: int) -> List[str]:
    """The lines of function ``index``: an MPP101 (even) or an MPP103 (odd), each one safe fix."""
    if index % 2 == 0:
        return [f"def append_{index:05}(d, key, v):", "    d[key].append(v)"]
    return [f"def alias_{index:05}(d, key):", "    x = d[key]", "    x.append(1)"]


def call_source(index: int) -> str:
    """The main guard's call of function ``index`` with the proxy."""
    key = KEYS[index % len(KEYS)]
    if index % 2 == 0:
        return f"        append_{index:05}(d, {key!r}, {index})"
    return f"        alias_{index:05}(d, {key!r})"


def fixable_source(n: int) -> str:
    """The module text with ``n`` fixable findings."""
    lines = [f'"""Generated: {n} functions, each with one fixable finding on a manager dict proxy."""',
             "from multiprocessing import Manager"]
    for index in range(n):
        lines += ["", "", *function_source(index)]
    lines += ["", "", 'if __name__ == "__main__":', "    with Manager() as manager:", "        d = manager.dict()",
              f"        for key in {KEYS!r}:", "            d[key] = []"]
    lines += [call_source(index) for index in range(n)]
    lines += ["        print(sorted(d.items()))", ""]
    return "\n".join(lines)


def generate(dest: Path, n: int) -> Path:
    """Write ``dest/fixable.py`` with ``n`` fixable findings and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / FILE_NAME
    path.write_text(fixable_source(n), encoding="utf-8")
    return path


def main() -> None:
    """``python benchmarks/fixable.py N DEST``: write the corpus-5 file, for timing by hand."""
    import sys

    print(generate(Path(sys.argv[2]), int(sys.argv[1])))


if __name__ == "__main__":
    main()
