"""Count how often the analysis walks each file: run as a script, in a process of its own.

    python benchmarks/walks.py < paths.txt     # one path a line; prints one JSON object

Each file is checked alone, in this process (``cli.main(["-j1", ...])``, so no worker process hides the count),
and the walks it took are read from a counter. Printed: ``{"source": how the walks were counted, "files":
{path: {"modules": walks of the module body, "units": walks of any unit (module body or function), "unit_count":
functions and lambdas + 1}}}``, or ``{"source": null, "note": why nothing could be counted}``.

Where the count comes from, in order:

1. The engine's own counter, ``flake8_mpproxy.engine.WALKS`` (the solver's): a mapping, or a function returning
   one, with ``"modules"`` (walks of a module body) and ``"units"`` (walks of any unit, the module body
   included) that only ever grow. ``walk_count`` / ``WALK_COUNT`` / ``walks`` are probed too, as such a mapping
   or as a plain int (then counted as module walks).
2. The first version's engine, which has no counter: ``Walker.walk_module`` and ``Walker.walk_function`` are
   wrapped here (from outside; the package is not changed).
3. Neither: nothing is counted, and the note says so; the benchmark prints it instead of a row.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import sys
from collections import Counter
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

COUNTER_NAMES = ("WALKS", "walk_count", "WALK_COUNT", "walks")


def engine_counter(inference: Any) -> Tuple[Optional[str], Optional[Callable[[], Counter]]]:
    """The engine's own counter, as a function returning a snapshot, and its name; (None, None) if it has none."""
    for name in COUNTER_NAMES:
        if not hasattr(inference, name):
            continue

        def snapshot(name: str = name) -> Counter:
            value = getattr(inference, name)  # read each time: an int is rebound, not changed in place
            value = value() if callable(value) and not isinstance(value, Mapping) else value
            if isinstance(value, Mapping):
                return Counter({key: int(value.get(key, 0)) for key in ("modules", "units")})
            return Counter({"modules": int(value)})

        try:
            snapshot()
        except (TypeError, ValueError):
            continue  # not a counter after all
        return f"flake8_mpproxy.engine.{name}", snapshot
    return None, None


def wrapped_counter(inference: Any) -> Tuple[Optional[str], Optional[Callable[[], Counter]]]:
    """Count the first version's walks by wrapping its two walk methods; (None, None) if they are not there."""
    walker = getattr(inference, "Walker", None)
    if walker is None or not hasattr(walker, "walk_module") or not hasattr(walker, "walk_function"):
        return None, None
    counts: Counter = Counter()
    walk_module, walk_function = walker.walk_module, walker.walk_function

    def counted_module(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["modules"] += 1
        counts["units"] += 1
        return walk_module(self, *args, **kwargs)

    def counted_function(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["units"] += 1
        return walk_function(self, *args, **kwargs)

    walker.walk_module, walker.walk_function = counted_module, counted_function
    return "Walker.walk_module/walk_function, wrapped by the benchmark", lambda: Counter(counts)


def unit_count(path: str) -> int:
    """The units of a file as the analysis sees them: the module body, each function and each lambda."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (SyntaxError, ValueError, OSError):
        return 0
    return 1 + sum(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for node in ast.walk(tree))


def count(paths: list) -> Dict[str, Any]:
    import flake8_mpproxy.engine as inference
    from flake8_mpproxy.frontends import cli
    source, snapshot = engine_counter(inference)
    if snapshot is None:
        source, snapshot = wrapped_counter(inference)
    if snapshot is None:
        return {"source": None, "note": "flake8_mpproxy.engine has no walk counter (TODO: WALKS) and no "
                                        "Walker.walk_module to wrap"}
    files = {}
    for path in paths:
        before = snapshot()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            cli.main(["-j1", "-q", "--isolated", "--no-respect-gitignore", path])
        after = snapshot()
        files[path] = {"modules": after["modules"] - before["modules"], "units": after["units"] - before["units"],
                       "unit_count": unit_count(path)}
    return {"source": source, "files": files}


def main() -> int:
    paths = [line.strip() for line in sys.stdin if line.strip()]
    print(json.dumps(count(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
