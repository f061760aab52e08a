"""Atomic file replacement: a temporary file in the same directory, the original's mode, then ``os.replace``."""

from __future__ import annotations

import os
import stat
import tempfile


class WriteError(Exception):
    """A file could not be rewritten; ``str(err)`` is the one-line cause. The original is left intact."""


def replace_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees either the old file or the new one.

    A symlink is followed: its target is rewritten and the link stays a link. A file we may not write is an
    error even where the directory would let us replace it, as editors and ruff behave.
    """
    target = os.path.realpath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError as err:
        raise WriteError(f"cannot write: {err.strerror}") from None
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteError("cannot write: file is read-only")  # by its mode bits, even for root
    directory = os.path.dirname(target) or "."
    try:
        fd, temp = tempfile.mkstemp(prefix=".mpproxy-", suffix=".tmp", dir=directory)
    except OSError as err:
        raise WriteError(f"cannot write: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as err:
        _remove_quietly(temp)
        raise WriteError(f"cannot write: {err.strerror}") from None
    except BaseException:
        _remove_quietly(temp)
        raise


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
