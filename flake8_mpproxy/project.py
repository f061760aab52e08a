"""The project around a file: its root, and which of its modules import a given module.

Only the unsafe main-guard move needs this (a module that others import must keep its globals). The index is
built once per process and root, from a textual scan of import statements (no code is imported or run).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Dict, List, Optional, Set, Tuple

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv", "env", "build",
                       "dist", "node_modules", ".mypy_cache", ".pytest_cache", "site-packages",
                       ".flake8-mpproxy_cache"})
IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([^#\n]+)|import[ \t]+([^#\n]+))", re.M)
#: A scan stops after this many files; a tree it did not read to the end cannot show that nobody imports a
#: module, so :func:`importers` then says the answer is incomplete (and the guard move is refused).
MAX_FILES = 20000


def find_root(path: str) -> str:
    """The nearest directory above ``path`` holding a project marker; the file's directory when none."""
    return root_of_directory(os.path.dirname(os.path.abspath(path)))


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


def module_names(path: str, root: str) -> Set[str]:
    """The dotted names ``path`` may be imported as: from the root, from ``src/``, and its bare name."""
    relative = os.path.relpath(os.path.abspath(path), root)
    parts = relative[:-3].split(os.sep) if relative.endswith(".py") else relative.split(os.sep)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    names = {".".join(parts[i:]) for i in range(len(parts))} if parts else set()
    return {name for name in names if name}


@lru_cache(maxsize=8)
def import_index(root: str) -> Tuple[Dict[str, List[str]], Dict[str, List[str]], bool]:
    """(absolute dotted name -> importing files, directory -> names imported relatively there, whether every
    file of the tree was read)."""
    absolute: Dict[str, List[str]] = {}
    relative: Dict[str, List[str]] = {}
    count = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in files:
            if not name.endswith(".py"):
                continue
            count += 1
            if count > MAX_FILES:
                return absolute, relative, False
            file_path = os.path.join(directory, name)
            try:
                with open(file_path, "rb") as handle:
                    text = handle.read().decode("utf-8", errors="replace")
            except OSError:
                continue
            if "import" not in text:
                continue
            for source, imported, plain in IMPORT.findall(text):
                record(file_path, directory, source, imported, plain, absolute, relative)
    return absolute, relative, True


def record(file_path: str, directory: str, source: str, imported: str, plain: str,
           absolute: Dict[str, List[str]], relative: Dict[str, List[str]]) -> None:
    items = [item.strip().split(" as ")[0].strip(" ()\\") for item in (imported or plain).split(",")]
    if plain:
        for item in items:
            absolute.setdefault(item, []).append(file_path)
        return
    if source.startswith("."):
        base = directory
        for _ in range(len(source) - len(source.lstrip(".")) - 1):
            base = os.path.dirname(base)
        rest = source.lstrip(".")
        names = [f"{rest}.{item}" if rest else item for item in items] + ([rest] if rest else [])
        for name in names:
            relative.setdefault(os.path.join(base, *name.split(".")), []).append(file_path)
        return
    absolute.setdefault(source, []).append(file_path)
    for item in items:
        absolute.setdefault(f"{source}.{item}", []).append(file_path)


def importers(path: str, root: Optional[str] = None) -> Tuple[List[str], bool]:
    """Files of the project (other than ``path``) that import the module at ``path``, relative to the root,
    and whether the whole project was read (False: an importer may have been missed)."""
    root = root or find_root(path)
    absolute, relative, complete = import_index(root)
    own = os.path.abspath(path)
    found: Set[str] = set()
    for name in module_names(path, root):
        found.update(absolute.get(name, []))
    stem = own[:-3] if own.endswith(".py") else own
    if stem.endswith(os.sep + "__init__"):
        stem = stem[: -len("__init__") - 1]
    found.update(relative.get(stem, []))
    return sorted(os.path.relpath(f, root) for f in found if os.path.abspath(f) != own), complete


# --- resolution of imports inside the project -------------------------------------------------------------------

def module_file(base: str, parts: List[str]) -> Optional[str]:
    """``base/a/b.py`` or ``base/a/b/__init__.py`` for parts ``[a, b]`` (a namespace package has no file)."""
    path = os.path.join(base, *parts)
    for candidate in (path + ".py", os.path.join(path, "__init__.py")):
        if parts and os.path.isfile(candidate):
            return candidate
    init = os.path.join(base, "__init__.py")
    return init if not parts and os.path.isfile(init) else None


def search_bases(importer: str, root: str) -> List[str]:
    """Where an absolute import is looked up, as Python would for a project: the importing script's directory
    (``sys.path[0]``), the root (flat and package layouts), and ``root/src`` (the ``src/`` layout)."""
    bases = [os.path.dirname(os.path.abspath(importer)), root, os.path.join(root, "src")]
    return list(dict.fromkeys(base for base in bases if os.path.isdir(base)))


def resolve_module(name: str, importer: str, root: str) -> Optional[str]:
    """The project file of module ``name`` as imported from ``importer`` (leading dots: relative), or None
    (the standard library, installed packages and missing modules are not the project's)."""
    level = len(name) - len(name.lstrip("."))
    parts = [part for part in name.lstrip(".").split(".") if part]
    if level:
        base = os.path.dirname(os.path.abspath(importer))
        for _ in range(level - 1):
            base = os.path.dirname(base)
        bases = [base]
    else:
        bases = search_bases(importer, root)
    root = os.path.abspath(root)
    for base in bases:
        found = module_file(base, parts)
        if found is not None and os.path.abspath(found).startswith(root + os.sep):
            return os.path.abspath(found)
    return None


def resolve_attribute(qualname: str, importer: str, root: str) -> Optional[Tuple[str, str]]:
    """``pkg.workers.collect`` -> (the file of ``pkg.workers``, ``collect``) when that module is the project's."""
    rest = qualname.lstrip(".")
    level = len(qualname) - len(rest)
    module, _, attribute = rest.rpartition(".")
    if not attribute or not (module or level):
        return None
    path = resolve_module("." * level + module, importer, root)
    return (path, attribute) if path is not None else None
