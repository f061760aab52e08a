"""The language server's result cache: the command's records, kept in memory and read through to the disk.

The project solver is rebuilt whenever a document changes (:meth:`ProjectContext.forget`); what keeps that cheap
is the result cache: a module whose content and inputs did not change gets its summary back without a parse.
The command's cache on disk gives a warm start (records a previous ``flake8-mpproxy`` run wrote), but the
server never writes there: most of what it analyses is unsaved text, and an entry per keystroke state would
only grow the folder. Records written during the session live here, one per (kind, module, settings,
inputs) as on disk (a newer content replaces the older), at most :data:`MAX_ENTRIES` of them.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Tuple

from ...project.cache import Cache

#: Records kept in memory; the oldest written go first (a few hundred bytes to a few kilobytes each).
MAX_ENTRIES = 50_000

Key = Tuple[str, str, str, str]


class MemoryCache(Cache):
    """A :class:`cache.Cache` whose writes stay in this process; reads fall back to ``backing`` (the
    project's cache on disk, None under ``no-cache`` or outside a project)."""

    def __init__(self, backing: Optional[Cache] = None) -> None:  # (no folder of its own to create)
        self.backing = backing
        self.directory = backing.directory if backing is not None else Path("<memory>")
        self.entries = backing.entries if backing is not None else self.directory
        self.broken = False
        self._records: "OrderedDict[Key, Tuple[str, Any, int]]" = OrderedDict()

    def load(self, kind: str, path: str, settings: str, inputs: str, content: str) -> Optional[Any]:
        """The record written in this session for this content, else the one on disk."""
        found = self._records.get(self._key(kind, path, settings, inputs))
        if found is not None and found[0] == content:
            return found[1]
        if self.backing is None:
            return None
        return self.backing.load(kind, path, settings, inputs, content)

    def written(self, kind: str, path: str, settings: str, inputs: str) -> Optional[int]:
        """When the record was written (the scan's racy-stat rule asks it), in this session or on disk."""
        found = self._records.get(self._key(kind, path, settings, inputs))
        if found is not None:
            return found[2]
        return self.backing.written(kind, path, settings, inputs) if self.backing is not None else None

    def store(self, kind: str, path: str, settings: str, inputs: str, content: str, value: Any) -> None:
        """Keep the record in memory (replacing one of the same key: another content of the module)."""
        key = self._key(kind, path, settings, inputs)
        self._records.pop(key, None)
        self._records[key] = (content, value, time.time_ns())
        while len(self._records) > MAX_ENTRIES:
            self._records.popitem(last=False)

    def __len__(self) -> int:
        return len(self._records)

    @staticmethod
    def _key(kind: str, path: str, settings: str, inputs: str) -> Key:
        return kind, os.path.abspath(path), settings, inputs
