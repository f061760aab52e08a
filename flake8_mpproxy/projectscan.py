"""The project scan: every module of a project root, read once, as a small record (is it a seed, what does it
import), and the resolution of imports against the files found (no stat per lookup, each name once).

A *seed* passes the textual prefilter: only there can a manager or a proxy be made, so only there can the
project solver's facts start. The record is small and plain (:class:`summaries.ScanRecord`) so that a cache
can keep it by (path, mtime, size).
"""

from __future__ import annotations

import ast
import os
from typing import Dict, Iterable, List, Optional, Set, Tuple

from .inference.summaries import ScanRecord
from .project import IMPORT, SKIP_DIRS
from .source import may_have_findings_in_bytes, prefilter_tokens

#: Files a scan reads at most; a larger tree is scanned up to here (:attr:`ProjectIndex.complete` says so).
MAX_FILES = 200_000


def scan_file(raw: bytes, tokens: Tuple[str, ...]) -> ScanRecord:
    """One file's record: the prefilter's answer, and the module names its import statements name (for
    ``from m import a`` both ``m`` and ``m.a``: ``a`` may be a submodule)."""
    seed = may_have_findings_in_bytes(raw, tokens)
    if b"import" not in raw:
        return ScanRecord(seed)
    text = raw.decode("utf-8", errors="replace")
    names: List[str] = []
    for source, imported, plain in IMPORT.findall(text):
        items = [item.strip().split(" as ")[0].strip(" ()\\") for item in (imported or plain).split(",")]
        if plain:
            names.extend(item for item in items if item)
            continue
        prefix = source if source.endswith(".") else source + "."
        names.append(source)
        names.extend(prefix + item for item in items if item and item != "*")
    return ScanRecord(seed, tuple(dict.fromkeys(name for name in names if name.strip("."))))


def scan_project(root: str, manager_factories: Iterable[str] = ()) -> "ProjectIndex":
    """Read every ``*.py`` under ``root`` (skipping virtualenvs, build output, VCS and cache folders)."""
    root = os.path.abspath(root)
    tokens = prefilter_tokens(manager_factories)
    records: Dict[str, ScanRecord] = {}
    complete = True
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in files:
            if not name.endswith(".py"):
                continue
            if len(records) >= MAX_FILES:
                complete = False
                break
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    records[path] = scan_file(handle.read(), tokens)
            except OSError:
                continue
    return ProjectIndex(root, records, complete)


class ProjectIndex:
    """The project's files and their records; resolves imports inside the project, each (directory, name)
    once, against the set of files (the standard library and installed packages are not the project's)."""

    def __init__(self, root: str, records: Dict[str, ScanRecord], complete: bool = True) -> None:
        self.root = root
        self.records = records
        self.complete = complete
        self._modules: Dict[Tuple[str, str], Optional[str]] = {}
        self._imports: Dict[str, Tuple[str, ...]] = {}
        self._importers: Optional[Dict[str, List[str]]] = None
        self._public: Dict[str, List[str]] = {}
        self._component: Optional[Dict[str, int]] = None

    def seeds(self) -> List[str]:
        return sorted(path for path, record in self.records.items() if record.seed)

    def is_seed(self, path: str) -> bool:
        record = self.records.get(path)
        return record is not None and record.seed

    def relative(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    # --- resolution ------------------------------------------------------------------------------------------

    def resolve_module(self, name: str, importer: str) -> Optional[str]:
        """The project file of module ``name`` imported from ``importer`` (leading dots: relative)."""
        directory = os.path.dirname(importer)
        key = (directory, name)
        if key not in self._modules:
            self._modules[key] = self._find(name, directory)
        return self._modules[key]

    def _find(self, name: str, directory: str) -> Optional[str]:
        level = len(name) - len(name.lstrip("."))
        parts = [part for part in name.lstrip(".").split(".") if part]
        if level:
            base = directory
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:  # the script's directory (sys.path[0]), the root (flat, package), root/src (the src/ layout)
            bases = list(dict.fromkeys([directory, self.root, os.path.join(self.root, "src")]))
        for base in bases:
            path = os.path.join(base, *parts)
            candidates = (path + ".py", os.path.join(path, "__init__.py")) if parts else (
                os.path.join(base, "__init__.py"),)
            for candidate in candidates:
                if candidate in self.records:
                    return candidate
        return None

    def resolve_call(self, qualname: str, importer: str) -> Optional[Tuple[str, str]]:
        """``pkg.workers.collect`` -> (the file of ``pkg.workers``, ``collect``); ``models.Registry.shared``
        -> (the file of ``models``, ``Registry.shared``): the longest module prefix that is the project's."""
        rest = qualname.lstrip(".")
        dots = qualname[: len(qualname) - len(rest)]
        parts = rest.split(".")
        for cut in range(len(parts) - 1, -1, -1):
            if cut == 0 and not dots:
                break
            path = self.resolve_module(dots + ".".join(parts[:cut]), importer)
            if path is not None:
                return path, ".".join(parts[cut:])
        return None

    def imports_of(self, path: str) -> Tuple[str, ...]:
        """The project files ``path`` imports."""
        if path not in self._imports:
            record = self.records.get(path)
            found = (self.resolve_module(name, path) for name in (record.imports if record else ()))
            self._imports[path] = tuple(sorted({p for p in found if p is not None and p != path}))
        return self._imports[path]

    def importers_of(self, path: str) -> List[str]:
        """The project files that import ``path`` (the reverse index, built once on first use)."""
        if self._importers is None:
            reverse: Dict[str, Set[str]] = {}
            for importer in self.records:
                for imported in self.imports_of(importer):
                    reverse.setdefault(imported, set()).add(importer)
            self._importers = {imported: sorted(users) for imported, users in reverse.items()}
        return self._importers.get(path, [])

    def component(self, path: str) -> int:
        """Which part of the project ``path`` is in: modules connected by imports, either way. Facts travel
        along imports only (calls into imported modules, exports to importers), so a part's seeds are all
        that can change what its modules receive (a tree of several projects, or of several Pythons' standard
        libraries, is solved part by part, as its files are checked)."""
        if self._component is None:
            parent: Dict[str, str] = {}

            def find(node: str) -> str:
                while parent.get(node, node) != node:
                    parent[node] = parent.get(parent[node], parent[node])
                    node = parent[node]
                return node

            for importer in self.records:
                for imported in self.imports_of(importer):
                    a, b = find(importer), find(imported)
                    if a != b:
                        parent[a] = b
            roots: Dict[str, int] = {}
            self._component = {path: roots.setdefault(find(path), len(roots)) for path in self.records}
        return self._component.get(path, -1)

    def seeds_of(self, component: int) -> List[str]:
        self.component("")
        assert self._component is not None
        return sorted(p for p, c in self._component.items() if c == component and self.records[p].seed)

    def public_names(self, module: str, importer: str) -> List[str]:
        """What ``from module import *`` binds of a project module: ``__all__`` when literal, else its public
        top-level functions and globals."""
        path = self.resolve_module(module, importer)
        if path is None:
            return []
        if path not in self._public:
            self._public[path] = read_public_names(path)
        return self._public[path]


def read_public_names(path: str) -> List[str]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            try:
                return [str(name) for name in ast.literal_eval(stmt.value)]
            except ValueError:
                break
    names = [stmt.name for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))]
    names += [target.id for stmt in tree.body if isinstance(stmt, ast.Assign) for target in stmt.targets
              if isinstance(target, ast.Name)]
    return [name for name in dict.fromkeys(names) if not name.startswith("_")]
