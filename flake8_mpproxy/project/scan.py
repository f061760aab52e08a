"""The project scan: every module of a project root, read once, as a small record (is it a seed, what does it
import), and the resolution of imports against the files found (no stat per lookup, each name once).

A *seed* passes the textual prefilter: only there can a manager or a proxy be made, so only there can the
project solver's facts start. The record is small and plain (:class:`summaries.ScanRecord`) so that a cache
can keep it by (path, mtime, size).
"""

from __future__ import annotations

import ast
import os
import re
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from .cache import content_hash  # (one notion of a file's identity: the cache's)
from .gitignore import GitIgnore
from ..engine.summaries import ScanRecord
from .overlay import DISK, Overlay
from .root import project_files
from ..model.source import may_have_findings_in_bytes, prefilter_tokens

IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([^#\n]+)|import[ \t]+([^#\n]+))", re.M)
#: Files a scan reads at most; a larger tree is scanned up to here (:attr:`ProjectIndex.complete` says so).
MAX_FILES = 200_000


def scan_file(raw: bytes, tokens: Tuple[str, ...]) -> ScanRecord:
    """One file's record: the prefilter's answer, and the module names its import statements name (for
    ``from m import a`` both ``m`` and ``m.a``: ``a`` may be a submodule)."""
    seed = may_have_findings_in_bytes(raw, tokens)
    digest = content_hash(raw)
    names: List[str] = []
    for source, imported, plain in import_statements(raw):
        items = [item.strip().split(" as ")[0].strip(" ()\\") for item in (imported or plain).split(",")]
        if plain:
            names.extend(item for item in items if item)
            continue
        prefix = source if source.endswith(".") else source + "."
        names.append(source)
        names.extend(prefix + item for item in items if item and item != "*")
    return ScanRecord(seed, tuple(dict.fromkeys(name for name in names if name.strip("."))), digest)




def import_statements(raw: bytes) -> Iterator[Tuple[str, str, str]]:
    """(from-module, imported names, plain import) per import statement: only the lines holding ``import``
    are matched (a search for the word is far cheaper than a line-anchored pattern over the whole file). A
    statement continued over several lines (parentheses, backslashes) is read to its end, comments dropped.
    ``importlib.import_module("pkg.mod")`` with an absolute literal counts as ``import pkg.mod``."""
    start = raw.find(b"import")
    while start >= 0:
        line_start = raw.rfind(b"\n", 0, start) + 1
        while line_start > 1 and raw[max(0, line_start - 3):line_start - 1].rstrip(b"\r").endswith(b"\\"):
            line_start = raw.rfind(b"\n", 0, line_start - 1) + 1
        text, line_end = logical_line(raw, line_start)
        match = IMPORT.match(text)
        if match:
            yield match.group(1) or "", match.group(2) or "", match.group(3) or ""
        start = raw.find(b"import", max(line_end, start + 1))
    if raw.find(b"import_module(") >= 0:
        for dynamic in DYNAMIC_IMPORT.finditer(raw):
            yield "", "", dynamic.group(1).decode("ascii")


#: ``import_module("a.b")`` / ``importlib.import_module('a.b')``: an absolute literal name only (a relative
#: one depends on ``package=``, a computed one is unknown: both ignored).
DYNAMIC_IMPORT = re.compile(rb"import_module\(\s*[\"']([A-Za-z_][\w.]*)[\"']\s*\)")
STATEMENT = re.compile(r"[ \t]*(?:from|import)\b")
#: A statement is followed over at most this many physical lines (an unbalanced "(" in a docstring that
#: merely looks like an import must not swallow the file).
MAX_CONTINUATION = 200


def logical_line(raw: bytes, line_start: int) -> Tuple[str, int]:
    """The statement starting at ``line_start`` as one line without comments, and where it ends: joined
    while a backslash ends the line or a parenthesis is open."""
    parts: List[str] = []
    depth = 0
    line_end = raw.find(b"\n", line_start)
    line_end = len(raw) if line_end < 0 else line_end
    for _ in range(MAX_CONTINUATION):
        line = raw[line_start:line_end].decode("utf-8", errors="replace").split("#", 1)[0].rstrip()
        depth += line.count("(") - line.count(")")
        continued = line.endswith("\\")
        parts.append(line[:-1] if continued else line)
        if not (continued or depth > 0) or line_end >= len(raw) or not STATEMENT.match(parts[0]):
            break
        line_start = line_end + 1
        line_end = raw.find(b"\n", line_start)
        line_end = len(raw) if line_end < 0 else line_end
    return " ".join(parts), line_end


#: What a previous scan kept of a file: its (mtime_ns, size) when read, and its record.
Known = Dict[str, Tuple[int, int, ScanRecord]]


def scan_project(root: str, manager_factories: Iterable[str] = (), known: Optional[Known] = None,
                 exclude: Sequence[str] = (), gitignore: Optional[GitIgnore] = None, overlay: Overlay = DISK
                 ) -> "ProjectIndex":
    """Scan every ``*.py`` under ``root`` (skipping virtualenvs, build output, VCS and cache folders, and what
    ``exclude`` or ``gitignore`` exclude, as the command's walk does). A file whose (mtime, size) is the one
    ``known`` kept (a previous scan, from the result cache) costs a stat, not a read."""
    root = os.path.abspath(root)
    tokens = prefilter_tokens(manager_factories)
    known = known or {}
    records: Dict[str, ScanRecord] = {}
    stats: Dict[str, Tuple[int, int]] = {}
    complete = True
    for path, stat in project_files(root, exclude, gitignore):
        if len(records) >= MAX_FILES:
            complete = False
            break
        laid = overlay.buffered(path)
        if laid is not None:  # an editor's buffer: no stat, so the scan's cache entry never keeps its record
            records[path] = scan_file(laid, tokens)
            continue
        stamp = (stat.st_mtime_ns, stat.st_size)
        kept = known.get(path)
        if kept is not None and kept[:2] == stamp:
            records[path] = kept[2]
        else:
            try:
                records[path] = scan_file(overlay.read_bytes(path), tokens)
            except OSError:
                continue
        stats[path] = stamp
    return ProjectIndex(root, records, complete, stats, overlay)


class ProjectIndex:
    """The project's files and their records; resolves imports inside the project, each (directory, name)
    once, against the set of files (the standard library and installed packages are not the project's)."""

    def __init__(self, root: str, records: Dict[str, ScanRecord], complete: bool = True,
                 stats: Optional[Dict[str, Tuple[int, int]]] = None, overlay: Overlay = DISK) -> None:
        self.root = root
        #: What the project's files hold for the analysis (an editor's unsaved buffers over the disk).
        self.overlay = overlay
        self.records = records
        #: Each file's (mtime_ns, size) when scanned: what a cached record is trusted for.
        self.stats = stats or {}
        self.complete = complete
        self._modules: Dict[Tuple[str, str], Optional[str]] = {}
        #: Absolute imports found from the root or root/src (the same for every importer).
        self._absolute: Dict[str, Optional[str]] = {}
        self._imports: Dict[str, Tuple[str, ...]] = {}
        self._importers: Optional[Dict[str, List[str]]] = None
        self._public: Dict[str, List[str]] = {}
        self._reexports: Dict[str, Dict[str, str]] = {}
        self._sources: Dict[str, Tuple[str, ...]] = {}
        self._component: Optional[Dict[str, int]] = None
        self._seeds_by_component: Optional[Dict[int, List[str]]] = None

    def with_record(self, path: str, record: ScanRecord) -> "ProjectIndex":
        """This index with one file's record replaced (an editor changed its buffer; the set of files is the
        same). What depends on the set of files only (module resolution), or on files whose text is unchanged,
        is carried over; the import graph and its parts too when the file imports the same modules as before,
        so an edit costs its own scan, not the project's."""
        records = dict(self.records)
        records[path] = record
        stats = {known: stamp for known, stamp in self.stats.items() if known != path}
        index = ProjectIndex(self.root, records, self.complete, stats, self.overlay)
        index._modules, index._absolute = self._modules, self._absolute
        index._imports = {known: found for known, found in self._imports.items() if known != path}
        index._public = {known: found for known, found in self._public.items() if known != path}
        index._reexports = {known: found for known, found in self._reexports.items() if known != path}
        if path in self._imports and index.imports_of(path) == self._imports[path]:
            index._importers, index._component = self._importers, self._component
        return index

    def seeds(self) -> List[str]:
        return sorted(path for path, record in self.records.items() if record.seed)

    def is_seed(self, path: str) -> bool:
        record = self.records.get(path)
        return record is not None and record.seed

    def relative(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    # --- resolution ------------------------------------------------------------------------------------------

    def resolve_module(self, name: str, importer: str, directory: Optional[str] = None) -> Optional[str]:
        """The project file of module ``name`` imported from ``importer`` (leading dots: relative)."""
        directory = os.path.dirname(importer) if directory is None else directory
        key = (directory, name)
        if key not in self._modules:
            self._modules[key] = self._find(name, directory)
        return self._modules[key]

    def _find(self, name: str, directory: str) -> Optional[str]:
        rest = name.lstrip(".")
        level = len(name) - len(rest)
        if level:
            base = directory
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return self._in(base, rest)
        # the script's directory (sys.path[0]), then the root (flat, package) and root/src (src/ layout)
        found = self._in(directory, rest)
        if found is None:
            if rest not in self._absolute:
                self._absolute[rest] = self._in(self.root, rest) or self._in(self.root + os.sep + "src", rest)
            found = self._absolute[rest]
        return found

    def _in(self, base: str, dotted: str) -> Optional[str]:
        """``base/a/b.py`` or ``base/a/b/__init__.py`` for ``a.b`` (``base/__init__.py`` for "")."""
        path = base + os.sep + dotted.replace(".", os.sep) if dotted else base
        for candidate in (path + ".py", path + os.sep + "__init__.py") if dotted else (path + os.sep + "__init__.py",):
            if candidate in self.records:
                return candidate
        return None

    def resolve_call(self, qualname: str, importer: str, depth: int = 0) -> Optional[Tuple[str, str]]:
        """``pkg.workers.collect`` -> (the file of ``pkg.workers``, ``collect``); ``models.Registry.shared``
        -> (the file of ``models``, ``Registry.shared``): the longest module prefix that is the project's.
        A name the module only re-exports (``from .state import SHARED`` in a package's ``__init__``) is
        followed to the module that defines it."""
        hit = self._resolve_call(qualname, importer)
        if hit is None or depth >= 8:
            return hit
        path, name = hit
        head, dot, tail = name.partition(".")
        source = self.reexports(path).get(head)
        if source is None:
            return hit
        return self.resolve_call(source + dot + tail, path, depth + 1) or hit

    def reexports(self, path: str) -> Dict[str, str]:
        """The names ``path`` binds at import time by ``from module import name [as alias]``: alias -> the
        qualified name as written there (``.state.SHARED``), resolved from ``path``."""
        if path not in self._reexports:
            self._reexports[path] = read_reexports(path, self.overlay)
        return self._reexports[path]

    def sources_of(self, path: str) -> Tuple[str, ...]:
        """The project files whose facts ``path`` reads: those it imports, and those the imported ones
        re-export names of (``from pkg import make_store`` reads ``pkg/factory.py``), to a few levels."""
        if path not in self._sources:
            found: List[str] = []
            todo = [(imported, 0) for imported in self.imports_of(path)]
            while todo:
                module, depth = todo.pop(0)
                if module in found or module == path:
                    continue
                found.append(module)
                if depth < 4:
                    for source in self.reexports(module).values():
                        hit = self._resolve_call(source, module)
                        if hit is not None:
                            todo.append((hit[0], depth + 1))
            self._sources[path] = tuple(found)
        return self._sources[path]

    def readers_of(self, path: str, depth: int = 0) -> List[str]:
        """The project files that import ``path``, and, through each importer that re-exports names of
        ``path`` (a package's ``__init__``), the files importing those: they read ``path``'s facts."""
        found = list(self.importers_of(path))
        if depth < 4:
            for importer in list(found):
                if any(self._resolve_call(source, importer) == (path, source.rsplit(".", 1)[-1])
                       for source in self.reexports(importer).values()):
                    found.extend(user for user in self.readers_of(importer, depth + 1) if user not in found)
        return found

    def _resolve_call(self, qualname: str, importer: str) -> Optional[Tuple[str, str]]:
        if qualname.startswith("@"):  # a function handed over as a value: @path:name, path from the root
            relative, _, name = qualname[1:].rpartition(":")
            handed = os.path.normpath(os.path.join(self.root, relative))
            return (handed, name) if handed in self.records else None
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
            directory = os.path.dirname(path)
            found = (self.resolve_module(name, path, directory) for name in (record.imports if record else ()))
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
        if self._seeds_by_component is None:
            self._seeds_by_component = {}
            for seed in self.seeds():
                self._seeds_by_component.setdefault(self._component[seed], []).append(seed)
        return self._component.get(path, -1)

    def seeds_of(self, component: int) -> List[str]:
        """The seeds of one part of the project (:meth:`component`), sorted."""
        self.component("")
        assert self._seeds_by_component is not None
        return self._seeds_by_component.get(component, [])

    def public_names(self, module: str, importer: str) -> List[str]:
        """What ``from module import *`` binds of a project module: ``__all__`` when literal, else its public
        top-level functions and globals."""
        path = self.resolve_module(module, importer)
        if path is None:
            return []
        if path not in self._public:
            self._public[path] = read_public_names(path, self.overlay)
        return self._public[path]


def read_reexports(path: str, overlay: Overlay = DISK) -> Dict[str, str]:
    """:meth:`ProjectIndex.reexports`, read from the file's import statements as the scan reads them (text,
    not a parse: asked for every module an analysed module imports)."""
    try:
        raw = overlay.read_bytes(path)
    except OSError:
        return {}
    found: Dict[str, str] = {}
    for source, imported, _ in import_statements(raw):
        if not source or source == "__future__":
            continue
        for item in imported.split(","):
            name, _, alias = item.strip(" ()\\").partition(" as ")
            name, alias = name.strip(" ()\\"), alias.strip(" ()\\")
            if name and name != "*" and (alias or name).isidentifier():
                found[alias or name] = source + name if source.endswith(".") else f"{source}.{name}"
    return found


def read_public_names(path: str, overlay: Overlay = DISK) -> List[str]:
    try:
        tree = ast.parse(overlay.read_bytes(path))
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
