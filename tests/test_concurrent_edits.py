"""Every path that writes a fix re-reads the file immediately before replacing it: an edit another process
made while the fix was being computed (an editor saving during the pre-commit hook) is never overwritten."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from flake8_mpproxy.frontends import cli
from flake8_mpproxy import fixer
from flake8_mpproxy.fixer.writer import CHANGED, WriteError, replace_file

LOST = ("import multiprocessing\n\n\n"
        "def work(d):\n    d['k'].append(1)\n\n\n"
        "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
        "        shared = manager.dict({'k': []})\n        work(shared)\n")
EDIT = "# saved by the editor meanwhile\n"


def edit_from_another_process(path: Path) -> None:
    """Append a line to ``path`` from a second process, as an editor would."""
    code = f"open({str(path)!r}, 'a', encoding='utf-8').write({EDIT!r})"
    subprocess.run([sys.executable, "-c", code], check=True)


def editing_during_the_fix(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """While the fixer plans its rewrite, another process saves the file."""
    real: Callable[..., Any] = fixer.fix_source

    def fix_source(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        edit_from_another_process(path)
        return result

    monkeypatch.setattr(fixer, "fix_source", fix_source)


def test_a_file_edited_during_the_fix_is_not_written(tmp_path, monkeypatch, capsys):
    path = tmp_path / "work.py"
    path.write_text(LOST)
    editing_during_the_fix(monkeypatch, path)
    status = cli.main(["--no-cache", "--fix", str(path)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"{path}: error: {CHANGED}" in err.splitlines()
    assert path.read_text() == LOST + EDIT  # the edit kept, the fix not applied over it
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".mpproxy-")]


def test_without_an_edit_the_same_fix_is_written(tmp_path, capsys):
    path = tmp_path / "work.py"
    path.write_text(LOST)
    assert cli.main(["--no-cache", "--fix", str(path)]) == 0
    assert "d['k'] += [1]" in path.read_text()


def test_a_notebook_edited_during_the_fix_is_not_written(tmp_path, monkeypatch, capsys):
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": LOST.replace("if __name__ == '__main__':\n    ", "").replace("\n        ", "\n    ")
              .splitlines(True)}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "work.ipynb"
    path.write_text(json.dumps(notebook, indent=1))
    before = path.read_text()
    assert cli.main(["--no-cache", "--diff", str(path)]) == 1 and "+=" in capsys.readouterr().out
    editing_during_the_fix(monkeypatch, path)
    status = cli.main(["--no-cache", "--fix", str(path)])
    assert status == 2
    assert f"{path}: error: {CHANGED}" in capsys.readouterr().err.splitlines()
    assert path.read_text() == before + EDIT


def test_replace_file_refuses_changed_bytes_and_keeps_hard_links(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"old\n")
    with pytest.raises(WriteError, match=CHANGED):
        replace_file(str(path), b"new\n", before=b"other\n")
    assert path.read_bytes() == b"old\n"
    link = tmp_path / "b.py"
    os.link(path, link)
    replace_file(str(path), b"new\n", before=b"old\n")
    assert link.read_bytes() == b"new\n" and os.stat(path).st_ino == os.stat(link).st_ino
    with pytest.raises(WriteError, match=CHANGED):
        replace_file(str(link), b"newer\n", before=b"old\n")
    assert path.read_bytes() == b"new\n"


# --- the diff a fix prints ---------------------------------------------------------------------------------------

def command(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", *args], cwd=str(cwd),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("named", ["./pkg/work.py", "pkg/work.py", "pkg", "."])
def test_the_diff_applies_with_git_apply(tmp_path, named):
    """Headers as git prints them (``a/pkg/work.py``, never ``a/./pkg/work.py``), so ``git apply`` takes the
    diff and gives exactly what ``--fix`` writes."""
    (tmp_path / "pkg").mkdir()
    path = tmp_path / "pkg" / "work.py"
    path.write_text(LOST)
    diff = command(tmp_path, "--diff", named)
    assert diff.returncode == 1, diff.stderr
    assert diff.stdout.startswith("--- a/pkg/work.py\n+++ b/pkg/work.py\n"), diff.stdout
    applied = subprocess.run(["git", "apply", "-"], cwd=str(tmp_path), input=diff.stdout, text=True,
                             capture_output=True)
    assert applied.returncode == 0, applied.stderr
    patched = path.read_text()
    path.write_text(LOST)
    assert command(tmp_path, "--fix", named).returncode == 0
    assert path.read_text() == patched != LOST


def test_fix_with_diff_prints_the_diff_and_writes_nothing(tmp_path):
    path = tmp_path / "work.py"
    path.write_text(LOST)
    result = command(tmp_path, "--fix", "--diff", "work.py")
    assert result.returncode == 1 and "+    d['k'] += [1]" in result.stdout, result.stdout + result.stderr
    assert path.read_text() == LOST


#: The codemod through libcst's own tool, with an editor saving the file while the fix is computed.
CODEMOD_DRIVER = """
import sys
import flake8_mpproxy.fixer.codemod as codemod
real = codemod.fix_source
def fix_source(*args, **kwargs):
    result = real(*args, **kwargs)
    with open(sys.argv[1], "a", encoding="utf-8") as handle:
        handle.write({edit!r})
    return result
codemod.fix_source = fix_source
from libcst.tool import main
sys.exit(main("libcst.tool", ["codemod", "-x", "flake8_mpproxy.fixer.codemod.FixProxyTraps", "--no-format",
                              "--hide-progress", "-j", "1", sys.argv[1]]))
"""


def test_the_codemod_never_overwrites_an_edit_made_while_it_fixes(tmp_path: Path) -> None:
    """libcst writes the codemod's result itself: the codemod re-reads the file as its last step and skips
    it when it changed, saying why (libcst's write comes right after, with nothing slow in between)."""
    path = tmp_path / "work.py"
    path.write_text(LOST, encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", CODEMOD_DRIVER.format(edit=EDIT), str(path)],
                         capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    assert path.read_text(encoding="utf-8") == LOST + EDIT
    assert "changed while fixing; not written" in run.stderr, run.stderr
    path.write_text(LOST, encoding="utf-8")
    plain = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "-x",
                            "flake8_mpproxy.fixer.codemod.FixProxyTraps", "--no-format", "--hide-progress",
                            str(path)], capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert "d['k'] += [1]" in path.read_text(encoding="utf-8")
