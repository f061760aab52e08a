"""Paths -> files to check (each with its job): directory recursion, excludes, .gitignore, stdin, missing paths."""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Tuple

from ..model.config import ConfigError
from .gitignore import GitIgnore
from .paths import CHECKED_SUFFIXES, RESULT_CACHE, excluded, is_within, skip_directory

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Resolver
    from ..model.jobs import Job

STDIN = "-"
#: The causes :func:`iter_files` gives for a path named on the command line that is not there to read.
MISSING = "No such file or directory"
BROKEN_LINK = "broken symbolic link"
PATH_CAUSES = frozenset({MISSING, BROKEN_LINK})


def iter_files(paths: Sequence[str], resolver: "Resolver", gitignore: Optional[GitIgnore] = None,
               stdin_name: Optional[str] = None) -> Iterator[Tuple[str, Optional["Job"], Optional[str]]]:
    """(path, job, None) for each file to check, (path, None, cause) for each path that cannot be checked.

    A file named on the command line is checked whatever its name, unless ``force-exclude`` is on (ruff's
    option): then the exclude globs apply to it and to its parent folders up to the configuration's folder or
    the cwd. Directories give their ``*.py`` files and Jupyter notebooks (``*.ipynb``; never
    ``.pyi``) in sorted order, skipping excluded
    directories, virtualenvs and, in a git work tree, what ``.gitignore`` ignores (unless
    ``respect-gitignore = false``). Symlinked directories are not followed, so a link loop cannot hang the walk.
    stdin gets the configuration of ``stdin_name``. A broken configuration file is one error (its path and
    cause); the files it governs are skipped and the others are checked.
    """
    for path in paths:
        named = path if path != STDIN and os.path.isdir(path) else None
        for found, job, cause in _iter_path(path, resolver, gitignore, stdin_name):
            shown = stdin_name or found if found == STDIN else found
            yield found, (None if job is None else with_loose_root(job, loose_root_for(shown, named))), cause


def _iter_path(path: str, resolver: "Resolver", gitignore: Optional[GitIgnore],
               stdin_name: Optional[str]) -> Iterator[Tuple[str, Optional["Job"], Optional[str]]]:
    try:
        resolved = resolver.for_path(stdin_name or path if path == STDIN else path)
    except ConfigError as err:
        yield err.source, None, err.cause
        return
    if path != STDIN and resolved.force_exclude and force_excluded(path, resolved.exclude, resolved.root):
        return
    if path == STDIN:
        yield path, resolved.job_for(stdin_name or path), None
    elif os.path.isdir(path):
        if not excluded(path, resolved.exclude) or path in (".", ".."):
            yield from walk(path, resolver, gitignore)
    elif os.path.lexists(path) and not os.path.exists(path):
        yield path, None, BROKEN_LINK
    elif os.path.exists(path):
        yield path, resolved.job_for(path), None
    else:
        yield path, None, MISSING


def loose_root_for(path: str, named_folder: Optional[str] = None) -> str:
    """The folder a file with no project marker above it is analysed in (:func:`project_root`): the folder
    named on the command line that holds it; for a file named itself, the current directory when it holds the
    file, else the file's own folder. Never the filesystem root or the home directory by default: a scan of
    every ``*.py`` there is not what anyone running a check from there means (a folder named explicitly is
    taken as named)."""
    if named_folder is not None:
        return os.path.abspath(named_folder)
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    too_broad = {os.path.abspath(os.sep), os.path.abspath(os.path.expanduser("~"))}
    if cwd not in too_broad and is_within(absolute, cwd):
        return cwd
    return os.path.dirname(absolute)


@functools.lru_cache(maxsize=256)
def with_loose_root(job: "Job", folder: str) -> "Job":
    """``job`` for files under ``folder`` (:func:`loose_root_for`): files with no project marker above
    them are analysed as one project rooted there."""
    if not job.settings.project or job.settings.loose_root == folder:
        return job
    return dataclasses.replace(job, settings=dataclasses.replace(job.settings, loose_root=folder))


def force_excluded(path: str, exclude: Sequence[str], root: "os.PathLike[str]") -> bool:
    """Is ``path`` or a parent folder below ``root`` (or the cwd) excluded? Stops at those folders, so a
    checkout that lives under ``/home/me/build/`` is not excluded by the default ``build`` pattern."""
    if excluded(path, exclude):
        return True
    stops = {os.path.abspath(str(root)), os.getcwd()}
    folder = os.path.dirname(os.path.abspath(path))
    while folder not in stops and os.path.dirname(folder) != folder:
        if excluded(folder, exclude):
            return True
        folder = os.path.dirname(folder)
    return False


def walk(top: str, resolver: "Resolver",
         gitignore: Optional[GitIgnore]) -> Iterator[Tuple[str, Optional["Job"], Optional[str]]]:
    for root, dirs, files in os.walk(top):
        try:
            resolved = resolver.for_path(root)
        except ConfigError as err:
            dirs[:] = []
            yield err.source, None, err.cause
            continue
        absolute = os.path.abspath(root)
        ignore = gitignore if resolved.respect_gitignore and gitignore is not None and \
            gitignore.repo_root(absolute) is not None else None  # (outside a git work tree it ignores nothing)
        dirs[:] = sorted(d for d in dirs if d != RESULT_CACHE and not skip_directory(
            os.path.join(root, d), resolved.exclude, ignore, top, os.path.join(absolute, d)))
        for name in sorted(files):
            if not name.endswith(CHECKED_SUFFIXES):
                continue
            full = os.path.join(root, name)
            if not excluded(full, resolved.exclude, os.path.join(absolute, name)) and not (
                    ignore is not None and ignore.ignored(full, False, top)):
                yield full, resolved.job_for(full), None
