"""The project around a file: its root (the nearest directory with a project marker) and the folders a scan
skips. What the project's modules import, and who imports whom, is :mod:`projectscan`'s business (one source of
truth for the solver and for the main-guard move's refusal).
"""

from __future__ import annotations

import os
from functools import lru_cache

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv", "env", "build",
                       "dist", "node_modules", ".mypy_cache", ".pytest_cache", "site-packages",
                       ".flake8-mpproxy_cache"})


def find_root(path: str) -> str:
    """The nearest directory above ``path`` holding a project marker; the file's directory when none."""
    return root_of_directory(os.path.dirname(os.path.abspath(path)))


@lru_cache(maxsize=4096)
def root_of_directory(start: str) -> str:
    """:func:`find_root` for a directory (once per directory and process: a tree's files share their roots)."""
    current = start
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return start
        current = parent


def has_marker(directory: str) -> bool:
    """Is ``directory`` a project root (not just the directory :func:`find_root` falls back to)?"""
    return any(os.path.exists(os.path.join(directory, marker)) for marker in ROOT_MARKERS)
