"""The result cache (issue 11): warm runs equal cold ones, every input that matters invalidates an entry, bad
entries are reported and never trusted, concurrent writers leave whole entries, and nothing is written outside
the cache folder. Every test runs the real command (or real flake8) on real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from flake8_mpproxy.pipeline import analysis
from flake8_mpproxy.frontends import cli, runner
from flake8_mpproxy.project import crossmodule, scan as projectscan, warmstore
from flake8_mpproxy.project.cache import CACHE_DIR_NAME

from .programs import FIXTURES

CACHE = CACHE_DIR_NAME


def run(cwd: Path, *args: str, env: Dict[str, str] | None = None) -> Tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def project(tmp_path: Path, name: str = "process_target") -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / "projects" / name, dest)
    return dest


def entries(cache: Path) -> List[Path]:
    return sorted(p for p in cache.rglob("*.json"))


def tree_files(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The fixtures corpus (rules, inference, projects, ...) as one project."""
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURES, dest)
    (dest / "pyproject.toml").write_text("[project]\nname = 'corpus'\n")
    return dest


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_warm_and_no_cache_output_equal_the_cold_output_on_the_fixtures(corpus, fmt):
    cold = run(corpus, "--output-format", fmt, ".")
    assert cold[0] == 1 and cold[1].strip(), cold[2]
    assert entries(corpus / CACHE), "the cold run wrote no entry"
    warm = run(corpus, "--output-format", fmt, ".")
    uncached = run(corpus, "--output-format", fmt, "--no-cache", ".")
    assert warm == cold
    assert uncached == cold


def test_a_warm_run_parses_and_analyses_nothing(corpus, monkeypatch, capsys):
    assert run(corpus, "-q", ".")[0] == 1
    cold = capsys.readouterr()

    def refuse(*args, **kwargs):
        raise AssertionError("a warm run with nothing changed analysed a file")

    monkeypatch.setattr(analysis, "check_source", refuse)
    monkeypatch.setattr(crossmodule.ProjectSolver, "analyse_module", refuse)
    monkeypatch.setattr(projectscan, "scan_file", refuse)  # the warm scan is a stat per file, no read
    monkeypatch.chdir(corpus)
    assert cli.main(["-q", "-j1", "."]) == 1
    out = capsys.readouterr()
    assert out.out.strip() and "internal error" not in out.err, out.err
    assert (out.out, out.err) == run(corpus, "-q", ".")[1:], "warm in-process output differs"
    del cold


def test_a_changed_file_is_analysed_again(tmp_path):
    root = project(tmp_path)
    assert "workers.py:5:5: MPP101" in run(root, ".")[1]
    workers = root / "workers.py"
    fixed = workers.read_text().replace("shared[key].append(value)  # MPP101",
                                        "shared[key] = shared[key] + [value]")
    workers.write_text(fixed)
    assert run(root, ".") == (0, "", "")
    workers.write_text(fixed.replace("shared[key] = shared[key] + [value]", "shared[key].append(value)"))
    assert "workers.py:5:5: MPP101" in run(root, ".")[1]


def test_a_changed_setting_invalidates(tmp_path):
    root = project(tmp_path)
    assert "MPP101" in run(root, ".")[1]
    assert run(root, "--ignore", "MPP101", ".") == (0, "", "")
    (root / "pyproject.toml").write_text("[tool.flake8-mpproxy]\nignore = ['MPP1']\n")
    assert run(root, ".") == (0, "", "")
    (root / "pyproject.toml").write_text("")
    assert "MPP101" in run(root, ".")[1]


@pytest.mark.parametrize("mentions", [False, True])
def test_a_changed_caller_changes_the_callees_findings(tmp_path, mentions):
    """main.py stops passing the proxy: workers.py (unchanged, cached with a finding) must lose it. With
    ``mentions``, workers.py passes the textual prefilter by itself, so only the key's digest of the incoming
    calls can tell the entry is stale."""
    root = project(tmp_path)
    if mentions:
        workers = root / "workers.py"
        workers.write_text("# called with multiprocessing Manager proxies\n" + workers.read_text())
    where = f"workers.py:{6 if mentions else 5}:5: MPP101"
    assert where in run(root, ".")[1]
    assert where in run(root, "workers.py")[1]  # pre-commit: only the callee named
    main = root / "main.py"
    main.write_text(main.read_text().replace('args=(shared, "a", 4)', 'args=({"a": []}, "a", 4)'))
    assert run(root, "workers.py") == (0, "", "")
    assert run(root, ".") == (0, "", "")
    main.write_text(main.read_text().replace('args=({"a": []}, "a", 4)', 'args=(shared, "a", 4)'))
    assert where in run(root, "workers.py")[1]


@pytest.mark.parametrize("named", [".", "workers.py"])
def test_a_changed_effect_of_an_imported_function_brings_the_finding_back(tmp_path, named):
    """setup_state.populate() stops storing list proxies: main.py (unchanged) no longer gets them from its
    effects, so workers.py (unchanged, cached with no finding) must get its finding on the warm run; and lose
    it again when populate() is restored."""
    root = project(tmp_path, "effects_twin")
    assert run(root, named) == (0, "", "")
    assert run(root, named) == (0, "", "")  # warm
    populate = root / "setup_state.py"
    original = populate.read_text()
    populate.write_text(original.replace("shared[key] = manager.list()", "shared[key] = []"))
    status, out, err = run(root, named)
    assert (status, err) == (1, "") and "workers.py:6:5: MPP101" in out, out + err
    populate.write_text(original)
    assert run(root, named) == (0, "", "")


def corrupt(root: Path, how: str) -> List[Path]:
    damaged = entries(root / CACHE)
    assert damaged
    for entry in damaged:
        if how == "truncated":
            entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
        elif how == "garbage":
            entry.write_bytes(b"\x00\xff not json")
        elif how == "foreign":
            data = json.loads(entry.read_text())
            data["tool"] = "0.0.1-someoneelse"
            entry.write_text(json.dumps(data))
        elif how == "schema":
            data = json.loads(entry.read_text())
            data["schema"] = 999
            entry.write_text(json.dumps(data))
        elif how == "bad-value" and entry.name == "warm.json":  # the warm record: each file's findings
            data = json.loads(entry.read_text())
            for record in data["files"].values():
                record[5] = [{"t": ["MPP101"]}]
            entry.write_text(json.dumps(data))
        elif how == "bad-value":  # a whole entry of this tool whose record is not what it should be
            data = json.loads(entry.read_text())
            data["value"] = {"findings": [{"t": ["MPP101"]}], "warnings": []} if data["kind"] == "findings" \
                else [[1, 2]]
            entry.write_text(json.dumps(data))
    return damaged


@pytest.mark.parametrize("how", ["truncated", "garbage", "foreign", "schema", "bad-value"])
def test_a_corrupt_or_foreign_entry_is_ignored_with_a_warning(tmp_path, how):
    root = project(tmp_path)
    cold = run(root, ".")
    damaged = corrupt(root, how)
    status, out, err = run(root, ".")
    assert (status, out) == cold[:2]  # never trusted: the same findings as the cold run
    warned = [line for line in err.splitlines() if line]
    assert warned and all(": warning: ignoring unreadable cache entry (" in line for line in warned), err
    assert {line.split(": warning:")[0] for line in warned} <= {str(p) for p in damaged}
    assert run(root, ".") == cold  # the entries were rewritten whole


def test_a_foreign_entry_claiming_no_findings_is_not_trusted(tmp_path):
    """An entry with the right name but another module's content hash is a miss, not a clean result."""
    root = project(tmp_path)
    cold = run(root, ".")
    for entry in entries(root / CACHE):
        if entry.name == "warm.json":  # (the per-file entries are what this test is about)
            entry.unlink()
            continue
        data = json.loads(entry.read_text())
        if data["kind"] == "findings":
            data["value"] = {"findings": [], "warnings": [], "importers": None}
            data["content"] = "0" * 64
            entry.write_text(json.dumps(data))
    assert run(root, ".") == cold


def test_no_cache_writes_nothing(tmp_path):
    root = project(tmp_path)
    before = tree_files(tmp_path)
    cold = run(root, "--no-cache", ".")
    assert "MPP101" in cold[1]
    assert run(root, ".", env={"FLAKE8_MPPROXY_NO_CACHE": "1"}) == cold
    (root / "pyproject.toml").write_text("[tool.flake8-mpproxy]\nno-cache = true\n")
    before = tree_files(tmp_path)
    assert run(root, ".") == cold
    assert tree_files(tmp_path) == before
    assert not (root / CACHE).exists()


def test_a_loose_file_outside_a_project_gets_no_cache_unless_a_directory_is_given(tmp_path):
    (tmp_path / "loose").mkdir()
    script = tmp_path / "loose" / "job.py"
    script.write_text("from multiprocessing import Manager\nm = Manager()\nd = m.dict()\nd['k'].append(1)\n")
    first = run(tmp_path / "loose", "job.py")
    assert "MPP101" in first[1]
    assert not (tmp_path / "loose" / CACHE).exists()
    assert run(tmp_path / "loose", "--cache-dir", str(tmp_path / "c"), "job.py") == first
    assert entries(tmp_path / "c")


def test_the_cache_writes_only_inside_its_folder(tmp_path):
    root = project(tmp_path)
    (root / "pkg").mkdir()
    (root / "pkg" / "..evil name$.py").write_text("import workers\n")
    before = tree_files(tmp_path)
    cache = tmp_path / "elsewhere" / "cache"
    for _ in range(2):
        assert run(root, "--cache-dir", str(cache), ".")[0] == 1
    after = tree_files(tmp_path)
    added = {name for name in after if name not in before}
    changed = {name for name in before if after.get(name) != before[name]}
    assert not changed
    assert added and all(name.startswith(os.path.join("elsewhere", "cache") + os.sep) for name in added), added
    inside = {Path(name).name for name in added}
    assert {"CACHEDIR.TAG", ".gitignore"} <= inside
    assert all(n in ("CACHEDIR.TAG", ".gitignore", ".probe", "warm.json") or
               (n.endswith(".json") and len(n) == 69 and all(c in "0123456789abcdef" for c in n[:64]))
               for n in inside), inside
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_an_unwritable_cache_folder_warns_once_and_the_run_goes_on(tmp_path):
    root = project(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, out, err = run(root, "--cache-dir", str(blocker / "cache"), ".")
    assert status == 1 and "workers.py:5:5: MPP101" in out
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{blocker / 'cache'}: warning: cannot write the cache"), err


CONCURRENT_WRITER = textwrap.dedent("""
    import json, sys
    from flake8_mpproxy.project.cache import open_cache
    cache = open_cache(sys.argv[1])
    me = int(sys.argv[2])
    bad = 0
    for i in range(300):
        key = f"k{i % 5}"
        value = {"writer": me, "i": i, "pad": "x" * (1000 * (i % 7))}
        got = cache.load("stress", key, "s", "in", "c")
        if got is not None and set(got) != {"writer", "i", "pad"}:
            bad += 1
        cache.store("stress", key, "s", "in", "c", value)
    print(bad)
""")


def test_concurrent_writers_leave_a_valid_cache(tmp_path):
    cache = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, str(cache), str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(6)]
    results = [p.communicate(timeout=300) for p in procs]
    for out, err in results:
        assert out.strip() == "0" and err == "", err  # readers never saw a partial entry, nor warned
    written = entries(cache)
    assert len(written) == 5
    for entry in written:
        assert set(json.loads(entry.read_text())["value"]) == {"writer", "i", "pad"}
    assert not [p for p in cache.rglob(".tmp-*")]  # no temporary file left behind


def test_flake8_workers_share_the_cache_and_agree_with_the_command(tmp_path):
    root = project(tmp_path, "pool_workers")
    flake8 = [sys.executable, "-m", "flake8", "--select", "MPP", "-j2", "."]
    cold = subprocess.run(flake8, cwd=root, capture_output=True, text=True, timeout=300)
    assert cold.stdout.strip(), cold.stderr
    assert entries(root / CACHE)
    warm = subprocess.run(flake8, cwd=root, capture_output=True, text=True, timeout=300)
    uncached = subprocess.run(flake8 + ["--mpproxy-no-cache"], cwd=root, capture_output=True, text=True, timeout=300)
    assert (warm.stdout, warm.stderr) == (cold.stdout, cold.stderr) == (uncached.stdout, uncached.stderr)
    command = run(root, "--output-format", "concise", "-q", ".")[1]
    codes = lambda text: sorted(line.split(": ")[0] + line.split(": ")[1][:7] for line in text.splitlines())  # noqa: E731
    assert codes(cold.stdout) == codes(command)


def test_fix_after_a_warm_check_equals_fix_without_cache(tmp_path):
    warm = project(tmp_path / "a")
    fresh = project(tmp_path / "b")
    assert run(warm, ".")[0] == 1  # the entries now say workers.py has a fixable finding
    fixed = run(warm, "--fix", ".")
    reference = run(fresh, "--fix", "--no-cache", ".")
    assert fixed == reference
    assert (warm / "workers.py").read_bytes() == (fresh / "workers.py").read_bytes() != \
        (FIXTURES / "projects" / "process_target" / "workers.py").read_bytes()
    assert run(warm, ".") == run(fresh, "--no-cache", ".")


def test_no_project_checks_each_file_alone(tmp_path):
    root = project(tmp_path)
    assert "workers.py:5:5: MPP101" in run(root, ".")[1]
    assert run(root, "--no-project", ".") == (0, "", "")
    (root / "pyproject.toml").write_text("[tool.flake8-mpproxy]\nno-project = true\n")
    assert run(root, ".") == (0, "", "")


def test_a_touched_file_is_scanned_again_and_the_rest_is_not(tmp_path, monkeypatch, capsys):
    """The scan's records are trusted by (mtime, size): a file whose stat changed is read again, the others
    are not; a new caller module is found without any read of the unchanged ones."""
    root = project(tmp_path)
    workers = root / "workers.py"
    workers.write_text(workers.read_text().replace("shared[key].append(value)  # MPP101", "pass"))
    backdate(workers)  # an edit from long ago: its stat is not racy (see the test below)
    assert run(root, ".") == (0, "", "")
    (root / "other.py").write_text("from workers import unrelated\nfrom multiprocessing import Manager\n"
                                   "def go():\n    with Manager() as m:\n        unrelated(m.dict(), 'a', 1)\n")
    read: List[str] = []
    original = projectscan.scan_file

    def counting(raw: bytes, tokens: Tuple[str, ...]) -> object:
        read.append(raw.decode())
        return original(raw, tokens)

    monkeypatch.setattr(projectscan, "scan_file", counting)
    monkeypatch.chdir(root)
    assert cli.main(["-j1", "."]) == 1
    assert "workers.py:9:5: MPP101" in capsys.readouterr().out
    assert len(read) == 1 and "unrelated(m.dict()" in read[0], "only the new file is read"


def backdate(path: Path, seconds: int = 3600) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` with ``new`` (same length) and put the mtime back: an edit within one timestamp tick."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_mtime_ns, path.stat().st_size) == (stat.st_mtime_ns, stat.st_size)


PASSES = 'args=(shared, "a", 4)'
DOES_NOT = 'args=({"a":[]},"a",4)'


@pytest.mark.parametrize("named", [".", "workers.py"])
def test_a_caller_edited_within_the_same_tick_keeping_its_size_is_read_again(tmp_path, named):
    """Racy stats (git's rule): main.py is written, a run caches the scan (and everything else) at once, then
    main.py changes within the same timestamp tick keeping its size, so its (mtime, size) is what the cache
    holds; its mtime is within the racy window of the cache's write, so the content is checked."""
    root = project(tmp_path)
    main = root / "main.py"
    main.write_text(main.read_text())  # a fresh mtime, as for a file saved just before the run
    assert "workers.py:5:5: MPP101" in run(root, named)[1]
    same_size_edit(main, PASSES, DOES_NOT)
    assert run(root, named) == (0, "", "")
    same_size_edit(main, DOES_NOT, PASSES)
    assert "workers.py:5:5: MPP101" in run(root, named)[1]


# --- the warm path (flake8_mpproxy/project/warmstore.py): one record per cache folder, a stat per unchanged file ----------

IMPORTED = """
import sys
from flake8_mpproxy.frontends import cli
status = cli.main(sys.argv[1:])
print(sorted(m for m in sys.modules if m.startswith(("flake8_mpproxy.pipeline.analysis", "flake8_mpproxy.engine",
                                                     "flake8_mpproxy.project.crossmodule", "libcst"))))
sys.exit(status)
"""


def imported_by(root: Path, *args: str) -> Tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-c", IMPORTED, *args], cwd=root, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_a_warm_run_with_nothing_changed_reads_no_source_and_imports_no_analysis(corpus, monkeypatch, capsys):
    for path in corpus.rglob("*"):
        if path.is_file():
            backdate(path)  # nothing racy: every stat is trusted as it is
    status, cold_out, cold_err = run(corpus, "-q", ".")
    assert status == 1 and cold_out.strip()
    status, out, err = imported_by(corpus, "-q", ".")
    findings, modules = out.rsplit("\n", 2)[0] + "\n", out.rsplit("\n", 2)[1]
    assert (status, findings, err) == (1, cold_out, cold_err)
    assert modules == "[]", "a warm run imported the analysis: " + modules

    def refuse(*args, **kwargs):
        raise AssertionError("a warm run with nothing changed read a file")

    monkeypatch.setattr(runner, "read_bytes", refuse)
    monkeypatch.setattr(warmstore, "content_of", refuse)
    monkeypatch.setattr(projectscan, "scan_file", refuse)
    monkeypatch.chdir(corpus)
    assert cli.main(["-q", "-j1", "."]) == 1
    assert capsys.readouterr() == (cold_out, cold_err)
    # a touched module changes the project's state: every file misses (and imports the analysis), same output
    os.utime(next(corpus.rglob("*.py")))
    status, out, err = imported_by(corpus, "-q", ".")
    assert "flake8_mpproxy.pipeline.analysis" in out.rsplit("\n", 2)[1] and out.startswith(cold_out)


def test_the_checked_file_edited_within_the_same_tick_keeping_its_size_is_checked_again(tmp_path):
    root = project(tmp_path)
    workers = root / "workers.py"
    workers.write_text(workers.read_text())  # saved just before the run: its stat will be racy
    assert "workers.py:5:5: MPP101" in run(root, ".")[1]
    same_size_edit(workers, "shared[key].append(value)  # MPP101", "shared[key] = shared[key] + [value]")
    assert run(root, ".") == (0, "", "")
    assert run(root, "workers.py") == (0, "", "")
    same_size_edit(workers, "shared[key] = shared[key] + [value]", "shared[key].append(value)  # MPP101")
    assert "workers.py:5:5: MPP101" in run(root, ".")[1]


def test_a_warm_record_follows_the_project_state(tmp_path):
    """Not racy (every file old): a new module that passes the proxy makes workers.py's record a miss; a
    touch (new mtime, same content) is a miss with the same result; a removed caller drops the finding."""
    root = project(tmp_path)
    workers = root / "workers.py"
    workers.write_text(workers.read_text().replace("shared[key].append(value)  # MPP101", "pass"))
    for path in root.iterdir():
        backdate(path)
    assert run(root, ".") == (0, "", "")
    assert run(root, ".") == (0, "", "")
    other = root / "other.py"
    other.write_text("from workers import unrelated\nfrom multiprocessing import Manager\n"
                     "def go():\n    with Manager() as m:\n        unrelated(m.dict(), 'a', 1)\n")
    backdate(other)
    found = run(root, ".")
    assert "workers.py:9:5: MPP101" in found[1]
    os.utime(workers)
    assert run(root, ".") == found
    other.unlink()
    assert run(root, ".") == (0, "", "")


def test_the_walk_does_not_enter_the_cache_folder(tmp_path):
    root = project(tmp_path)
    assert run(root, ".")[0] == 1
    (root / CACHE / "stray.py").write_text("from multiprocessing import Manager\n")
    status, out, err = run(root, "--show-files", ".")
    assert status == 0 and sorted(Path(line).name for line in out.split()) == ["main.py", "workers.py"], out
