"""Paths -> files to check: directory recursion, default and user excludes, stdin, missing paths."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from typing import Iterator, List, Optional, Sequence, Tuple

STDIN = "-"
#: What a directory walk checks: Python files and Jupyter notebooks (as ruff does).
CHECKED_SUFFIXES: Tuple[str, ...] = (".py", ".ipynb")
DEFAULT_EXCLUDES: Tuple[str, ...] = (
    ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", "__pycache__", "build", "dist", ".eggs",
    "*.egg-info", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pypackages__",
)


def excluded(path: str, patterns: Sequence[str]) -> bool:
    """flake8's rule: a pattern matches the base name or the whole (absolute) path."""
    names, paths = _compiled(tuple(patterns))
    if names is not None and names.match(os.path.basename(os.path.normpath(path))):
        return True
    return paths is not None and bool(paths.match(os.path.abspath(path)) or paths.match(path))


@functools.lru_cache(maxsize=8)
def _compiled(patterns: Tuple[str, ...]) -> Tuple[Optional["re.Pattern[str]"], Optional["re.Pattern[str]"]]:
    """One regex for all patterns (base names), one for those that can match a path (they hold a slash)."""
    def join(items: Sequence[str]) -> Optional["re.Pattern[str]"]:
        return re.compile("|".join(fnmatch.translate(p) for p in items)) if items else None

    return join(patterns), join([p for p in patterns if any(c in p for c in "*?[/" + os.sep)])


def iter_files(paths: Sequence[str], exclude: Sequence[str]) -> Iterator[Tuple[str, Optional[str]]]:
    """(path, None) for each file to check, (path, cause) for each path that cannot be checked.

    A file named on the command line is checked whatever its name; directories give their ``*.py`` files and
    Jupyter notebooks (``*.ipynb``; never ``.pyi``) in sorted order, skipping excluded directories and virtualenvs. Symlinked directories are
    not followed, so a link loop cannot hang the walk.
    """
    for path in paths:
        if path == STDIN:
            yield path, None
        elif os.path.isdir(path):
            if not excluded(path, exclude) or path in (".", ".."):
                yield from ((found, None) for found in walk(path, exclude))
        elif os.path.lexists(path) and not os.path.exists(path):
            yield path, "broken symbolic link"
        elif os.path.exists(path):
            yield path, None
        else:
            yield path, "No such file or directory"


def walk(top: str, exclude: Sequence[str]) -> Iterator[str]:
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not skip_directory(os.path.join(root, d), exclude))
        for name in sorted(files):
            full = os.path.join(root, name)
            if name.endswith(CHECKED_SUFFIXES) and not excluded(full, exclude):
                yield full


def skip_directory(path: str, exclude: Sequence[str]) -> bool:
    return excluded(path, exclude) or os.path.exists(os.path.join(path, "pyvenv.cfg"))


def split_list(value: Optional[str]) -> List[str]:
    """``"MPP1, MPP201"`` -> ``["MPP1", "MPP201"]`` (flake8's comma-separated options)."""
    if not value:
        return []
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
