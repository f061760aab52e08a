"""Atomic file replacement: a temporary file in the same directory, the original's mode, then ``os.replace``."""

from __future__ import annotations

import os
import stat
import tempfile
from typing import List, Optional, Sequence, Tuple


class WriteError(Exception):
    """A file could not be rewritten; ``str(err)`` is the one-line cause. The original is left intact."""


#: What a front end prints (after ``path: error: ``) when a file changed between its read and the write.
CHANGED = "changed while fixing; not written"


def replace_file(path: str, data: bytes, before: Optional[bytes] = None) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees either the old file or the new one.

    ``before`` is the bytes the fix was made from: the file is read again immediately before it is replaced,
    and if another writer (an editor saving during a pre-commit hook) changed it meanwhile, nothing is written
    (``WriteError(CHANGED)``): their edit is worth more than our fix, which a second run makes again.

    A symlink is followed: its target is rewritten and the link stays a link. A file with several hard links
    is rewritten in place, so that every link sees the fix (a replace would leave the other links on the old
    text); that write is not atomic. A file we may not write is an error even where the directory would let
    us replace it, as editors and ruff behave.
    """
    target = os.path.realpath(path)
    try:
        status = os.stat(target)
    except OSError as err:
        raise WriteError(f"cannot write: {err.strerror}") from None
    mode = stat.S_IMODE(status.st_mode)
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteError("cannot write: file is read-only")  # by its mode bits, even for root
    if status.st_nlink > 1:
        _rewrite_in_place(target, data, before)
        return
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
        _refuse_if_changed(target, before)
        os.replace(temp, target)
    except OSError as err:
        _remove_quietly(temp)
        raise WriteError(f"cannot write: {err.strerror}") from None
    except BaseException:
        _remove_quietly(temp)
        raise


def _refuse_if_changed(target: str, before: Optional[bytes]) -> None:
    """The last look before the replace: ``target`` still holds ``before`` (when given)."""
    if before is None:
        return
    with open(target, "rb") as handle:
        if handle.read() != before:
            raise WriteError(CHANGED)


def _rewrite_in_place(target: str, data: bytes, before: Optional[bytes]) -> None:
    """Overwrite a file with several hard links through its own inode, checking it under the same handle."""
    try:
        with open(target, "r+b") as handle:
            if before is not None and handle.read() != before:
                raise WriteError(CHANGED)
            handle.seek(0)
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        raise WriteError(f"cannot write: {err.strerror}") from None


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
                raise WriteError(f"{path}: changed while fixing; no file was written")
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
    try:  # the last look, after the slow part (writing the temporaries): nobody changed them meanwhile
        for (target, _, before), (path, _, _) in zip(staged, items):
            _refuse_if_changed(target, before)
    except (OSError, WriteError) as err:
        for _, temp, _ in staged:
            _remove_quietly(temp)
        cause = "changed while fixing" if isinstance(err, WriteError) else f"cannot write: {err.strerror}"
        raise WriteError(f"{path}: {cause}; no file was written") from None
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
