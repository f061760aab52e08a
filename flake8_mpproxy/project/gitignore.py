"""``.gitignore`` files, read as git reads them, for the directory walk (ruff respects them too).

Only inside a git work tree (a ``.git`` above the walked path), as ruff: a ``.gitignore`` in a folder that is
no repository means nothing to git either. Each ``.gitignore`` applies to paths below its folder; the deepest
file with a matching pattern decides, and inside a file the last matching pattern wins (``!`` re-includes).
``.git/info/exclude`` and the global excludes file are not read. pathspec implements git's wildmatch rules.

A folder named on the command line is walked even when a ``.gitignore`` above it ignores it (ruff does the
same: ``flake8-mpproxy ~/.pyenv/versions/3.12/lib`` checks the files although pyenv's ``.gitignore`` has
``/versions``): a ``.gitignore`` that ignores the walked folder itself is not applied below it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    import pathspec


class GitIgnore:
    """Answers "would git ignore this path?", caching each folder's ``.gitignore`` and repository root."""

    def __init__(self) -> None:
        self._specs: Dict[str, Optional[pathspec.PathSpec[Any]]] = {}
        self._roots: Dict[str, Optional[str]] = {}
        self._applies_cache: Dict[Tuple[str, str], bool] = {}

    def repo_root(self, directory: str) -> Optional[str]:
        if directory not in self._roots:
            parent = os.path.dirname(directory)
            if os.path.exists(os.path.join(directory, ".git")):
                self._roots[directory] = directory
            else:
                self._roots[directory] = None if parent == directory else self.repo_root(parent)
        return self._roots[directory]

    def _spec(self, directory: str) -> Optional[pathspec.PathSpec[Any]]:
        if directory not in self._specs:
            try:
                with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
                    import pathspec  # only in a git work tree that has a .gitignore: keep start-up light

                    self._specs[directory] = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
            except OSError:
                self._specs[directory] = None
        return self._specs[directory]

    def _applies(self, spec: pathspec.PathSpec[Any], folder: str, top: str) -> bool:
        """A ``.gitignore`` above the walked folder ``top`` counts unless it ignores ``top`` itself."""
        if not top.startswith(folder + os.sep):
            return True
        key = (folder, top)
        if key not in self._applies_cache:
            relative = os.path.relpath(top, folder).replace(os.sep, "/") + "/"
            self._applies_cache[key] = not spec.check_file(relative).include
        return self._applies_cache[key]

    def ignored(self, path: str, is_dir: bool, top: str = "") -> bool:
        """Would git ignore ``path``, found while walking the folder ``top``?"""
        full = os.path.abspath(path)
        folder = os.path.dirname(full)
        root = self.repo_root(folder)
        if root is None:
            return False
        top = os.path.abspath(top) if top else folder
        while True:
            spec = self._spec(folder)
            if spec is not None and self._applies(spec, folder, top):
                relative = os.path.relpath(full, folder).replace(os.sep, "/") + ("/" if is_dir else "")
                include = spec.check_file(relative).include
                if include is not None:
                    return include
            if folder == root or os.path.dirname(folder) == folder:
                return False
            folder = os.path.dirname(folder)
