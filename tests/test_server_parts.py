"""The language server's parts that need no client: positions in each LSP encoding, minimal edits, and the
``server`` subcommand's dispatch (tests/test_server.py drives the server itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_mpproxy.server.positions import apply_edit, column_in_units, line_bodies, minimal_edit, span

SEED = '''\
from multiprocessing import Manager, Process


def work(d):
    d["k"].append(4)


if __name__ == "__main__":
    with Manager() as manager:
        d = manager.dict({"k": []})
        p = Process(target=work, args=(d,))
        p.start()
        p.join()
'''


# --- the subcommand ---------------------------------------------------------------------------------------------

def test_server_without_pygls_says_what_to_install(tmp_path: Path):
    """pygls is an extra: without it, one line naming the extra and exit status 2."""
    blocker = tmp_path / "pygls.py"
    blocker.write_text("raise ImportError('pygls is not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "server"], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "flake8-mpproxy: error: the language server needs pygls; install it with "
        "pip install 'flake8-mpproxy[server]'"]


def test_a_file_named_server_is_checked_as_dot_slash_server(tmp_path: Path):
    (tmp_path / "server").write_text(SEED)
    done = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", "./server"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "MPP101" in done.stdout


# --- positions and edits, without a client ----------------------------------------------------------------------

@pytest.mark.parametrize("encoding,expected", [("utf-16", 6), ("utf-8", 9), ("utf-32", 5)])
def test_columns_in_each_position_encoding(encoding: str, expected: int):
    """Character column 5 of x="é😀" (after the emoji) in code units of each LSP position encoding."""
    assert column_in_units('x="é😀"', 5, encoding) == expected


def test_minimal_edit_replaces_only_the_changed_lines():
    old = "a\nb\nc\nd\n"
    new = "a\nB\nB2\nc\nd\n"
    edit = minimal_edit(old, new, "utf-16")
    assert (edit.span.start, edit.span.end, edit.text) == ((1, 0), (2, 0), "B\nB2\n")
    assert apply_edit(old, edit, "utf-16") == new


@pytest.mark.parametrize("old,new", [
    ("a\nb", "a\nc"), ("a\nb", "a\nb\n"), ("a\r\nb\r\n", "a\r\nx\r\nb\r\n"), ("", "x\n"), ("x\n", ""),
    ("a\x0cb\nc\n", "a\x0cb\nd\n"), ("é😀\nb", "é😀\nbb"), ("same\n", "same\n"),
])
def test_minimal_edit_round_trips(old: str, new: str):
    for encoding in ("utf-8", "utf-16", "utf-32"):
        assert apply_edit(old, minimal_edit(old, new, encoding), encoding) == new


def test_span_clamps_to_the_document():
    lines = line_bodies("ab\ncd")
    assert span(lines, 9, 0, 9, 5, "utf-16").start == (1, 0)
