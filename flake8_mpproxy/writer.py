"""Atomic file replacement: a temporary file in the same directory, the original's mode, then ``os.replace``."""

from __future__ import annotations

import os
import stat
import tempfile
from typing import List, Optional, Sequence, Tuple


class WriteError(Exception):
    """A file could not be rewritten; ``str(err)`` is the one-line cause. The original is left intact."""


#: The cause :func:`replace_file` gives when the file no longer holds the bytes the new text was made from.
CHANGED = "changed while fixing; not written"


def replace_file(path: str, data: bytes, expected: Optional[bytes] = None) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees either the old file or the new one.

    A symlink is followed: its target is rewritten and the link stays a link. A file we may not write is an
    error even where the directory would let us replace it, as editors and ruff behave. ``expected``: the bytes
    ``data`` was made from; the file is read again right before the replace (the temporary file is already
    written, so the window is as short as it can be) and left alone if another writer changed it meanwhile.
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
        if expected is not None and not holds(target, expected):
            raise WriteError(CHANGED)  # (the temporary file goes in the handler below)
        os.replace(temp, target)
    except OSError as err:
        _remove_quietly(temp)
        raise WriteError(f"cannot write: {err.strerror}") from None
    except BaseException:
        _remove_quietly(temp)
        raise


def holds(path: str, expected: bytes) -> bool:
    """Does the file at ``path`` hold exactly ``expected``? (An unreadable file does not.)"""
    try:
        with open(path, "rb") as handle:
            return handle.read() == expected
    except OSError:
        return False


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def replace_files(items: Sequence[Tuple[str, bytes, bytes]]) -> None:
    """Rewrite several files together: each ``(path, bytes read before, new bytes)``. Every file is checked
    first (writable, and still the bytes the fix was made from: another writer may have changed it) and its
    new text written to a temporary beside it; only then are they replaced, and if one replace fails the files
    already replaced get their old bytes back. So either every file changes or none does."""
    staged: List[Tuple[str, str, bytes]] = []
    try:
        for path, before, data in items:
            target = os.path.realpath(path)
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode)
                with open(target, "rb") as handle:
                    current = handle.read()
            except OSError as err:
                raise WriteError(f"cannot write {path}: {err.strerror}") from None
            if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
                raise WriteError(f"cannot write {path}: file is read-only")
            if current != before:
                raise WriteError(f"cannot write {path}: it changed while it was being fixed; run --fix again")
            try:
                fd, temp = tempfile.mkstemp(prefix=".mpproxy-", suffix=".tmp", dir=os.path.dirname(target) or ".")
            except OSError as err:
                raise WriteError(f"cannot write {path}: {err.strerror}") from None
            staged.append((target, temp, before))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
    except OSError as err:
        for _, temp, _ in staged:
            _remove_quietly(temp)
        raise WriteError(f"cannot write: {err.strerror}") from None
    except BaseException:
        for _, temp, _ in staged:
            _remove_quietly(temp)
        raise
    replaced: List[Tuple[str, bytes]] = []
    for index, (target, temp, before) in enumerate(staged):
        try:
            os.replace(temp, target)
        except OSError as err:
            for _, left, _ in staged[index:]:
                _remove_quietly(left)
            lost = []
            for done, old in replaced:  # put back what was already replaced
                try:
                    replace_file(done, old)
                except WriteError:
                    lost.append(done)
            outcome = f"could not restore {', '.join(lost)}" if lost else "no file was changed"
            raise WriteError(f"cannot write {target}: {err.strerror}; {outcome}") from None
        replaced.append((target, before))
