"""The language server's parts that need no client: positions in each LSP encoding, minimal edits, and the
``server`` subcommand's dispatch (tests/test_server.py drives the server itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_mpproxy.project import scanstore
from flake8_mpproxy.pipeline.analysis import check_file
from flake8_mpproxy.project.cache import open_cache
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.project.context import ProjectContext
from flake8_mpproxy.frontends.server.positions import apply_edit, column_in_units, line_bodies, minimal_edit, span
from flake8_mpproxy.frontends.server.session import Document, Session, to_bytes
from flake8_mpproxy.model.source import prefilter_tokens

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


MAIN = '''\
import multiprocessing as mp

from workers import collect


def run():
    with mp.Manager() as manager:
        shared = manager.dict({"k": []})
        child = mp.Process(target=collect, args=(shared, "k", 1))
        child.start()
        child.join()
'''
WORKERS = "def collect(shared, key, value):\n    shared[key].append(value)\n"


def cross_module_project(folder: Path) -> None:
    (folder / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (folder / "main.py").write_text(MAIN)
    (folder / "workers.py").write_text(WORKERS)


def codes(result) -> list:
    return [finding.code for finding in result.findings]


# --- the overlay: what the project sees of open documents -------------------------------------------------------

def test_the_project_reads_an_unsaved_buffer_and_the_disk_again_once_it_is_lifted(tmp_path: Path):
    """check_file of workers.py follows main.py's buffer; the scan's cache entry never keeps the buffer's record
    (a later run without the buffer must read main.py from disk)."""
    cross_module_project(tmp_path)
    workers = str(tmp_path / "workers.py")
    raw = WORKERS.encode()
    store = open_cache(str(tmp_path / "cache"))
    settings = Settings()
    projects = ProjectContext()
    try:
        assert codes(check_file(workers, raw, settings, projects, store)) == ["MPP101"]
        projects.forget()
        projects.overlay.lay(str(tmp_path / "main.py"), MAIN.replace("manager.dict(", "dict(").encode())
        assert codes(check_file(workers, raw, settings, projects, store)) == []
        root = str(tmp_path)
        entry = store.load(scanstore.SCAN_KIND, root, *scanstore.key(root, prefilter_tokens(()), ((), False)))
        assert str(tmp_path / "workers.py") in entry and str(tmp_path / "main.py") not in entry
    finally:
        projects.overlay.lift_all()
        projects.forget()
    assert codes(check_file(workers, raw, settings, projects, store)) == ["MPP101"]
    projects.forget()


def test_a_session_checks_open_documents_with_each_others_unsaved_text(tmp_path: Path):
    cross_module_project(tmp_path)
    session = Session([str(tmp_path)])
    main, workers = (tmp_path / "main.py").as_uri(), (tmp_path / "workers.py").as_uri()
    try:
        session.open(Document(workers, str(tmp_path / "workers.py"), WORKERS, 1))
        session.open(Document(main, str(tmp_path / "main.py"), MAIN, 1))
        assert codes(session.check(workers)) == ["MPP101"]
        assert session.neighbours(main) == [workers]
        session.change(main, MAIN.replace("manager.dict(", "dict("), 2)
        assert codes(session.check(workers)) == []
        assert not (tmp_path / ".flake8-mpproxy_cache").exists()  # the server writes no cache
    finally:
        session.shutdown()


def test_the_editors_text_is_encoded_as_its_coding_cookie_says():
    text = "# -*- coding: latin-1 -*-\nname = 'é'\n"
    assert to_bytes(text) == text.encode("latin-1")
    assert to_bytes("x = 'é'\n") == "x = 'é'\n".encode("utf-8")
    assert to_bytes("# coding: ascii\nx = 'é'\n") == "# coding: ascii\nx = 'é'\n".encode("utf-8")


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
