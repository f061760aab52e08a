"""Unsaved editor buffers laid over the files on disk, so that the project analysis sees what the editor shows.

The language server (:mod:`flake8_mpproxy.frontends.server`) puts the text of each open document here; every place that
reads another module of the project for facts (the project scan, the solver, re-exports and ``import *``
names, the nested fix's origin module) reads through :func:`read_bytes`. So a cross-module finding follows
an edit of the module that passes the proxy before that module is saved. The command and the flake8 plugin
never lay anything here: for them :func:`read_bytes` is ``open(path, "rb").read()`` after one check of an
empty dict.

Paths are absolute (:func:`os.path.abspath`), as the project scan names its files.
"""

from __future__ import annotations

import os
from typing import Dict, Optional

_BUFFERS: Dict[str, bytes] = {}


def lay(path: str, raw: bytes) -> None:
    """From now on the project sees ``raw`` as the content of ``path`` (an open, maybe unsaved, document)."""
    _BUFFERS[os.path.abspath(path)] = raw


def lift(path: str) -> None:
    """The document was closed: the project sees the file on disk again."""
    _BUFFERS.pop(os.path.abspath(path), None)


def lift_all() -> None:
    """Forget every buffer (tests, and a server shutting down)."""
    _BUFFERS.clear()


def buffered(path: str) -> Optional[bytes]:
    """The buffer laid over ``path``, or None when the project reads the file on disk."""
    if not _BUFFERS:
        return None
    return _BUFFERS.get(os.path.abspath(path))


def read_bytes(path: str) -> bytes:
    """The content the analysis should see for ``path``: its buffer, else the file (``OSError`` as ``open``)."""
    raw = buffered(path)
    if raw is not None:
        return raw
    with open(path, "rb") as handle:
        return handle.read()
