"""The project scan's records kept in the result cache, so that a warm scan costs one ``stat`` per file.

One entry per project root (and manager factories, which change the prefilter): every file's
(mtime_ns, size) and :class:`ScanRecord`. One entry rather than one per file because a warm run must not
open a file per module; a record is trusted only while its file's (mtime, size) is unchanged
(:func:`projectscan.scan_project`), as ruff's cache trusts a file's stat, and the stat is not racy: a record
of a file whose mtime is within :data:`cache.RACY_WINDOW_NS` of the entry's own write time is dropped on load, so
that file is read again (git's "racily clean" rule: an edit in the same timestamp tick keeps (mtime, size)).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from . import cache
from ..engine.summaries import ScanRecord
from .scan import Known, ProjectIndex

#: The kind of the result-cache entry holding a root's scan.
SCAN_KIND = "scan"


def key(root: str, tokens: Tuple[str, ...], scope: Any) -> Tuple[str, str, str]:
    """(settings, inputs, content) of the entry: the prefilter's tokens and what the scan excludes."""
    return cache.digest(list(tokens)), cache.digest(repr(scope)), ""


def load(store: Optional[cache.Cache], root: str, tokens: Tuple[str, ...], scope: Any) -> Known:
    """The records a previous scan of ``root`` kept ({} when none, or the entry is not one: warned)."""
    if store is None:
        return {}
    value = store.load(SCAN_KIND, root, *key(root, tokens, scope))
    if value is None:
        return {}
    written = store.written(SCAN_KIND, root, *key(root, tokens, scope)[:2])
    try:
        return {str(path): (int(mtime), int(size), ScanRecord.from_json(record))
                for path, (mtime, size, record) in value.items()
                if written is not None and not cache.racy(int(mtime), written)}
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        cache.warn(str(store.entry_path(SCAN_KIND, root, *key(root, tokens, scope)[:2])),
                   f"ignoring unreadable cache entry ({type(err).__name__}: {err})")
        return {}


def save(store: Optional[cache.Cache], index: ProjectIndex, tokens: Tuple[str, ...], scope: Any,
         known: Known) -> None:
    """Write the scan's records, unless they are exactly those ``known`` held (a warm run writes nothing)."""
    if store is None:
        return
    if len(known) == len(index.records) and all(
            known.get(path, (None, None))[:2] == stamp for path, stamp in index.stats.items()):
        return
    value: Dict[str, Any] = {path: [mtime, size, index.records[path].to_json()]
                             for path, (mtime, size) in index.stats.items()}
    store.store(SCAN_KIND, index.root, *key(index.root, tokens, scope), value)
