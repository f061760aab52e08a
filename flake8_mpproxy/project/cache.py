"""The persistent result cache (like ruff's): per-module records on disk, so a repeat run skips the analysis.

Layout: ``<cache dir>/CACHEDIR.TAG``, ``<cache dir>/.gitignore`` (``*``), and one JSON file per entry under
``<cache dir>/<tool>/<2 hex>/<64 hex>.json``. ``<tool>`` is the version plus a fingerprint of the installed
package's files (a changed analysis never reads old entries); an entry's file name is a hash of its kind, the
module's absolute path, the settings digest and the *inputs* digest (the facts the module's result used from
other modules), so no name from the project ever reaches the file system and nothing is written outside the
cache directory. An entry holds a hash of the module's bytes: a record is trusted only for the same
content, same settings, same inputs; anything else (another content, a corrupt, truncated or foreign file) is a
miss. Writes go to a temporary file in the same directory and are renamed over the entry (``os.replace``), so
readers never see a partial file and two processes writing the same entry (flake8's parallel workers) leave
one whole copy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from .. import __version__
from .paths import CACHE_DIR_NAME

#: The layout of an entry; bump it when the JSON shape changes.
SCHEMA = 2
ENV_CACHE_DIR = "FLAKE8_MPPROXY_CACHE_DIR"
ENV_NO_CACHE = "FLAKE8_MPPROXY_NO_CACHE"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by flake8-mpproxy.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")

_OPEN: Dict[str, Optional["Cache"]] = {}

#: A file whose mtime is this close to (or after) the time a record of its stat was written is *racy* (git's
#: term): it may have been changed again within the same file-system timestamp tick without changing its
#: (mtime, size), so its stat alone proves nothing and its content must be checked. Two seconds covers the
#: coarsest common timestamps (FAT's 2 s, ext3 and HFS+'s 1 s); on a fine-grained file system it only costs a
#: read of the files changed in the two seconds before the record was written.
RACY_WINDOW_NS = 2_000_000_000


def racy(mtime_ns: int, written_ns: int) -> bool:
    """Is a stat with this mtime ambiguous for a record written at ``written_ns`` (file-system time)?"""
    return mtime_ns >= written_ns - RACY_WINDOW_NS


def digest(value: Any) -> str:
    """A stable SHA-256 of a value built from str, int, bool, None, tuples, lists and dicts (``repr`` of
    those is deterministic; dicts are sorted first so the insertion order does not matter)."""
    return hashlib.sha256(repr(_canonical(value)).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    return value


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def tool_id() -> str:
    """The version plus a fingerprint of this package's source files: a development checkout whose analysis
    changed must not read the entries the previous code wrote (ruff keys its cache on its version alone)."""
    package = Path(__file__).resolve().parent
    stats = []
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        stats.append((str(path.relative_to(package)), stat.st_mtime_ns, stat.st_size))
    return f"{__version__}-{digest(stats)[:12]}"


_TOOL: List[str] = []


def current_tool() -> str:
    if not _TOOL:
        _TOOL.append(tool_id())
    return _TOOL[0]


def warn(where: str, message: str) -> None:
    """The one-line warning form of the command (``path: warning: ...``) on stderr."""
    print(f"{where}: warning: {message}", file=sys.stderr, flush=True)


class Cache:
    """One cache directory, opened (and proved writable) by :func:`open_cache`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.entries = directory / current_tool()
        self.broken = False

    def entry_path(self, kind: str, path: str, settings: str, inputs: str) -> Path:
        name = digest((SCHEMA, kind, os.path.abspath(path), settings, inputs))
        return self.entries / name[:2] / f"{name}.json"

    def load(self, kind: str, path: str, settings: str, inputs: str, content: str) -> Optional[Any]:
        """The stored value for module ``path`` with this content hash, settings and inputs digests, or
        None. A file that is not a whole entry of this tool is reported (one warning) and never trusted."""
        entry = self.entry_path(kind, path, settings, inputs)
        try:
            with open(entry, "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:  # truncated or corrupt JSON, undecodable bytes, unreadable
            warn(str(entry), f"ignoring unreadable cache entry ({type(err).__name__}: {err})")
            return None
        cause = foreign(data, kind, path, settings, inputs)
        if cause is not None:
            warn(str(entry), f"ignoring unreadable cache entry ({cause})")
            return None
        if data["content"] != content:
            return None  # the module changed since: a plain miss (the entry is overwritten after the analysis)
        return data["value"]

    def written(self, kind: str, path: str, settings: str, inputs: str) -> Optional[int]:
        """The mtime (ns, file-system time) of an entry: when it was written (None: there is none)."""
        try:
            return os.stat(self.entry_path(kind, path, settings, inputs)).st_mtime_ns
        except OSError:
            return None

    def store(self, kind: str, path: str, settings: str, inputs: str, content: str, value: Any) -> None:
        """Write an entry atomically; a failure disables this cache for the rest of the process."""
        if self.broken:
            return
        entry = self.entry_path(kind, path, settings, inputs)
        data = {"schema": SCHEMA, "tool": current_tool(), "kind": kind, "path": os.path.abspath(path),
                "settings": settings, "inputs": inputs, "content": content, "value": value}
        try:
            text = json.dumps(data, separators=(",", ":"))
        except (TypeError, ValueError):
            return  # not JSON-serialisable: this one record is not cached
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(entry, text.encode("utf-8"))
        except OSError as err:
            self.broken = True
            warn(str(self.directory), f"cannot write the cache ({err.strerror or err}); running without it")


def foreign(data: Any, kind: str, path: str, settings: str, inputs: str) -> Optional[str]:
    """Why ``data`` is not an entry this tool wrote for this key (None: it is)."""
    if not isinstance(data, dict):
        return "not a cache entry"
    if data.get("schema") != SCHEMA or data.get("tool") != current_tool():
        return f"written by another version: schema {data.get('schema')!r}, tool {data.get('tool')!r}"
    expected = {"kind": kind, "path": os.path.abspath(path), "settings": settings, "inputs": inputs}
    for key, value in expected.items():
        if data.get(key) != value:
            return f"{key} does not match its name"
    if not isinstance(data.get("content"), str) or "value" not in data:
        return "not a cache entry"
    return None


def write_atomically(path: Path, data: bytes, dump: Optional[Any] = None) -> None:
    """A temporary file in the same directory, then ``os.replace``: readers see the old or the new entry.
    ``dump``: written as JSON, streamed (a large value is never held as one string)."""
    import tempfile  # (only when something is written: a warm run writes nothing)

    handle, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=".tmp-", suffix=".json")
    try:
        if dump is not None:
            with os.fdopen(handle, "w", encoding="utf-8") as text:
                json.dump(dump, text, separators=(",", ":"))
        else:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with _ignored():
            os.unlink(temporary)
        raise


class _ignored:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]


def open_cache(directory: str) -> Optional[Cache]:
    """The cache at ``directory``, created with its CACHEDIR.TAG and ``.gitignore`` (as ruff's); None, after
    one warning, when it cannot be written. Opened once per process and directory."""
    key = os.path.abspath(directory)
    if key not in _OPEN:
        _OPEN[key] = _create(Path(key))
    return _OPEN[key]


def _create(directory: Path) -> Optional[Cache]:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# Automatically created by "
                                                                          "flake8-mpproxy.\n*\n")):
            if not (directory / name).is_file():
                write_atomically(directory / name, text.encode("utf-8"))
        cache = Cache(directory)
        cache.entries.mkdir(exist_ok=True)
        probe = cache.entries / ".probe"
        write_atomically(probe, b"")  # proves the entries folder itself is writable
    except OSError as err:
        warn(str(directory), f"cannot write the cache ({err.strerror or err}); running without it")
        return None
    return cache


def default_directory(path: str) -> Optional[str]:
    """``<project root>/.flake8-mpproxy_cache`` for a file; None outside a project (no marker above it):
    a loose script gets no cache unless a directory is given."""
    from .root import find_root, has_marker

    root = find_root(path)
    return os.path.join(root, CACHE_DIR_NAME) if has_marker(root) else None


def cache_for(path: str, directory: Optional[str], enabled: bool) -> Optional[Cache]:
    """The cache a file's records go to: ``directory`` (``--cache-dir``) or the project's default."""
    if not enabled or path in ("-", "stdin", "<stdin>"):
        return None
    chosen = directory if directory is not None else default_directory(path)
    return open_cache(chosen) if chosen is not None else None


def environment_settings(environ: Optional[Dict[str, str]] = None) -> Tuple[Optional[str], Optional[bool]]:
    """``FLAKE8_MPPROXY_CACHE_DIR`` and ``FLAKE8_MPPROXY_NO_CACHE`` (ruff reads RUFF_CACHE_DIR and
    RUFF_NO_CACHE): (directory or None, False when caching is turned off, None when not set)."""
    env = os.environ if environ is None else environ
    off = env.get(ENV_NO_CACHE, "").strip().lower()
    enabled = None if not off else off in ("0", "false", "no", "off")
    return env.get(ENV_CACHE_DIR) or None, enabled


# --- findings as JSON: tuples are tagged so that a value read back equals the one stored ------------------------

def encode(value: Any) -> Any:
    """A JSON-ready copy of ``value`` that :func:`decode` turns back into an equal value (tuples stay tuples)."""
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("a dict key that is not a string")
        return {"d": {k: encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "t" in value:
            return tuple(decode(v) for v in value["t"])
        return {k: decode(v) for k, v in value["d"].items()}
    return value


def encode_all(items: Iterable[Any]) -> List[Any]:
    return [encode(item) for item in items]


# --- the settings part of a key -------------------------------------------------------------------------------

def settings_digest(settings: Any) -> str:
    """Settings are a frozen dataclass of strings, tuples and bools: its ``repr`` names every field."""
    return digest(repr(settings))


def encode_records(items: Iterable[Any]) -> List[Any]:
    """Frozen dataclass values (findings, call summaries) as JSON-ready field lists, in field order."""
    return [encode(tuple(getattr(item, f.name) for f in dataclasses.fields(item))) for item in items]


def decode_records(cls: Any, value: Any) -> List[Any]:
    """The inverse of :func:`encode_records`; raises ValueError for anything that is not such a list."""
    if not isinstance(value, list):
        raise ValueError("not a list of records")
    try:
        return [cls(*decode(item)) for item in value]
    except (TypeError, KeyError, AttributeError) as err:
        raise ValueError(f"malformed record: {err}") from None
