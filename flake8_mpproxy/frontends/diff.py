"""The unified diff of a fix, as ``--diff`` prints it and ``git apply`` takes it."""

from __future__ import annotations

import difflib
import os


def unified_diff(path: str, old: str, new: str) -> str:
    """A diff ``git apply`` takes: headed ``a/x.py`` / ``b/x.py`` with the path as git prints it (relative to
    the current directory, no ``./``; an absolute path outside it keeps its slash, as ``git diff
    --no-index`` heads it)."""
    name = diff_path(path)
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def diff_path(path: str) -> str:
    if ":cell " in path or path in ("-", "stdin", "<stdin>"):
        head, sep, cell = path.partition(":cell ")
        return diff_path(head) + sep + cell if sep and head not in ("-", "stdin", "<stdin>") else path
    relative = os.path.relpath(path)
    if relative.startswith(".." + os.sep) or relative == "..":
        return os.path.abspath(path).lstrip(os.sep)
    return relative.replace(os.sep, "/")
