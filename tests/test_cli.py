"""The command end to end, in subprocesses: output formats, selection, exit status, -j, stdin, fix and diff."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed" / "seed.py"
CLEAN = ROOT / "fixtures" / "seed" / "corrected_pass_proxy.py"


def run(*args: str, cwd: Path = ROOT, stdin: str = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=str(cwd), input=stdin,
                          capture_output=True, text=True)


def finding_lines(out: str):
    return [line for line in out.splitlines() if ": MPP" in line]


def test_text_output_is_flake8s_format_and_sorted(tmp_path):
    for name in ("b.py", "a.py"):
        shutil.copy(SEED, tmp_path / name)
    result = run(".", cwd=tmp_path)
    lines = finding_lines(result.stdout)
    assert lines[:3] == [
        "./a.py:7:11: MPP201 " + lines[0].split(" MPP201 ")[1],
        "./a.py:11:5: MPP101 " + lines[1].split(" MPP101 ")[1],
        "./a.py:11:5: MPP202 " + lines[2].split(" MPP202 ")[1],
    ]
    assert [line.split(":")[0] for line in lines] == ["./a.py"] * 3 + ["./b.py"] * 3
    assert "Found 6 findings (2 fixable with --fix, 4 more with --fix --unsafe-fixes)." in result.stdout
    assert result.returncode == 1


def test_exit_zero_when_clean():
    result = run(str(CLEAN))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_json_output():
    result = run("--output-format", "json", str(SEED))
    records = json.loads(result.stdout)
    assert [r["code"] for r in records] == ["MPP201", "MPP101", "MPP202"]
    first = records[1]
    assert first["location"] == {"row": 11, "column": 5} and first["end_location"] == {"row": 11, "column": 19}
    assert first["fix"]["applicability"] == "safe" and first["name"] == "mutation-of-proxy-copy"
    assert records[0]["fix"]["applicability"] == "unsafe"


def test_select_ignore_extend_select():
    assert [l.split()[1] for l in finding_lines(run("--select", "MPP1", str(SEED)).stdout)] == ["MPP101"]
    assert [l.split()[1] for l in finding_lines(run("--ignore", "MPP2", str(SEED)).stdout)] == ["MPP101"]
    assert [l.split()[1] for l in finding_lines(run("--select", "MPP2", "--ignore", "MPP202", str(SEED)).stdout)
            ] == ["MPP201"]
    assert run("--select", "XYZ1", str(SEED)).returncode == 2


def test_jobs_do_not_change_the_output(tmp_path):
    for index in range(40):
        shutil.copy(SEED if index % 3 else CLEAN, tmp_path / f"m{index:02}.py")
    one, two = run("-j1", ".", cwd=tmp_path), run("-j2", ".", cwd=tmp_path)
    assert one.stdout == two.stdout and one.returncode == two.returncode == 1
    assert len(finding_lines(one.stdout)) == 3 * 26


def test_stdin():
    result = run("-", "--stdin-filename", "seed.py", stdin=SEED.read_text())
    assert [l.split(":")[0] for l in finding_lines(result.stdout)] == ["seed.py"] * 3


def test_version_and_module_entry():
    result = run("--version")
    assert result.stdout.startswith("flake8-mpproxy 0.1.0")
    console = shutil.which("flake8-mpproxy")
    if console:
        assert subprocess.run([console, "--version"], capture_output=True, text=True).stdout == result.stdout


def test_default_and_custom_excludes(tmp_path):
    for folder in (".venv", "build", "src", "src/gen"):
        (tmp_path / folder).mkdir(parents=True)
        shutil.copy(SEED, tmp_path / folder / "seed.py")
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    shutil.copy(SEED, tmp_path / "env" / "seed.py")
    files = {l.split(":")[0] for l in finding_lines(run(".", cwd=tmp_path).stdout)}
    assert files == {"./src/seed.py", "./src/gen/seed.py"}
    files = {l.split(":")[0] for l in finding_lines(run(".", "--extend-exclude", "gen", cwd=tmp_path).stdout)}
    assert files == {"./src/seed.py"}


def test_explain():
    result = run("--explain", "MPP101")
    assert result.returncode == 0 and "Use instead:" in result.stdout
    assert "MPP301" in run("--explain").stdout
    assert run("--explain", "MPP999").returncode == 2


def test_fix_then_nothing_remains(tmp_path):
    target = tmp_path / "seed.py"
    shutil.copy(SEED, target)
    os.chmod(target, 0o640)
    first = run("--fix", "--unsafe-fixes", "seed.py", cwd=tmp_path)
    assert first.returncode == 0 and "Fixed 3 findings in 1 file; 0 remain." in first.stdout
    text = target.read_text()
    assert "def f(d):\n    d[1] += [4]  # MPP101 MPP202\n" in text
    assert "if __name__ == '__main__':\n    manager = Manager()  # MPP201\n    d = manager.dict()\n" in text
    assert "p = Process(target=f, args=(d,))" in text
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    again = run("--fix", "--unsafe-fixes", "seed.py", cwd=tmp_path)
    assert again.returncode == 0 and "Fixed 0 findings" in again.stdout
    assert run("seed.py", cwd=tmp_path).returncode == 0


def test_fix_without_unsafe_leaves_unsafe_findings(tmp_path):
    target = tmp_path / "seed.py"
    shutil.copy(SEED, target)
    result = run("--fix", "seed.py", cwd=tmp_path)
    assert result.returncode == 1
    assert [l.split()[1] for l in finding_lines(result.stdout)] == ["MPP201", "MPP202"]
    assert "d[1] += [4]" in target.read_text()


def test_exit_non_zero_on_fix(tmp_path):
    shutil.copy(SEED, tmp_path / "seed.py")
    result = run("--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "seed.py", cwd=tmp_path)
    assert result.returncode == 1


def test_diff_changes_nothing(tmp_path):
    target = tmp_path / "seed.py"
    shutil.copy(SEED, target)
    before = target.read_bytes()
    result = run("--diff", "--unsafe-fixes", "seed.py", cwd=tmp_path)
    assert result.returncode == 1 and target.read_bytes() == before
    assert "-    d[1].append(4)  # MPP101 MPP202\n" in result.stdout
    assert "+    d[1] += [4]  # MPP101 MPP202\n" in result.stdout
    assert run("--diff", str(CLEAN)).returncode == 0


def test_fix_from_stdin_writes_the_fixed_code_to_stdout():
    result = run("--fix", "--unsafe-fixes", "-", stdin=SEED.read_text())
    assert "def f(d):\n    d[1] += [4]" in result.stdout
    assert result.returncode == 0


def test_config_in_pyproject(tmp_path):
    shutil.copy(SEED, tmp_path / "seed.py")
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nignore = ["MPP2"]\n')
    assert [l.split()[1] for l in finding_lines(run("seed.py", cwd=tmp_path).stdout)] == ["MPP101"]
    assert len(finding_lines(run("seed.py", "--isolated", cwd=tmp_path).stdout)) == 3
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nignroe = ["MPP2"]\n')
    result = run("seed.py", cwd=tmp_path)
    assert result.returncode == 2 and "unknown key 'ignroe'" in result.stderr


@pytest.mark.parametrize("fmt", ["github", "sarif", "concise"])
def test_other_formats(fmt):
    result = run("--output-format", fmt, str(SEED))
    assert result.returncode == 1
    if fmt == "github":
        assert result.stdout.startswith("::error title=flake8-mpproxy (MPP201),file=")
    elif fmt == "sarif":
        log = json.loads(result.stdout)
        assert log["version"] == "2.1.0" and len(log["runs"][0]["results"]) == 3
    else:
        assert len(finding_lines(result.stdout)) == 3


def test_statistics():
    result = run("--statistics", str(SEED))
    assert result.stdout.splitlines()[:3] == [  # ruff's layout; [*] only where --fix would fix
        "1\tMPP101\t[*] mutation-of-proxy-copy", "1\tMPP201\t[ ] module-level-manager",
        "1\tMPP202\t[ ] global-proxy-in-child"]
    assert ": MPP" not in result.stdout  # the counts replace the findings, as in ruff
    unsafe = run("--statistics", "--unsafe-fixes", str(SEED)).stdout
    assert "1\tMPP201\t[*] module-level-manager" in unsafe


def test_readme_demo_shows_the_three_findings():
    result = run("examples/seed.py")
    assert [line.split()[1] for line in finding_lines(result.stdout)] == ["MPP201", "MPP101", "MPP202"]
    assert "examples/seed.py:9:5: MPP101 d[1].append() mutates a copy" in result.stdout


def test_command_line_ignore_beats_configured_extend_select(tmp_path):
    shutil.copy(ROOT / "fixtures" / "seed" / "seed.py", tmp_path / "seed.py")
    (tmp_path / "lock.py").write_text(
        "from multiprocessing import Manager, Process\n\n\ndef work(d):\n    d['n'] += 1\n\n\n"
        "if __name__ == '__main__':\n    with Manager() as m:\n        d = m.dict(n=0)\n"
        "        for _ in range(2):\n            Process(target=work, args=(d,)).start()\n")
    codes = lambda *args: sorted({l.split()[1] for l in finding_lines(run(*args, cwd=tmp_path).stdout)})
    assert "MPP301" in codes("--extend-select", "MPP301", "lock.py")
    assert "MPP301" not in codes("--extend-select", "MPP301", "--ignore", "MPP301", "lock.py")
    assert "MPP301" in codes("--extend-select", "MPP301", "--ignore", "MPP3", "lock.py")  # more specific wins
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nextend-select = ["MPP301"]\nignore = ["MPP2"]\n')
    assert codes("lock.py") == ["MPP301"]
    assert codes("--ignore", "MPP301", "lock.py") == []
    assert codes("--select", "MPP2", "seed.py") == ["MPP201", "MPP202"]  # a command-line select starts afresh


def test_only_the_command_process_tunes_the_garbage_collector(tmp_path):
    """``python -m flake8_mpproxy`` freezes start-up objects and collects less often; ``cli.main`` called in a
    process that is not ours (a test, a library) leaves the collector as it was."""
    probe = ("import gc, runpy, sys\n"
             "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)\n"  # this interpreter's default (3.13: 2000)
             "from flake8_mpproxy.frontends import cli\n"
             "cli.main(['-q', sys.argv[1]])\n"
             "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)\n"
             "cli.main = lambda argv=None: print(gc.get_threshold()[0], gc.get_freeze_count() > 0) or 0\n"
             "cli.console()\n")
    result = subprocess.run([sys.executable, "-c", probe, str(CLEAN)], capture_output=True, text=True, cwd=str(ROOT))
    from flake8_mpproxy.frontends import cli
    default, after_main, console, end = result.stdout.split("\n")
    assert (after_main, console, end) == (default, f"{cli.GC_THRESHOLD} True", ""), result.stdout + result.stderr
    assert default.endswith(" False")


def test_a_loose_file_is_never_analysed_with_the_whole_filesystem_or_home(tmp_path, monkeypatch):
    """A file with no project marker, checked from / or from the home directory, gets its own folder as its
    project: scanning every *.py below / (or ~) is never what a check run from there means."""
    from flake8_mpproxy.project.discovery import loose_root_for

    path = tmp_path / "pkg" / "work.py"
    monkeypatch.chdir("/")
    assert loose_root_for(str(path)) == str(tmp_path / "pkg")
    monkeypatch.chdir(tmp_path)
    assert loose_root_for(str(path)) == str(tmp_path)
    assert loose_root_for(str(path), str(tmp_path / "pkg")) == str(tmp_path / "pkg")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert loose_root_for(str(path)) == str(tmp_path / "pkg")
