"""The project around a file: its root (the nearest directory with a project marker) and the folders a scan
skips. What the project's modules import, and who imports whom, is :mod:`projectscan`'s business (one source of
truth for the solver and for the main-guard move's refusal).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Iterator, Optional, Sequence, Tuple

from .paths import excluded, is_within, skip_directory
from .gitignore import GitIgnore

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv", "env", "build",
                       "dist", "node_modules", ".mypy_cache", ".pytest_cache", "site-packages",
                       ".flake8-mpproxy_cache"})


def find_root(path: str) -> str:
    """The nearest directory above ``path`` holding a project marker; the file's directory when none."""
    return root_of_directory(os.path.dirname(os.path.abspath(path)))


def project_root(path: str, loose_root: str = "") -> Optional[str]:
    """The root of the project ``path`` is analysed in: the nearest folder with a marker above it, else
    ``loose_root`` when the file lies inside that folder (the folder the command was given), else None (a
    loose file, checked alone)."""
    absolute = os.path.abspath(path)
    found = marked_root(os.path.dirname(absolute))
    if found is not None:
        return found
    if loose_root and is_within(absolute, loose_root):
        return loose_root
    return None


def root_of_directory(start: str) -> str:
    """:func:`find_root` for a directory (once per directory and process: a tree's files share their roots)."""
    found = marked_root(start)
    return start if found is None else found


@lru_cache(maxsize=65536)
def marked_root(directory: str) -> Optional[str]:
    """The nearest directory at or above ``directory`` holding a project marker (None: none up to ``/``).
    Through the parent's answer, so a tree's folders cost a marker check each, not a walk to the root each."""
    if has_marker(directory):
        return directory
    parent = os.path.dirname(directory)
    return None if parent == directory else marked_root(parent)


@lru_cache(maxsize=65536)
def has_marker(directory: str) -> bool:
    """Is ``directory`` a project root (not just the directory :func:`find_root` falls back to)? Asked for
    every checked file's root: once per root and process, as :func:`root_of_directory` is."""
    return any(os.path.exists(os.path.join(directory, marker)) for marker in ROOT_MARKERS)


def project_files(root: str, exclude: Sequence[str] = (),
                  gitignore: Optional[GitIgnore] = None) -> Iterator[Tuple[str, "os.stat_result"]]:
    """(path, stat) of each ``*.py`` file of the project, in sorted order; symlinked folders are not
    followed (a link loop cannot hang the scan). One ``stat`` per file, from the directory entry."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    absolute = os.path.abspath(root)
    # outside a git work tree (no .git at or above this folder) .gitignore decides nothing here
    ignore = gitignore if gitignore is not None and gitignore.repo_root(absolute) is not None else None
    for entry in entries:
        path = entry.path
        try:
            if entry.is_dir(follow_symlinks=False):
                if not skipped_directory(path, entry.name, exclude, ignore, root):
                    yield from project_files(path, exclude, gitignore)
            elif entry.name.endswith(".py") and entry.is_file() \
                    and not excluded(path, exclude, os.path.join(absolute, entry.name)) \
                    and not (ignore is not None and ignore.ignored(path, False, root)):
                yield path, entry.stat()
        except OSError:
            continue


def skipped_directory(path: str, name: str, exclude: Sequence[str], gitignore: Optional[GitIgnore],
                      top: str) -> bool:
    """Folders that are never the project's modules (VCS, caches, virtualenvs), or that the command's
    exclude settings or ``.gitignore`` leave out."""
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    return skip_directory(path, exclude, gitignore, top)
