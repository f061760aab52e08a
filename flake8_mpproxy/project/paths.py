"""Paths and the globs that skip them: the primitives every walk of the project shares (the command's file
walk, the project scan, the cache's folder), below all of them."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from typing import List, Optional, Sequence, Tuple

from .gitignore import GitIgnore

#: The result cache's folder in a project root (``--cache-dir`` moves it).
CACHE_DIR_NAME = ".flake8-mpproxy_cache"
#: The result cache's default folder holds no module: no walk enters it (ruff's walk skips .ruff_cache too).
RESULT_CACHE = CACHE_DIR_NAME
#: What a directory walk checks: Python files and Jupyter notebooks (as ruff does).
CHECKED_SUFFIXES: Tuple[str, ...] = (".py", ".ipynb")
DEFAULT_EXCLUDES: Tuple[str, ...] = (
    ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", "__pycache__", "build", "dist", ".eggs",
    "*.egg-info", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "__pypackages__",
)



def excluded(path: str, patterns: Sequence[str], absolute: Optional[str] = None) -> bool:
    """flake8's rule: a pattern matches the base name or the whole (absolute) path (``absolute``: the caller's
    ``os.path.abspath(path)``, when it has it)."""
    names, paths = _compiled(tuple(patterns))
    if names is not None and names.match(os.path.basename(os.path.normpath(path))):
        return True
    return paths is not None and bool(paths.match(absolute or os.path.abspath(path)) or paths.match(path))


@functools.lru_cache(maxsize=8)
def _compiled(patterns: Tuple[str, ...]) -> Tuple[Optional["re.Pattern[str]"], Optional["re.Pattern[str]"]]:
    """One regex for all patterns (base names), one for those that can match a path (they hold a slash)."""
    def join(items: Sequence[str]) -> Optional["re.Pattern[str]"]:
        return re.compile("|".join(fnmatch.translate(p) for p in items)) if items else None

    return join(patterns), join([p for p in patterns if any(c in p for c in "*?[/" + os.sep)])


def is_within(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def skip_directory(path: str, exclude: Sequence[str], gitignore: Optional[GitIgnore] = None, top: str = "",
                   absolute: Optional[str] = None) -> bool:
    return excluded(path, exclude, absolute) or os.path.exists(os.path.join(path, "pyvenv.cfg")) or (
        gitignore is not None and gitignore.ignored(path, True, top))


def split_list(value: Optional[str]) -> List[str]:
    """``"MPP1, MPP201"`` -> ``["MPP1", "MPP201"]`` (flake8's comma-separated options)."""
    if not value:
        return []
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
