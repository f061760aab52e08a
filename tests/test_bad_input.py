"""Bad input: one line on stderr naming the file and the cause, the other files still checked, exit 2; a fix
never writes a file it cannot write or re-parse, and never leaves a half-written file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_mpproxy.fixer.writer import WriteError, replace_file

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "seed.py"
HEADER = b"from multiprocessing import Manager\n"  # passes the prefilter, so the file is really parsed

BAD_FILES = {
    "syntax.py": (HEADER + b"def f(:\n", "syntax error: invalid syntax"),
    "nul.py": (HEADER + b"x = 1\x00\n", "null bytes"),
    "undecodable.py": (HEADER + b"x = '\xff\xfe'\n", "cannot decode as utf-8"),
    "cookie.py": (b"# -*- coding: klingon -*-\n" + HEADER, "cannot detect encoding"),
    "nested.py": (HEADER + b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "syntax error"),
    "deep.py": (HEADER + b"x = " + b"-" * 100000 + b"1\n", "nesting too deep"),
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=str(cwd),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_gives_one_line_and_the_rest_is_checked(name, tmp_path):
    content, cause = BAD_FILES[name]
    (tmp_path / name).write_bytes(content)
    shutil.copy(SEED, tmp_path / "good.py")
    result = run(".", cwd=tmp_path)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"./{name}: error: ") and cause in errors[0], errors
    assert "Traceback" not in result.stderr
    assert result.stdout.count("./good.py:") == 3
    assert result.returncode == 2


def test_directory_of_binaries(tmp_path):
    for index in range(3):
        (tmp_path / f"blob{index}.py").write_bytes(os.urandom(64) + b"\x00multiprocessing Manager")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00")
    result = run(".", cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(": error: " in line for line in lines)
    assert result.returncode == 2


def test_missing_path(tmp_path):
    shutil.copy(SEED, tmp_path / "good.py")
    result = run("missing.py", "good.py", cwd=tmp_path)
    assert result.stderr.strip() == "missing.py: error: No such file or directory"
    assert result.stdout.count("good.py:") == 3 and result.returncode == 2


def test_empty_file_and_bom_crlf(tmp_path):
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + SEED.read_bytes().replace(b"\n", b"\r\n"))
    result = run(".", cwd=tmp_path)
    assert result.stderr == "" and result.stdout.count("./bom.py:") == 3


def test_symlink_loop_does_not_hang(tmp_path):
    (tmp_path / "pkg").mkdir()
    shutil.copy(SEED, tmp_path / "pkg" / "seed.py")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    result = run(".", cwd=tmp_path)
    assert result.stdout.count("seed.py:") == 3 and result.returncode == 1


def test_checked_code_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(
        f"import multiprocessing\nopen({str(marker)!r}, 'w').write('x')\nm = multiprocessing.Manager()\n")
    run("--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert not marker.exists()


def test_read_only_file_is_an_error_for_that_file_only(tmp_path):
    for name in ("locked.py", "open.py"):
        shutil.copy(SEED, tmp_path / name)
    os.chmod(tmp_path / "locked.py", 0o444)
    before = (tmp_path / "locked.py").read_bytes()
    result = run("--fix", ".", cwd=tmp_path)
    assert result.stderr.strip() == "./locked.py: error: cannot write: file is read-only"
    assert (tmp_path / "locked.py").read_bytes() == before
    assert "d[1] += [4]" in (tmp_path / "open.py").read_text()
    assert result.returncode == 2


def test_symlinked_file_is_fixed_through_the_link(tmp_path):
    shutil.copy(SEED, tmp_path / "real.py")
    os.symlink(tmp_path / "real.py", tmp_path / "link.py")
    run("--fix", "link.py", cwd=tmp_path)
    assert (tmp_path / "link.py").is_symlink()
    assert "d[1] += [4]" in (tmp_path / "real.py").read_text()


def test_interrupted_write_leaves_the_original_intact(tmp_path, monkeypatch):
    target = tmp_path / "f.py"
    target.write_bytes(b"original\n")

    def crash(src, dst):
        raise KeyboardInterrupt  # a crash between the temporary write and the replace

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        replace_file(str(target), b"new\n")
    assert target.read_bytes() == b"original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.py"]  # no temporary file left behind


def test_unparseable_fix_is_never_written(tmp_path, monkeypatch):
    from flake8_mpproxy import fixer
    from flake8_mpproxy.pipeline.analysis import check_source
    from flake8_mpproxy.model.config import Settings
    from flake8_mpproxy.model.source import decode

    source = decode("seed.py", SEED.read_bytes())
    monkeypatch.setattr(fixer, "apply_round",
                        lambda text, findings, style, check=None: (text + "def (:\n", list(findings), fixer.Edits()))
    result = fixer.fix_source(source, check_source(source, Settings()), Settings())
    assert result.error.startswith("internal error: the fix would not parse") and result.text == source.text


def test_write_error_on_missing_directory(tmp_path):
    with pytest.raises(WriteError):
        replace_file(str(tmp_path / "nope" / "f.py"), b"x")


def test_tabs_and_form_feeds(tmp_path):
    text = SEED.read_text().replace("    ", "\t")
    text = text.replace("def f():", "\x0c\ndef f():")
    (tmp_path / "tabs.py").write_text(text)
    result = run("tabs.py", cwd=tmp_path)
    assert result.stderr == "" and [line.split(":")[1] for line in result.stdout.splitlines()
                                    if ": MPP" in line] == ["7", "12", "12"]


@pytest.mark.slow
def test_five_megabyte_file(tmp_path):
    filler = "def helper_{0}(x):\n    return [x, {0}]\n\n\n"
    body = "".join(filler.format(i) for i in range(5 * 1024 * 1024 // len(filler.format(99999)) + 1))
    (tmp_path / "big.py").write_text(SEED.read_text() + "\n\n" + body)
    assert (tmp_path / "big.py").stat().st_size >= 5 * 1024 * 1024
    result = run("big.py", cwd=tmp_path)
    assert result.stderr == "" and result.stdout.count("big.py:") == 3 and result.returncode == 1


def test_check_and_fix_without_fixable_findings_never_import_libcst(tmp_path):
    shutil.copy(ROOT / "fixtures" / "rules" / "mpp204_used_after_shutdown.py", tmp_path / "unfixable.py")
    shutil.copy(ROOT / "fixtures" / "clean" / "propagated_forms.py", tmp_path / "clean.py")
    for args in ([".", "-j1"], ["--fix", ".", "-j1"]):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "flake8_mpproxy", *args],
                                cwd=str(tmp_path), capture_output=True, text=True)
        assert "MPP204" in result.stdout and "libcst" not in result.stderr


def test_a_bug_in_the_analysis_is_one_line_per_file_in_every_front_end(tmp_path, monkeypatch, capsys):
    """A bug of ours (here: the engine raising on every unit) stops the files it touches with one line each, in
    the command (also where only the screening's project solve meets it: workers.py never mentions
    multiprocessing) and in the flake8 plugin; no traceback ends the run, the other files are still checked."""
    from flake8.main import cli as flake8_cli

    from flake8_mpproxy.engine.walker import Walker
    from flake8_mpproxy.frontends import cli

    project = tmp_path / "proj"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "process_target", project)
    (project / "plain.py").write_text("print('no managers here')\n")

    def broken(self, unit):
        raise ValueError("injected")

    monkeypatch.setattr(Walker, "walk_unit", broken)
    monkeypatch.chdir(project)
    assert cli.main(["--no-cache", "-j1", "."]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    errors = sorted(line for line in captured.err.splitlines() if ": error: " in line)
    assert errors == [f"./{name}: error: internal error: ValueError: injected (please report this file)"
                      for name in ("main.py", "workers.py")]
    try:
        flake8_cli.main(["--select", "MPP", "-j1", "--mpproxy-no-cache", "."])
    except SystemExit:
        pass
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "critical error" not in captured.err.lower()
    assert "internal error: ValueError: injected" in captured.err


def test_a_missing_dependency_is_one_line_not_a_traceback(monkeypatch, capsys):
    """A checkout run by a Python without the package's dependencies (``python -m flake8_mpproxy`` with a bare
    interpreter): the missing one is named in one line, exit 2; any other missing module is a bug of ours."""
    import pytest as _pytest
    from flake8_mpproxy.frontends import cli

    def missing(name: str):
        def run(*_args: object) -> int:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return run

    monkeypatch.setattr(cli, "main", missing("pathspec"))
    assert cli.console() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the dependency 'pathspec' is not installed" in err
    monkeypatch.setattr(cli, "main", missing("not_a_dependency"))
    with _pytest.raises(ModuleNotFoundError):
        cli.console()
