"""The command's warm path (ruff's cache shape): one record per cache directory, loaded once, so that a file
that has not changed since the last run costs a ``stat`` and nothing is parsed, analysed or even imported.

``<cache dir>/<tool>/warm.json`` maps each checked file (absolute path) to its (mtime_ns, size), a content hash
when its stat was recent, the digest of its settings, the project state it was checked against, and its
findings and warnings. A *project state* is the (mtime_ns, size) of every file the project scan of that root
and scope covers (:func:`project.project_files`): the facts a file receives from other modules are a function
of those files' contents and the settings, so while the project's state is the recorded one, what every
file received is what it received then (any change in the project, a new or removed module included, makes
every record of that project a miss; the per-module entries of :mod:`cache` then keep that run cheap).

A hit needs: the same tool (the folder), the same settings digest, the same project state, and the same
stat. A stat is trusted only when it is not *racy* (:func:`cache.racy`: its mtime is within
:data:`cache.RACY_WINDOW_NS` of the record's write time, git's rule): then the content must hash to what the
record holds (the hash is kept for recent files only), else it is a miss. Stamps and those hashes are taken
before a miss is read, and a file's record is kept only when the bytes its outcome came from hash to the
same value, so a file changed during the run is never recorded with the old findings. Only the ``check``
mode reads and writes these records (``--fix`` and ``--diff`` work from fresh analyses); notebooks, stdin,
files with errors, and MPP201 findings outside a project (their fix depends on the folder's other files) are
never recorded. A record that is not one of this tool's (corrupt, truncated, foreign) is ignored with a
warning, as :mod:`cache`'s entries are.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from . import cache
from ..model.config import Settings
from ..model.findings import Finding
from .gitignore import GitIgnore
from .root import project_files, project_root
from ..model.source import prefilter_tokens

if TYPE_CHECKING:  # pragma: no cover
    from ..model.jobs import Job, Outcome

SCHEMA = 2
FILE_NAME = "warm.json"
#: A file whose mtime is this recent when it is stamped gets its content hashed, so that the next run can
#: check it if its stat is racy then (the window plus a second of slack for the file-system clock's tick).
HASH_RECENT_NS = cache.RACY_WINDOW_NS + 1_000_000_000

Stamp = Tuple[int, int]
#: path -> [mtime_ns, size, content hash or None]
FileStates = Dict[str, List[Any]]


def content_of(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return cache.content_hash(handle.read())
    except OSError:
        return None


class Store:
    """The warm record of one cache directory: what the last run kept, and what this run keeps."""

    def __init__(self, store: cache.Cache) -> None:
        self.cache = store
        self.path = store.entries / FILE_NAME
        self.projects: Dict[str, Dict[str, Any]] = {}
        self.files: Dict[str, List[Any]] = {}
        self.written = 0
        self.new_projects: Dict[str, Dict[str, Any]] = {}
        self.new_files: Dict[str, List[Any]] = {}
        #: Projects whose recorded state this run found unchanged: their other files' records stay valid.
        self.verified: Set[str] = set()
        self.dirty = False
        self.warned = False
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                self.written = os.fstat(handle.fileno()).st_mtime_ns
                data = json.loads(handle.read().decode("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as err:
            cache.warn(str(self.path), f"ignoring unreadable cache entry ({type(err).__name__}: {err})")
            return
        cause = foreign(data)
        if cause is not None:
            cache.warn(str(self.path), f"ignoring unreadable cache entry ({cause})")
            return
        self.projects, self.files = data["projects"], data["files"]

    def whole(self, entry: Any) -> bool:
        """:func:`record_ok`, with one warning for the first record that is not."""
        if record_ok(entry):
            return True
        self.malformed("a record of another shape")
        return False

    def malformed(self, what: str) -> None:
        if not self.warned:
            cache.warn(str(self.path), f"ignoring unreadable cache entry ({what})")
        self.warned = True

    def save(self) -> None:
        """Write the record (atomically) when this run changed it: kept records of projects this run did not
        look at stay; those of a project whose state changed go."""
        if not self.dirty or self.cache.broken:
            return
        changed = set(self.new_projects) - self.verified
        files = {path: entry for path, entry in self.files.items() if entry[4] not in changed}
        files.update(self.new_files)
        projects = {**self.projects, **self.new_projects}
        used = {entry[4] for entry in files.values()}
        data = {"schema": SCHEMA, "tool": cache.current_tool(),
                "projects": {key: state for key, state in projects.items() if key in used}, "files": files}
        try:
            cache.write_atomically(self.path, b"", dump=data)
        except (OSError, TypeError, ValueError) as err:
            cache.warn(str(self.cache.directory), f"cannot write the cache ({err}); running without it")
            self.cache.broken = True


def foreign(data: Any) -> Optional[str]:
    """Why ``data`` is not a warm record this tool wrote (None: it is one)."""
    if not isinstance(data, dict) or not isinstance(data.get("projects"), dict) or \
            not isinstance(data.get("files"), dict):
        return "not a cache entry"
    if data.get("schema") != SCHEMA or data.get("tool") != cache.current_tool():
        return f"written by another version: schema {data.get('schema')!r}, tool {data.get('tool')!r}"
    # (the records themselves are checked where they are used: a hit compares each part with a value of
    # the right type, and a record or project state of another shape is a miss, with one warning)
    return None


def record_ok(entry: Any) -> bool:
    """Is a file's record (already equal in stat, settings and project to the file's) whole?"""
    return isinstance(entry, list) and len(entry) == 7 and (entry[2] is None or isinstance(entry[2], str)) and \
        isinstance(entry[5], str) and isinstance(entry[6], list) and all(isinstance(w, str) for w in entry[6])


def state_ok(state: Any) -> bool:
    return isinstance(state, dict) and isinstance(state.get("files"), dict) and all(
        isinstance(v, list) and len(v) == 3 for v in state["files"].values())


class WarmRun:
    """One command run's use of the warm records: :meth:`hit` for every file before any is read, then
    :meth:`record` for the outcome of each miss, then :meth:`save`."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.now = time.time_ns()
        self._stores: Dict[str, Optional[Store]] = {}
        self._settings: Dict[Settings, str] = {}
        #: (folder as given, id of the job) -> (the job, its store, the folder's absolute path, settings key,
        #: project key): what every file of a folder shares, worked out once
        self._folders: Dict[Tuple[str, int], Tuple["Job", Optional[Store], str, str, Optional[str]]] = {}
        self._project_keys: Dict[Tuple[str, Settings], str] = {}
        #: (store, project key) -> (fresh state, does it equal the store's recorded one)
        self._projects: Dict[Tuple[str, str], Tuple[Dict[str, Any], bool]] = {}
        #: the misses: path as given -> (store, its new record without the outcome, the hash taken before)
        self._pending: Dict[str, Tuple[Store, str, List[Any]]] = {}

    def hit(self, path: str, job: "Job") -> Optional["Outcome"]:
        """The recorded outcome of ``path`` if nothing it depends on changed; None: check it (and record)."""
        from ..model.jobs import MODE_CHECK, Outcome

        if self.mode != MODE_CHECK or job.mode != MODE_CHECK or not path.endswith(".py"):
            return None
        folder, name = os.path.split(path)
        where = self._folders.get((folder, id(job)))
        if where is None:
            store = self._store(path, job)
            where = (job, store, os.path.abspath(folder or "."), self._settings_key(job.settings),
                     self._project(path, job.settings, store) if store is not None else None)
            self._folders[(folder, id(job))] = where  # (the job is kept in the value: its id stays its own)
        _, store, absolute, settings_key, project = where
        if store is None:
            return None
        own = sys.intern(os.path.join(absolute, name))  # (one string with the project state's key)
        try:
            stat = os.stat(own)
        except OSError:
            return None
        mtime, size = stat.st_mtime_ns, stat.st_size
        fresh = content_of(own) if mtime >= self.now - HASH_RECENT_NS else None
        entry = store.files.get(own)
        if isinstance(entry, list) and len(entry) == 7 and entry[0] == mtime and entry[1] == size and \
                entry[3] == settings_key and entry[4] == project and \
                (project is None or project in store.verified) and store.whole(entry):
            if cache.racy(mtime, store.written):
                store.dirty = True  # rewritten after the run, so that the next run need not read it again
                if entry[2] is None or entry[2] != fresh:
                    entry = None
            if entry is not None:
                try:
                    findings = tuple(cache.decode_records(Finding, json.loads(entry[5]))) if entry[5] != "[]" else ()
                except ValueError as err:
                    store.malformed(str(err))
                else:
                    store.new_files[own] = [mtime, size, fresh, settings_key, project, entry[5], entry[6]]
                    return Outcome(path, findings, notes=tuple(entry[6]))
        self._pending[path] = (store, own, [mtime, size, fresh, settings_key, project])
        return None

    def wants_digest(self, path: str) -> bool:
        """Must the outcome of this miss carry the hash of the bytes checked (its stat was too recent to trust,
        so :meth:`record` keeps it only for the content hashed when it was stamped)?"""
        pending = self._pending.get(path)
        return pending is not None and pending[2][2] is not None

    def record(self, outcome: "Outcome") -> None:
        """Keep the outcome of a miss, when it is one that may be reused (see the module's docstring)."""
        pending = self._pending.pop(outcome.path, None)
        if pending is None or outcome.error is not None or outcome.output is not None or outcome.fixed:
            return
        store, own, head = pending
        if head[2] is not None and outcome.digest != head[2]:
            return  # changed since it was stamped: the outcome is not for the stamped content
        if head[4] is None and any(f.code == "MPP201" for f in outcome.findings):
            return  # its guard fix depends on the folder's other files, which no project state covers
        try:  # (kept as one JSON string: a fraction of the memory of the nested values, read only on a hit)
            findings = json.dumps(cache.encode_records(outcome.findings), separators=(",", ":"))
        except (TypeError, ValueError):
            return
        store.new_files[own] = head + [findings, list(outcome.notes)]
        store.dirty = True

    def save(self) -> None:
        for store in self._stores.values():
            if store is not None:
                store.save()

    # --- the parts of a key -------------------------------------------------------------------------------------

    def _store(self, path: str, job: "Job") -> Optional[Store]:
        found = cache.cache_for(path, job.cache_dir, job.cache)
        if found is None:
            return None
        key = str(found.directory)
        if key not in self._stores:
            self._stores[key] = Store(found)
        return self._stores[key]

    def _settings_key(self, settings: Settings) -> str:
        if settings not in self._settings:
            self._settings[settings] = cache.settings_digest(settings)
        return self._settings[settings]

    def _project(self, path: str, settings: Settings, store: Store) -> Optional[str]:
        """The key of the project state ``path``'s facts come from (None: it gets none: ``--no-project``, or
        no project marker above it); the state is stamped once per run, and compared with the record."""
        if not settings.project:
            return None
        root = project_root(path, settings.loose_root)
        if root is None:
            return None
        if (root, settings) not in self._project_keys:
            tokens = prefilter_tokens(settings.manager_factories)
            self._project_keys[(root, settings)] = cache.digest(
                (SCHEMA, root, tokens, settings.project_exclude, settings.project_gitignore))
        key = self._project_keys[(root, settings)]
        memo = (str(store.path), key)
        if memo not in self._projects:
            files: FileStates = {}
            for name, stat in project_files(root, settings.project_exclude,
                                            GitIgnore() if settings.project_gitignore else None):
                mtime = stat.st_mtime_ns
                files[sys.intern(name)] = [mtime, stat.st_size,
                               content_of(name) if mtime >= self.now - HASH_RECENT_NS else None]
            state = {"root": root, "files": files}
            recorded = store.projects.get(key)
            if recorded is not None and not state_ok(recorded):
                store.malformed("a project state of another shape")
                recorded = None
            same = recorded is not None and self._same(recorded["files"], files, store)
            self._projects[memo] = (state, same)
        state, same = self._projects[memo]
        store.new_projects[key] = state
        if same:
            store.verified.add(key)
        else:
            store.dirty = True
        return key

    def _same(self, recorded: FileStates, fresh: FileStates, store: Store) -> bool:
        if recorded.keys() != fresh.keys():
            return False
        for name, (mtime, size, digest) in fresh.items():
            old = recorded[name]
            if old[0] != mtime or old[1] != size:
                return False
            if cache.racy(mtime, store.written):
                store.dirty = True
                if old[2] is None or old[2] != digest:
                    return False
        return True


__all__ = ["Store", "WarmRun"]
