"""Unsaved editor buffers laid over the files on disk, so that the project analysis sees what the editor shows.

The language server (:mod:`flake8_mpproxy.frontends.server`) lays the text of each open document over its
file in its :class:`ProjectContext`'s overlay; every place that reads another module of the project for facts
(the project scan, the solver, re-exports and ``import *`` names, the nested fix's origin module) reads
through :meth:`Overlay.read_bytes`. So a cross-module finding follows an edit of the module that passes the
proxy before that module is saved. The command and the flake8 plugin never lay anything; their overlay remembers
what it read instead (``remember``): one read of each file per run.

Paths are absolute (:func:`os.path.abspath`), as the project scan names its files.
"""

from __future__ import annotations

import os
from typing import Dict, Optional


class Overlay:
    """The buffers laid over files, by absolute path; with ``remember``, also each file read from disk, so that a
    run reads every file once (the screening, the project scan, the solver, re-exports, registrations and the
    check all ask for the same bytes) and sees one state of each file from start to end."""

    def __init__(self, remember: bool = False) -> None:
        self._buffers: Dict[str, bytes] = {}
        self.remember = remember
        self._read: Dict[str, bytes] = {}

    def lay(self, path: str, raw: bytes) -> None:
        """From now on the project sees ``raw`` as the content of ``path`` (an open, maybe unsaved, document)."""
        self._buffers[os.path.abspath(path)] = raw

    def lift(self, path: str) -> None:
        """The document was closed: the project sees the file on disk again."""
        self._buffers.pop(os.path.abspath(path), None)

    def lift_all(self) -> None:
        """Forget every buffer (a server shutting down)."""
        self._buffers.clear()

    def buffered(self, path: str) -> Optional[bytes]:
        """The buffer laid over ``path``, or None when the project reads the file on disk."""
        if not self._buffers:
            return None
        return self._buffers.get(os.path.abspath(path))

    def read_bytes(self, path: str) -> bytes:
        """The content the analysis should see for ``path``: its buffer, else the file (``OSError`` as
        ``open``)."""
        raw = self.buffered(path)
        if raw is not None:
            return raw
        if not self.remember:
            with open(path, "rb") as handle:
                return handle.read()
        key = os.path.abspath(path)
        raw = self._read.get(key)
        if raw is None:
            with open(path, "rb") as handle:
                raw = self._read[key] = handle.read()
        return raw

    def reread(self, path: Optional[str] = None) -> None:
        """``path`` (None: every file) changed on disk under the run, or was written by it: read it again."""
        if path is None:
            self._read.clear()
        else:
            self._read.pop(os.path.abspath(path), None)


#: What a reader without editor buffers sees: the files on disk.
DISK = Overlay()
