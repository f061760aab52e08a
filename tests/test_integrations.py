"""The fixer through other front ends: libcst's codemod tool and pre-commit hooks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures" / "fix"


def test_libcst_codemod_command(tmp_path):
    target = tmp_path / "seed.py"
    shutil.copy(FIX / "guard_seed.py", target)
    result = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "flake8_mpproxy.fixer.codemod.FixProxyTraps",
         "--no-format", "--hide-progress", "--unsafe-fixes", str(target)],
        capture_output=True, text=True, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == (FIX / "guard_seed.fixed.py").read_bytes()


def codemod(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "flake8_mpproxy.fixer.codemod.FixProxyTraps",
         "--no-format", "--hide-progress", *args], capture_output=True, text=True, cwd=str(cwd))


def command(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", *args], capture_output=True,
                          text=True, cwd=str(cwd))


def test_the_codemod_reads_the_configuration(tmp_path):
    """A code the configuration ignores is not rewritten by the codemod either, and its fix style applies."""
    target = tmp_path / "seed.py"
    shutil.copy(FIX / "guard_seed.py", target)
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nextend-ignore = ["MPP101"]\n')
    original = target.read_text()
    result = codemod(tmp_path, "seed.py")
    assert result.returncode == 0, result.stderr
    assert target.read_text() == original  # MPP101 ignored; the guard move is unsafe and not asked for
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nfix-style = "nested"\n')
    assert codemod(tmp_path, "seed.py").returncode == 0
    fixed = target.read_text()
    target.write_text(original)
    assert command(tmp_path, "--fix", "seed.py").returncode in (0, 1)
    assert fixed == target.read_text() != original


def test_the_codemod_fixes_a_worker_with_its_project(tmp_path):
    """The worker's proxy comes from main.py: the codemod sees it through the project, as --fix does."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "fixtures" / "projects" / "process_target", project)
    worker = project / "workers.py"
    original = worker.read_text()
    result = codemod(project, "workers.py")
    assert result.returncode == 0, result.stderr
    fixed = worker.read_text()
    assert fixed != original
    worker.write_text(original)
    command(project, "--fix", "workers.py")
    assert worker.read_text() == fixed


def fix_options(path: Path) -> tuple:
    """The fixer options a fixtures/fix program names in its ``# fix:`` header (``(default)``: none)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# fix:"):
            return tuple(word for word in line[len("# fix:"):].split() if word != "(default)")
    return ()


def tree_bytes(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))
            if ".flake8-mpproxy_cache" not in p.parts and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_the_codemod_rewrites_every_fix_fixture_as_the_command_does(tmp_path):
    """Each fixtures/fix program, with the options its header names: libcst's codemod tool and ``--fix``
    leave the same bytes."""
    groups: dict = {}
    for case in sorted(FIX.glob("*.py")):
        if not case.name.endswith(".fixed.py"):
            groups.setdefault(fix_options(case), []).append(case)
    for number, (options, cases) in enumerate(sorted(groups.items())):
        by_codemod, by_command = tmp_path / f"codemod{number}", tmp_path / f"command{number}"
        for folder in (by_codemod, by_command):
            folder.mkdir()
            for case in cases:
                shutil.copy(case, folder / case.name)
        names = [case.name for case in cases]
        result = codemod(by_codemod, "-j", "1", *options, *names)
        assert result.returncode == 0, result.stderr
        command(by_command, "--fix", *options, *names)
        assert tree_bytes(by_codemod) == tree_bytes(by_command), options


@pytest.mark.slow
def test_the_codemod_rewrites_every_project_fixture_as_the_command_does(tmp_path):
    """Each fixtures/projects project, with its own configuration and its cross-module facts: the codemod run
    over the project's folder and ``--fix`` over it leave the same bytes in every module (nested fixes written
    into the module that made the proxy included)."""
    differ = []
    for project in sorted(p for p in (ROOT / "fixtures" / "projects").iterdir() if p.is_dir()):
        by_codemod, by_command = tmp_path / "codemod" / project.name, tmp_path / "command" / project.name
        shutil.copytree(project, by_codemod)
        shutil.copytree(project, by_command)
        codemod(by_codemod, "-j", "1", ".")
        command(by_command, "--fix", ".")
        if tree_bytes(by_codemod) != tree_bytes(by_command):
            differ.append(project.name)
    assert differ == []


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=str(cwd), check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": __import__("os").environ["PATH"],
                        "HOME": str(cwd)})


@pytest.fixture(scope="module")
def pre_commit():
    exe = shutil.which("pre-commit")
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit: it is in the test extra)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return exe


def try_repo(pre_commit: str, hook: str, repo: Path) -> subprocess.CompletedProcess:
    env = dict(__import__("os").environ, PRE_COMMIT_HOME=str(repo.parent / "cache"))
    return subprocess.run([pre_commit, "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
                          cwd=str(repo), capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.integration
def test_pre_commit_hooks(pre_commit, tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    shutil.copy(FIX / "reassign_append_known_list.py", repo / "work.py")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "init", cwd=repo)
    check = try_repo(pre_commit, "flake8-mpproxy", repo)
    assert check.returncode == 1 and "MPP101" in check.stdout, check.stdout + check.stderr
    fix = try_repo(pre_commit, "flake8-mpproxy-fix", repo)
    assert fix.returncode == 1, fix.stdout + fix.stderr  # it rewrote a file: the commit must be re-staged
    assert (repo / "work.py").read_bytes() == (FIX / "reassign_append_known_list.fixed.py").read_bytes()
    assert try_repo(pre_commit, "flake8-mpproxy", repo).returncode == 0


@pytest.mark.integration
def test_pre_commit_hooks_honour_the_projects_excludes(pre_commit, tmp_path):
    """pre-commit names every file; the hooks pass --force-exclude, so an excluded vendor/ file is neither
    reported nor rewritten (ruff's hook does the same)."""
    repo = tmp_path / "project"
    (repo / "vendor").mkdir(parents=True)
    source = FIX / "reassign_append_known_list.py"
    shutil.copy(source, repo / "work.py")
    shutil.copy(source, repo / "vendor" / "lib.py")
    (repo / "pyproject.toml").write_text('[tool.flake8-mpproxy]\nextend-exclude = ["vendor"]\n')
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "init", cwd=repo)
    check = try_repo(pre_commit, "flake8-mpproxy", repo)
    assert check.returncode == 1 and "work.py:" in check.stdout, check.stdout + check.stderr
    assert "vendor/lib.py" not in check.stdout
    fix = try_repo(pre_commit, "flake8-mpproxy-fix", repo)
    assert fix.returncode == 1, fix.stdout + fix.stderr
    assert (repo / "work.py").read_bytes() == (FIX / "reassign_append_known_list.fixed.py").read_bytes()
    assert (repo / "vendor" / "lib.py").read_bytes() == source.read_bytes()


@pytest.mark.integration
def test_pre_commit_with_only_the_worker_module_staged(pre_commit, tmp_path):
    """pre-commit names only the staged workers.py; its finding depends on main.py's call (the proxy is made
    there), which the project analysis reads for facts without reporting it."""
    repo = tmp_path / "project"
    shutil.copytree(ROOT / "fixtures" / "projects" / "process_target", repo)
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "init", cwd=repo)
    workers = repo / "workers.py"
    workers.write_text(workers.read_text() + "\n\ndef unrelated():\n    return 1\n")
    git("add", "workers.py", cwd=repo)
    env = dict(__import__("os").environ, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    run = subprocess.run([pre_commit, "try-repo", str(ROOT), "flake8-mpproxy", "--verbose"], cwd=str(repo),
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "workers.py:5:5: MPP101" in run.stdout, run.stdout
    assert "created at main.py:8" in run.stdout, run.stdout
    assert "main.py:" not in run.stdout.replace("created at main.py:8", ""), run.stdout
