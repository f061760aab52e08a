"""Multi-module projects (fixtures/projects/<name>/): findings cross modules (DESIGN §3 "Project-wide").

Each project is copied to tmp_path and checked by the real command; every file's findings must equal its
inline markers (fixtures/README.md), so a finding caused by a proxy made in main.py is expected in the module
that mutates it. A pre-commit style run names only the worker module and must still get its finding.
"""

from __future__ import annotations

from flake8_mpproxy.project.context import ProjectContext

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from flake8_mpproxy.project.crossmodule import ProjectSolver
from flake8_mpproxy.model.source import may_have_findings, prefilter_tokens

from .programs import FIXTURES, START_METHODS, expected_findings, run_program, skip_without_libraries

PROJECTS = sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir())


def run_command(cwd: Path, *paths: str) -> Dict[str, Set[Tuple[int, str]]]:
    """``python -m flake8_mpproxy --output-format json PATHS`` in ``cwd``: (line, code) per file."""
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--output-format", "json", *paths],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == "", proc.stderr
    found: Dict[str, Set[Tuple[int, str]]] = {}
    for item in json.loads(proc.stdout or "[]"):
        name = str(Path(item["filename"]))
        found.setdefault(name, set()).add((item["location"]["row"], item["code"]))
    return found


def markers(project: Path) -> Dict[str, Set[Tuple[int, str]]]:
    wanted: Dict[str, Set[Tuple[int, str]]] = {}
    for path in sorted(project.rglob("*.py")):
        expected = {(line, code) for line, code, _ in expected_findings(path)}
        if expected:
            wanted[str(path.relative_to(project))] = expected
    return wanted


@pytest.fixture
def copy(tmp_path):
    def make(project: Path) -> Path:
        target = tmp_path / project.name
        shutil.copytree(project, target)
        return target
    return make


def solved(root: Path, entry: str = "main.py") -> ProjectSolver:
    """The project solver of ``root`` (a fresh one: solved projects are forgotten first), solved from ``entry``."""
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.model.config import Settings

    solver = ProjectContext().solver(str(root / entry), Settings())
    assert solver is not None
    solver.ensure(str(root / entry))
    return solver


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_findings_match_the_markers(project, copy):
    root = copy(project)
    assert run_command(root, ".") == markers(project)


@pytest.mark.parametrize("project", [p for p in PROJECTS if p.name != "correct_twin"], ids=lambda p: p.name)
def test_only_the_worker_module_named_still_gets_its_finding(project, copy):
    """pre-commit passes the staged files only: each marked module alone is checked against its importers."""
    root = copy(project)
    for name, expected in markers(project).items():
        assert run_command(root, name) == {name: expected}, name


def test_a_multiprocessing_free_module_is_checked_when_a_caller_passes_it_a_proxy(copy):
    root = copy(FIXTURES / "projects" / "process_target")
    text = (root / "workers.py").read_text()
    assert "multiprocessing" not in text
    assert not may_have_findings(text, prefilter_tokens(())), "the prefilter alone would skip it"
    assert run_command(root, "workers.py") == {"workers.py": {(5, "MPP101")}}


def test_without_the_caller_the_worker_gets_nothing(copy):
    """The finding comes from main.py's call: remove the call and the worker is clean again."""
    root = copy(FIXTURES / "projects" / "process_target")
    (root / "main.py").write_text("from workers import collect\n\ncollect({}, 'a', 4)\n")
    assert run_command(root, ".") == {}


def test_an_unrelated_module_with_the_same_function_name_gets_nothing(copy):
    root = copy(FIXTURES / "projects" / "process_target")
    (root / "other.py").write_text("def collect(shared, key, value):\n    shared[key].append(value)\n")
    assert run_command(root, ".") == {"workers.py": {(5, "MPP101")}}


def applicability(root: Path, path: str) -> Set[str]:
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--output-format", "json", path],
                          cwd=root, capture_output=True, text=True, timeout=120)
    return {item["fix_applicability"] for item in json.loads(proc.stdout)}


def test_the_callers_start_decides_whether_the_reassign_fix_is_safe(copy):
    """A target started once from main.py's body is one writer (safe); a pool worker runs many at once."""
    assert applicability(copy(FIXTURES / "projects" / "process_target"), "workers.py") == {"safe"}
    assert applicability(copy(FIXTURES / "projects" / "pool_workers"), "tasks.py") == {"none"}


def test_a_target_started_in_a_loop_in_another_module_is_concurrent(copy):
    root = copy(FIXTURES / "projects" / "process_target")
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace(
        "        child = Process(", "        for _ in range(2):\n            child = Process("))
    assert applicability(root, "workers.py") == {"none"}


#: Runnable projects: entry script, and the STATE it prints (the proxies' changes in other modules are lost;
#: the correct twin keeps them), under every start method.
RUNS = {
    "process_target": ("main.py", {"a": []}),
    "pool_workers": ("main.py", {"a": [], "b": {}}),
    "executor_submit": ("main.py", {"a": []}),
    "partial_target": ("main.py", {"a": []}),
    "chain": ("main.py", {"a": [], "b": []}),
    "correct_twin": ("main.py", {"a": [4]}),
    "state_twin": ("main.py", {"a": 1}),
    "returns": ("main.py", {"a": [], "b": []}),
    "returns_twin": ("main.py", {"a": [1], "b": [2]}),
    "mutator_class": ("main.py", {"n": 0}),
    "mutator_twin": ("main.py", {"n": 1}),
    "namespace_across": ("main.py", {"items": []}),
    "namespace_twin": ("main.py", {"items": [4]}),
    "nested_across": ("main.py", {"a": [4]}),
    "cycle": ("main.py", {"a": []}),
    "two_names": ("main.py", {"a": [], "b": []}),
    "relay": ("main.py", {"a": []}),
    "continued_imports": ("main.py", {"a": [], "b": [], "c": {}}),
    "continued_twin": ("main.py", {"a": [4], "b": ["start"], "c": {"seen": True}}),
    "self_attribute": ("main.py", {"a": []}),
    "self_twin": ("main.py", {"a": [0, 1, 2]}),
    "pool_workers_twin": ("main.py", {"a": [0, 1, 2, 3], "b": {"x": 1}}),
    "executor_twin": ("main.py", {"a": [1, 2]}),
    "partial_twin": ("main.py", {"a": [4]}),
    "chain_twin": ("main.py", {"a": [1], "b": [1]}),
    "nested_pool": ("main.py", {"a": []}),
    "nested_store": ("main.py", {"seen": 0}),
    "nested_refused": ("main.py", {"a": []}),
    "nested_pool_twin": ("main.py", {"a": list(range(40))}),
    "effects_twin": ("main.py", {"a": [0, 1, 2, 3], "b": []}),
    "effects_other_key": ("main.py", {"a": [0, 1, 2, 3], "b": []}),
    "effects_second_hand": ("main.py", {"a": [0, 1, 2, 3], "b": []}),
    "effects_deep": ("main.py", {"a": [0, 1, 2, 3], "b": []}),
    # the child's append is lost: under fork it goes to a copy; under spawn Registry.shared is None in the
    # child, whose TypeError leaves the parent's exit status 0 (the child's own failure is asserted below)
    "class_attribute": ("main.py", {"a": []}),
    "class_attribute_twin": ("main.py", {"a": [1]}),
    # registry.py's own code reads what main.py stored on its class and global: the appends go to copies
    # (under spawn the child's SHARED is None: its TypeError leaves the parent's exit status 0)
    "remote_reader": ("main.py", {"a": [], "b": []}),
    "remote_reader_twin": ("main.py", {"a": [1], "b": [2], "n": 1}),
    # the proxy reaches workers.py's subclasses through base.py's __init__ (inherited, and through super())
    "inherited_init": ("main.py", {"a": [], "b": []}),
    "inherited_twin": ("main.py", {"a": [1], "b": [2]}),
    # a pool initializer in workers.py keeps the proxy in its global (the workers' own: no MPP202)
    "pool_initializer": ("main.py", {"a": []}),
    # effects_twin with billiard, whose manager keeps no nested proxies: the appends go to copies
    "effects_billiard": ("main.py", {"a": [], "b": []}),
    "initializer_twin": ("main.py", {"a": [1, 1, 1]}),
    # no project marker: the folder given to the command is the project
    "loose_scripts": ("main.py", {"even": [], "odd": []}),
    "loose_twin": ("main.py", {"even": [0, 2], "odd": [1, 3]}),
    # a factory in another module returns (proxy, lock)
    "factory_tuple": ("main.py", {"a": []}),
    "factory_twin": ("main.py", {"a": [0, 1]}),
    # a manager lock made in main.py, held in workers.py as a parameter and as self.lock
    "lock_across": ("main.py", {"a": [1, 1, 1, 1]}),
    # a worker and a factory re-exported by the package's __init__ (one under another name)
    "reexport": ("main.py", {"a": []}),
    "reexport_twin": ("main.py", {"a": [4, 5]}),
    # a frozen dataclass and a NamedTuple of context.py carry the proxy from main.py through work.py to steps.py
    "record_context": ("main.py", {"a": [], "b": []}),
    "record_context_twin": ("main.py", {"a": [1, 1], "b": [0, 1]}),
    # functions handed to runner.py, which starts them as children (a list of callbacks, one callback)
    "callbacks": ("main.py", {"audited": [], "consumed": [], "produced": []}),
    "callbacks_twin": ("main.py", {"audited": [3, 3], "consumed": [2], "produced": [1]}),
    # workers and handlers registered by decorators into app/registry.py's containers, run from main.py (a pool
    # worker looked up by name) and from the registry's own run_all
    "registry": ("main.py", {"a": [], "audit": []}),
    "registry_twin": ("main.py", {"a": [1], "audit": ["seen"]}),
    # handlers.py's dispatch tables (a dict and a list of its functions), read by main.py
    "dispatch_table": ("main.py", {"counts": [], "steps": []}),
    "dispatch_table_twin": ("main.py", {"counts": [1], "steps": ["audit", "tidy"]}),
    # callbacks of jobs.py and a task of tasks.py's registry, reached only through runner.py's forwarded
    # *args and **options (and a child's arguments built as (name, *args))
    # a pool whose initializer (poolstate.py) binds the globals its tasks (tasks.py) read as poolstate.SHARED
    "initializer_elsewhere": ("main.py", {"log": []}),
    "initializer_elsewhere_twin": ("main.py", {"log": [0, 1, 2, 3, 4, 5]}),
    # copies handed to helpers.py's helpers, which change them in place (one also stores its copy back)
    "helper_elsewhere": ("main.py", {"back": [0, 1, 2], "kept": [0, 1, 2], "ranked": [], "twice": []}),
    "helper_elsewhere_twin": ("main.py", {"back": [0, 1, 2], "kept": [0, 1, 2], "ranked": [0, 1, 2],
                                          "twice": [0, 0, 1, 1, 2, 2]}),
    # jobs.py's static method, class method, a method of an instance and a callable instance as child targets
    "methods_elsewhere": ("main.py", {"a": [], "b": [], "c": [], "d": {}}),
    "methods_elsewhere_twin": ("main.py", {"a": ["static"], "b": ["Indexer"], "c": ["bound"], "d": {"calls": 1}}),
    # a manager lock per child (made in the loop that starts them) excludes nobody; the twin hands one to all
    "lock_per_child": ("main.py", {"visited": []}),
    "lock_per_child_twin": ("main.py", {"count": 400, "visited": ["u0", "u1", "u2", "u3"]}),
    # a pool initializer stores the proxy on state.STORE and, through state.init, a lock on state.Ctx
    "initializer_stores_twin": ("main.py", {"log": [0, 1, 2, 3, 4, 5]}),
    # shared.py's class method builds a dataclass around a manager dict, its static method returns a list proxy
    "factory_method": ("main.py", {"log": [], "t": []}),
    "factory_method_twin": ("main.py", {"log": ["extracted"], "t": [1]}),
    # appstate.py keeps the proxy on self; main.py reads it as st.events, hands it to a child, prints it as JSON
    "instance_state": ("main.py", {"log": [], "seen": []}),
    "instance_state_twin": ("main.py", {"log": ["e0"], "seen": ["e1"]}),
    # an instance of jobs.py's service handed to handlers.py, which reads the proxy through its property
    "property_elsewhere": ("main.py", {"queue": []}),
    "property_elsewhere_twin": ("main.py", {"queue": ["j1"]}),
    "forwarded": ("main.py", {"log": [], "owners": {}, "tags": []}),
    "forwarded_twin": ("main.py", {"log": ["seen"], "owners": {"urgent": "admin"}, "tags": ["urgent"]}),
}
#: Projects whose program is correct: no finding anywhere (each flow's twin keeps its data).
TWINS = {"correct_twin", "state_twin", "returns_twin", "mutator_twin", "namespace_twin", "nested_across",
         "continued_twin", "self_twin", "pool_workers_twin", "executor_twin", "partial_twin", "chain_twin",
         "relative_twin", "src_twin", "nested_pool_twin", "effects_twin",
         "effects_second_hand", "effects_deep", "class_attribute_twin", "remote_reader_twin",
         "inherited_twin", "initializer_twin", "loose_twin",
         "factory_twin", "lock_across", "reexport_twin",
         "record_context_twin", "callbacks_twin", "registry_twin", "dispatch_table_twin", "forwarded_twin",
         "initializer_elsewhere_twin", "helper_elsewhere_twin", "methods_elsewhere_twin",
         "lock_per_child_twin", "initializer_stores_twin", "factory_method_twin",
         "instance_state_twin", "property_elsewhere_twin"}


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("name", sorted(RUNS))
def test_project_runs_as_its_markers_say(name, method, copy, tmp_path):
    root = copy(FIXTURES / "projects" / name)
    entry, wants = RUNS[name]
    skip_without_libraries(root / entry)
    status, state = run_program(root / entry, method, root)
    assert (status, state) == (0, wants), (tmp_path / name / "stderr.txt").read_text()[-2000:]
    assert bool(markers(FIXTURES / "projects" / name)) == (name not in TWINS)


def test_a_helper_called_in_one_child_gets_that_childs_context(copy):
    """leaf.add is called (in a loop, in turn) by helpers.run, which main.py starts once: one writer."""
    root = copy(FIXTURES / "projects" / "chain")
    assert applicability(root, "leaf.py") == {"safe"}
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace(
        "        child = Process(target=helpers.run, args=(shared,))\n        child.start()\n        child.join()\n",
        "        with Pool(2) as pool:\n            pool.apply_async(helpers.run, (shared,)).get()\n").replace(
        "import Manager, Process", "import Manager, Pool"))
    assert "Pool(2)" in (root / "main.py").read_text()
    assert applicability(root, "leaf.py") == {"none"}
    assert run_command(root, "leaf.py") == {"leaf.py": {(2, "MPP101")}}


@pytest.mark.parametrize("name", ["relative", "pool_workers", "correct_twin", "state_module", "relay", "returns",
                                  "class_attribute", "remote_reader", "remote_reader_twin", "inherited_init",
                                  "inherited_twin", "pool_initializer"])
def test_flake8_with_two_jobs_reports_what_the_command_does(name, copy):
    root = copy(FIXTURES / "projects" / name)
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "MPP", "-j2", "--format",
                           "%(path)s:%(row)d:%(code)s", "."], cwd=root, capture_output=True, text=True, timeout=120)
    found: Dict[str, Set[Tuple[int, str]]] = {}
    for line in proc.stdout.splitlines():
        path, row, code = line.rsplit(":", 2)
        found.setdefault(str(Path(path)), set()).add((int(row), code))
    assert found == markers(FIXTURES / "projects" / name), proc.stdout + proc.stderr
    assert found == run_command(root, ".")


def test_an_importer_with_no_proxy_is_not_analysed_but_keeps_the_contexts_unknown(copy):
    """other.py cannot pass a proxy (no manager in it), so it is only read by the import index; it may still
    call collect from anywhere, so the one start in main.py no longer makes the fix safe."""
    root = copy(FIXTURES / "projects" / "process_target")
    assert applicability(root, "workers.py") == {"safe"}
    (root / "other.py").write_text("from workers import collect\n\n\ndef again(d):\n    collect(d, 'a', 1)\n")
    assert applicability(root, "workers.py") == {"none"}
    assert run_command(root, ".") == {"workers.py": {(5, "MPP101")}}


def test_a_folder_without_a_project_marker_is_the_project_the_command_was_given(copy, tmp_path):
    """No marker above the files: the folder named on the command line is the project, else the current
    directory when it holds the file, else the file's own folder (run from anywhere, even /)."""
    root = copy(FIXTURES / "projects" / "process_target")
    (root / "pyproject.toml").unlink()
    expected = {"workers.py": {(5, "MPP101")}}
    assert run_command(root, ".") == expected
    assert run_command(root, "workers.py") == expected
    assert run_command(root.parent, root.name) == {f"{root.name}/workers.py": {(5, "MPP101")}}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_command(elsewhere, str(root / "workers.py")) == {str(root / "workers.py"): {(5, "MPP101")}}
    assert run_command(Path("/"), str(root / "workers.py")) == {str(root / "workers.py"): {(5, "MPP101")}}


def messages(root: Path, *paths: str) -> Dict[str, str]:
    """``code at file:line`` -> message, from the command's JSON output."""
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--output-format", "json", *paths],
                          cwd=root, capture_output=True, text=True, timeout=120)
    return {f"{item['code']} at {Path(item['filename'])}:{item['location']['row']}": item["message"]
            for item in json.loads(proc.stdout or "[]")}


def test_messages_say_in_which_module_the_proxy_was_made(copy):
    """The origin travels with the proxy, also through modules that only pass it on (main -> helpers -> leaf)."""
    found = messages(copy(FIXTURES / "projects" / "process_target"), "workers.py")
    assert found["MPP101 at workers.py:5"].endswith("('shared' holds the manager dict created at main.py:8.)")
    found = messages(copy(FIXTURES / "projects" / "relay"), ".")
    assert found["MPP101 at stage3.py:5"].endswith("('target' holds the manager dict created at main.py:7.)")
    found = messages(copy(FIXTURES / "projects" / "state_module"), "workers.py")
    assert found["MPP202 at workers.py:6"].endswith("('registry' holds the manager dict created at state.py:5.)")
    found = messages(copy(FIXTURES / "projects" / "returns"), "main.py")
    assert "created at helpers.py:5" in found["MPP101 at main.py:8"]
    # a proxy made in the file itself needs no origin
    assert "created at" not in messages(copy(FIXTURES / "projects" / "mutator_class"), ".")["MPP101 at main.py:9"]


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
def test_fix_on_the_worker_module_alone_uses_the_callers_facts_and_the_project_keeps_its_data(method, copy):
    """pre-commit's fix hook names workers.py only: the reassign form goes into workers.py, main.py is left
    alone, and the fixed project keeps the child's append under every start method."""
    root = copy(FIXTURES / "projects" / "process_target")
    main_before = (root / "main.py").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--fix", "workers.py"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = (root / "workers.py").read_text()
    assert "shared[key].append(value)" not in fixed and "shared[key] = " in fixed, fixed
    assert (root / "main.py").read_bytes() == main_before
    assert run_command(root, ".") == {}
    status, state = run_program(root / "main.py", method, root)
    assert (status, state) == (0, {"a": [4]})


def test_values_stored_into_a_factorys_proxy_are_named_where_they_are_stored(copy):
    """factory.py makes the dict, main.py stores the lists into it: a finding in main.py's worker names no
    module for the nested proxy (the values are stored right there), and one in workers.py names main.py, where
    a nested proxy would go, not the factory. The origin still names the factory."""
    root = copy(FIXTURES / "projects" / "factory_tuple")
    (root / "factory.py").write_text("def make_store(manager, keys):\n    return manager.dict(), manager.Lock()\n")
    main = root / "main.py"
    main.write_text(main.read_text().replace('store, lock = make_store(manager, ["a"])\n',
                                             'store, lock = make_store(manager, ["a"])\n        store["a"] = []\n'))
    found = messages(root, ".")["MPP101 at main.py:8"]
    assert "stores the values" not in found and found.endswith("created at factory.py:2.)"), found
    (root / "workers.py").write_text("def work(store, lock, key, value):\n    store[key].append(value)\n")
    main.write_text(main.read_text().replace("from factory import make_store\n",
                                             "from factory import make_store\nfrom workers import work\n")
                    .replace("def work(store, lock, key, value):\n    store[key].append(value)  # MPP101\n", "")
                    .replace('args=(store, lock, "a", n)', 'args=(store, None, "a", n)'))  # (no lock to hold)
    found = messages(root, ".")["MPP101 at workers.py:2"]
    assert "(where main.py stores the values)" in found and found.endswith("created at factory.py:2.)"), found


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
def test_a_copy_changed_by_another_modules_helper_is_written_back_and_kept(method, copy):
    """tasks.py hands copies to helpers.py's helpers, which change them in place: --fix writes each back after
    the call (under the lock the children already hold), and the three children's updates are all kept."""
    root = copy(FIXTURES / "projects" / "helper_elsewhere")
    proc = fix(root, ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = (root / "tasks.py").read_text()
    assert 'store["ranked"] = ranked' in fixed and 'helpers.add_twice(twice, value)' in fixed, fixed
    assert run_command(root, ".") == {}
    status, state = run_program(root / "main.py", method, root)
    assert (status, state) == (0, RUNS["helper_elsewhere_twin"][1])


def test_a_lock_made_per_child_in_another_module_excludes_nobody(copy):
    """lock_per_child: crawler.py holds the lock it is handed, but main.py makes one per child: the count's
    read-modify-write is a race (MPP301) and the lost append gets no write-back under that lock."""
    root = copy(FIXTURES / "projects" / "lock_per_child")
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--extend-select", "MPP301",
                           "--output-format", "concise", "."], cwd=root, capture_output=True, text=True, timeout=120)
    assert "crawler.py:7:13: MPP301" in proc.stdout and "crawler.py:8:5: MPP101" in proc.stdout, proc.stdout
    before = (root / "crawler.py").read_bytes()
    proc = fix(root, "--unsafe-fixes", ".")
    assert "Fixed 0 findings" in proc.stdout and (root / "crawler.py").read_bytes() == before


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
def test_one_lock_handed_from_another_module_is_held_by_the_fix_and_keeps_every_update(method, copy):
    """lock_per_child with one lock made once: --fix writes the append back while holding the lock crawler.py
    is handed, and every child's page and count is kept."""
    root = copy(FIXTURES / "projects" / "lock_per_child")
    main = root / "main.py"
    main.write_text(main.read_text().replace("locks = [manager.Lock() for _ in range(4)]", "lock = manager.Lock()")
                    .replace("locks[n]", "lock").replace('{"visited": sorted(', '{"count": pages["count"], "visited": sorted('))
    proc = fix(root, ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '    with lock:\n        visited = pages["visited"]\n' in (root / "crawler.py").read_text()
    assert run_command(root, ".") == {}
    status, state = run_program(main, method, root)
    assert (status, state) == (0, RUNS["lock_per_child_twin"][1])


def test_a_helper_that_changes_a_later_argument_names_it_and_is_fixed_there(tmp_path):
    """helpers.inner changes its second parameter: the finding shows that argument, the remedy spells the call
    with the copy's name in its place, and --fix reads the copy into a name, calls, and writes it back."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "helpers.py").write_text("def inner(v, items):\n    items.append(v)\n")
    (root / "main.py").write_text(
        "from multiprocessing import Manager, Process\n\nfrom helpers import inner\n\n\ndef work(d):\n"
        "    inner(1, d['k'])\n\n\nif __name__ == '__main__':\n    with Manager() as m:\n        d = m.dict(k=[])\n"
        "        p = Process(target=work, args=(d,))\n        p.start()\n        p.join()\n")
    found = messages(root, ".")["MPP101 at main.py:7"]
    assert found.startswith("inner(..., d['k']) mutates a copy") and "inner(1, k); d['k'] = k" in found, found
    proc = fix(root, ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = (root / "main.py").read_text()
    assert "    inner(1, k" in fixed and "d['k'] = k" in fixed.replace('"', "'"), fixed
    assert run_command(root, ".") == {}


def test_auto_does_not_nest_where_another_module_reads_the_values_through_an_instance(copy):
    """appstate.py makes the dict on self; main.py reads st.events and prints dict() of it through json: a nested
    list proxy there would not serialise, so auto (and nested) write nothing in appstate.py, and say why."""
    root = copy(FIXTURES / "projects" / "instance_state")
    before = (root / "appstate.py").read_bytes()
    for style in ("auto", "nested"):
        proc = fix(root, "--unsafe-fixes", "--fix-style", style, "appstate.py")
        assert "not nested: in main.py the values are copied whole with dict()" in proc.stderr, proc.stderr
        assert (root / "appstate.py").read_bytes() == before


def test_a_module_nobody_passes_a_proxy_costs_no_analysis(tmp_path):
    """The solver analyses seeds and what they reach; an unrelated module is only scanned."""
    from flake8_mpproxy.project import crossmodule
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "relay", root)
    (root / "unrelated.py").write_text("def collect(items, key):\n    items[key].append(1)\n")
    (root / "uses_stage3.py").write_text("import stage3\n\nstage3.add({}, 'a', 1)\n")
    solver = solved(root)
    assert not solver.involved(str(root / "unrelated.py"))
    analysed = {Path(path).name for path in solver.summaries}
    assert "unrelated.py" not in analysed
    assert {"main.py", "stage1.py", "stage2.py", "stage3.py"} <= analysed
    # uses_stage3 passes no proxy: not analysed, so stage3's add may be called from anywhere (opaque)
    assert "uses_stage3.py" not in analysed and solver.opaque(str(root / "stage3.py"))


def test_module_summaries_are_plain_values_that_survive_json(tmp_path):
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.engine.summaries import ModuleSummary, ScanRecord

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "returns", root)
    solver = solved(root)
    helpers = solver.summaries[str(root / "helpers.py")]
    assert {(e.name, e.role) for e in helpers.exports} == {("make_table", "returns"), ("snapshot", "returns-copy")}
    for summary in solver.summaries.values():
        assert ModuleSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary
    for record in solver.index.records.values():
        assert ScanRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_the_project_budget_says_so_instead_of_going_quiet(copy, monkeypatch, capsys):
    """A solve stopped by its budget prints one warning line per affected file, from the command and from
    the flake8 plugin, and exits as usual (findings found so far stay)."""
    import ast
    import os

    from flake8_mpproxy.frontends import cli
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.frontends.plugin import Plugin

    root = copy(FIXTURES / "projects" / "relay")
    monkeypatch.chdir(root)
    monkeypatch.setattr(crossmodule, "BASE_ANALYSES", 1)
    monkeypatch.setattr(crossmodule, "ANALYSES_PER_SEED", 0)
    status = cli.main(["stage3.py", "main.py"])
    err = capsys.readouterr().err
    assert status in (0, 1)
    line = "warning: project analysis stopped after 1 modules; cross-module findings may be missing"
    # stage3.py was never reached, but a finished solve would have reached it: it is warned about too
    assert sorted(err.splitlines()) == [f"main.py: {line}", f"stage3.py: {line}"], err
    text = (root / "main.py").read_text()
    list(Plugin(ast.parse(text), text.splitlines(True), os.path.join(".", "main.py")).run())
    assert capsys.readouterr().err.strip() == f"./main.py: {line}"


def test_a_project_scan_cut_short_says_so(copy, monkeypatch, capsys):
    """A tree larger than the scan's cap is solved with what was read, and the files analysed say so."""
    from flake8_mpproxy.frontends import cli
    from flake8_mpproxy.project import crossmodule, scan as projectscan
    root = copy(FIXTURES / "projects" / "relay")
    monkeypatch.chdir(root)
    monkeypatch.setattr(projectscan, "MAX_FILES", 2)
    cli.main(["--no-cache", "main.py"])
    err = capsys.readouterr().err
    assert err.strip() == "main.py: warning: the project scan stopped after 2 files; cross-module findings may be missing"


def excluded_caller_project(tmp_path: Path) -> Path:
    """app/workers.py is mutated with a proxy only by legacy/main.py, a module the settings may leave out."""
    root = tmp_path / "excl"
    (root / "app").mkdir(parents=True)
    (root / "legacy").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'excl'\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "workers.py").write_text("def collect(shared, key, value):\n    shared[key].append(value)\n")
    (root / "legacy" / "main.py").write_text(
        "from multiprocessing import Manager, Process\nfrom app.workers import collect\n\n"
        "if __name__ == '__main__':\n    with Manager() as manager:\n        shared = manager.dict({'a': []})\n"
        "        child = Process(target=collect, args=(shared, 'a', 4))\n        child.start()\n        child.join()\n")
    return root


def check_app(root: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", *args, "app"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert "internal error" not in proc.stderr, proc.stderr
    return proc.stdout


def test_the_project_scan_leaves_out_what_the_exclude_settings_exclude(tmp_path):
    root = excluded_caller_project(tmp_path)
    assert "workers.py:2:5: MPP101" in check_app(root)  # read for facts although only app/ is checked
    assert check_app(root, "--extend-exclude", "legacy") == ""
    assert check_app(root, "--exclude", "legacy,.git") == ""
    (root / "pyproject.toml").write_text("[project]\nname = 'excl'\n[tool.flake8-mpproxy]\nextend-exclude = ['legacy']\n")
    assert check_app(root) == ""


def test_the_project_scan_respects_gitignore_like_the_walk(tmp_path):
    root = excluded_caller_project(tmp_path)
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("legacy/\n")
    assert check_app(root) == ""
    assert "workers.py:2:5: MPP101" in check_app(root, "--no-respect-gitignore")


def fix(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--fix", *args], cwd=root,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
def test_fix_style_auto_across_modules_writes_back_in_the_callee_and_keeps_the_data(method, copy):
    """auto stores nested proxies only at an init site in the file being fixed; main.py made the proxy, so
    workers.py gets the write-back and main.py is left alone."""
    root = copy(FIXTURES / "projects" / "process_target")
    main_before = (root / "main.py").read_bytes()
    proc = fix(root, "--fix-style", "auto", "workers.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shared[key].append(value)" not in (root / "workers.py").read_text()
    assert (root / "main.py").read_bytes() == main_before
    assert run_command(root, ".") == {}
    assert run_program(root / "main.py", method, root) == (0, {"a": [4]})


@pytest.mark.parametrize("project, module", [("process_target", "workers.py"), ("pool_workers", "tasks.py")])
def test_fix_style_nested_across_modules_is_refused_and_names_where_the_values_are_stored(project, module, copy):
    """The nested form rewrites the init site, which is in main.py, where the proxy is made; here it may not:
    process_target's main.py prints dict(shared) (a nested proxy would print differently), and pool_workers
    stores two values (a list and a dict) that a variable key may read. Nothing changes, the finding stays,
    and its message says where nested proxies would go."""
    root = copy(FIXTURES / "projects" / project)
    before = {path: path.read_bytes() for path in root.rglob("*.py")}
    proc = fix(root, "--fix-style", "nested", module)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert {path: path.read_bytes() for path in root.rglob("*.py")} == before
    assert "where main.py stores the values" in proc.stdout, proc.stdout
    assert "Fixed 0 findings" in proc.stdout
    assert set(messages(root, module)) == {f"{code} at {module}:{line}" for line, code in markers(root)[module]}


def test_a_child_reading_a_proxy_global_imported_from_another_module_gets_no_fix(copy):
    """workers.fill reads state.registry in a child started by main.py: passing it as an argument would change
    three modules (state.py's manager cannot move either: workers.py imports it), so --unsafe-fixes changes
    nothing and both findings stay."""
    root = copy(FIXTURES / "projects" / "state_module")
    assert applicability(root, "workers.py") == {"none"}
    before = {path: path.read_bytes() for path in root.rglob("*.py")}
    proc = fix(root, "--unsafe-fixes", ".")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert {path: path.read_bytes() for path in root.rglob("*.py")} == before
    assert run_command(root, ".") == markers(FIXTURES / "projects" / "state_module")


def test_a_name_imported_from_the_initializers_module_is_still_the_parents(copy):
    """poolstate.init rebinds poolstate.SHARED in each worker; ``from poolstate import SHARED`` bound the task
    module's own name at import time, which the initializer never touches: the worker reads None (MPP202)."""
    root = copy(FIXTURES / "projects" / "initializer_elsewhere_twin")
    tasks = root / "tasks.py"
    tasks.write_text(tasks.read_text().replace("import poolstate\n", "import poolstate\nfrom poolstate import SHARED\n")
                     .replace("log = poolstate.SHARED[", "log = SHARED["))
    found = run_command(root, ".")
    assert found == {"tasks.py": {(8, "MPP202")}}, found
    proc = subprocess.run([sys.executable, "main.py"], cwd=root, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "NoneType" in proc.stderr, proc.stderr[-500:]


def changed_lines(before: bytes, after: bytes) -> Set[Tuple[str, str]]:
    """(old line, new line) for each line that differs; the files must keep their line count."""
    old, new = before.splitlines(True), after.splitlines(True)
    assert len(old) == len(new)
    return {(a.decode(), b.decode()) for a, b in zip(old, new) if a != b}


#: Pool workers in workers.py change copies of values main.py stores: the nested fix rewrites main.py's
#: init site (a dict literal, a store at a key) and the project keeps every worker's update.
NESTED_ACROSS = {
    "nested_pool": ('        shared = manager.dict({"a": []})\n',
                    '        shared = manager.dict({"a": manager.list()})\n', {"a": list(range(40))}),
    "nested_store": ('        shared["seen"] = {}\n', '        shared["seen"] = manager.dict()\n', {"seen": 40}),
}


@pytest.mark.runtime
@pytest.mark.parametrize("style", ["nested", "auto"])
@pytest.mark.parametrize("name", sorted(NESTED_ACROSS))
def test_nested_fix_across_modules_stores_nested_proxies_in_main_and_keeps_every_update(name, style, copy):
    """--fix names workers.py only (pre-commit): the init site is in main.py, where the proxy is made, and
    auto picks nested because four pool workers race. Only that value changes in main.py, workers.py stays,
    the finding is gone, and the program keeps all 40 updates under spawn and fork (it kept none before)."""
    root = copy(FIXTURES / "projects" / name)
    main_before, workers_before = (root / "main.py").read_bytes(), (root / "workers.py").read_bytes()
    proc = fix(root, "--fix-style", style, "workers.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed 1 finding in 1 file; 0 remain." in proc.stdout, proc.stdout
    old, new, state = NESTED_ACROSS[name]
    assert changed_lines(main_before, (root / "main.py").read_bytes()) == {(old, new)}
    assert (root / "workers.py").read_bytes() == workers_before
    assert run_command(root, ".") == {}
    again = fix(root, "--fix-style", style, ".")
    assert again.returncode == 0 and "Fixed 0 findings" in again.stdout, again.stdout + again.stderr
    for method in START_METHODS:
        assert run_program(root / "main.py", method, root) == (0, state), method


def test_the_nested_fix_across_modules_gives_the_twin(copy):
    """nested_pool fixed is nested_pool_twin, byte for byte (the twin's marker line aside)."""
    root = copy(FIXTURES / "projects" / "nested_pool")
    assert fix(root, "--fix-style", "nested", "workers.py").returncode == 0
    twin = (FIXTURES / "projects" / "nested_pool_twin" / "main.py").read_text()
    fixed = (root / "main.py").read_text()
    assert fixed.split('"""', 2)[2] == twin.split('"""', 2)[2]


def test_diff_shows_the_origin_module_and_changes_nothing(copy):
    root = copy(FIXTURES / "projects" / "nested_pool")
    before = {path: path.read_bytes() for path in root.rglob("*.py")}
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--diff", "--fix-style", "nested", "workers.py"],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "--- a/main.py\n+++ b/main.py\n" in proc.stdout
    assert '-        shared = manager.dict({"a": []})\n+        shared = manager.dict({"a": manager.list()})\n' \
        in proc.stdout
    assert {path: path.read_bytes() for path in root.rglob("*.py")} == before


@pytest.mark.runtime
def test_auto_with_one_writer_still_writes_back_in_the_callee(copy):
    """A target started once: the write-back is safe and changes less than nested proxies in main.py."""
    root = copy(FIXTURES / "projects" / "nested_pool")
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace(
        "        with Pool(4) as pool:\n            pool.starmap(add, [(shared, \"a\", i) for i in range(40)])\n",
        "        child = Process(target=add, args=(shared, \"a\", 7))\n        child.start()\n        child.join()\n"
    ).replace("import Manager, Pool", "import Manager, Process"))
    main_before = (root / "main.py").read_bytes()
    proc = fix(root, "--fix-style", "auto", "workers.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (root / "main.py").read_bytes() == main_before
    assert "shared[key] += [value]" in (root / "workers.py").read_text() or \
        "shared[key] = " in (root / "workers.py").read_text()
    for method in START_METHODS:
        assert run_program(root / "main.py", method, root) == (0, {"a": [7]}), method


REFUSALS = {
    # main.py compares the stored value with ==: a list proxy never equals a list
    "compare": ("main.py", None, "in main.py the values are compared (==, is, <)"),
    # a third module serialises the values: json.dumps cannot serialise a proxy
    "json": ("main.py", ("report.py", "import json\n\n\ndef show(shared):\n    return json.dumps(shared[\"a\"])\n"),
             "in report.py the values are passed to json.dumps()"),
    # main.py hands the proxy to a function outside the project, which the analysis cannot read
    "library": ("main.py", None, "main.py passes it to pprint.pformat(), which the analysis does not see"),
}


@pytest.mark.parametrize("style", ["nested", "auto"])
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_nested_fix_across_modules_is_refused_when_a_use_would_change(case, style, copy):
    """Every use of the stored values in every module the solver saw must work the same on a nested proxy;
    one that does not refuses the fix (no file changes, the finding stays) and the warning names it."""
    root = copy(FIXTURES / "projects" / "nested_refused")
    main = (root / "main.py").read_text()
    if case != "compare":
        main = main.replace('        if shared["a"] == []:\n            print("nothing was added")\n', "")
    if case == "json":
        main = main.replace("from workers import add\n", "import report\nfrom workers import add\n").replace(
            "            pool.starmap(add,",
            "            pool.apply(report.show, (shared,))\n            pool.starmap(add,")
        (root / "report.py").write_text(REFUSALS[case][1][1])
    if case == "library":
        main = main.replace("from multiprocessing", "import pprint\nfrom multiprocessing").replace(
            "            pool.starmap(add,",
            "            pool.apply(pprint.pformat, (shared,))\n            pool.starmap(add,")
    (root / "main.py").write_text(main)
    before = {path: path.read_bytes() for path in root.rglob("*.py")}
    assert run_command(root, ".") == {"workers.py": {(5, "MPP101")}}
    proc = fix(root, "--fix-style", style, "workers.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert {path: path.read_bytes() for path in root.rglob("*.py")} == before
    assert "Fixed 0 findings" in proc.stdout
    assert f"workers.py: warning: MPP101 at line 5: no nested fix in main.py: {REFUSALS[case][2]}" in proc.stderr, \
        proc.stderr
    assert run_command(root, ".") == {"workers.py": {(5, "MPP101")}}


def test_summaries_carry_init_sites_and_uses_through_json(tmp_path):
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.engine.summaries import ModuleSummary

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "nested_refused", root)
    solver = solved(root)
    main = solver.summaries[str(root / "main.py")]
    fact = next(fact for call in main.outgoing for fact in call.args if fact is not None)
    assert fact.origin == "main.py:9" and fact.inits == (("'a'", "list", "manager", (9, 36, 9, 38)),)
    assert main.uses == (("main.py:9", "compared (==, is, <)"), ("main.py:9", "iter"))
    for summary in solver.summaries.values():
        assert ModuleSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


@pytest.mark.parametrize("name", ["effects_twin", "effects_second_hand", "effects_deep", "effects_other_key"])
def test_parameter_effects_are_summarised_and_survive_json(tmp_path, name):
    """What a function stores into a proxy passed to it is an effect in its module's summary (second-hand:
    relay.prepare has populate's effect too), and main.py's call to the worker carries the nested proxy."""
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.engine.summaries import ModuleSummary

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / name, root)
    solver = solved(root)
    effects = {(e.function, e.index, e.param, e.path, e.slot, e.fact.kind if e.fact else "", e.opaque)
               for e in solver.summaries[str(root / "setup_state.py")].effects}
    path, slot = {"effects_deep": (("'groups'",), "*"), "effects_other_key": ((), "'a'")}.get(name, ((), "*"))
    assert effects == {("populate", 0, "shared", path, slot, "list", False)}
    if name == "effects_second_hand":
        assert {(e.function, e.slot) for e in solver.summaries[str(root / "relay.py")].effects} == {("prepare", "*")}
    main = solver.summaries[str(root / "main.py")]
    worker = next(call for call in main.outgoing if call.target.startswith("workers."))
    fact = worker.args[0]
    assert fact is not None
    for step in path:
        fact = dict(fact.nested)[step]
    assert [(key, inner.kind, inner.origin) for key, inner in fact.nested] == [
        (slot, "list", "setup_state.py:5" if name == "effects_other_key" else "setup_state.py:7")]
    for summary in solver.summaries.values():
        assert ModuleSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


def test_files_written_together_change_all_or_none(tmp_path):
    from flake8_mpproxy.fixer.writer import WriteError, replace_files

    first, second = tmp_path / "main.py", tmp_path / "workers.py"
    first.write_bytes(b"a = 1\n")
    second.write_bytes(b"b = 1\n")
    second.chmod(0o444)
    with pytest.raises(WriteError, match="read-only"):
        replace_files([(str(first), b"a = 1\n", b"a = 2\n"), (str(second), b"b = 1\n", b"b = 2\n")])
    assert (first.read_bytes(), second.read_bytes()) == (b"a = 1\n", b"b = 1\n")
    second.chmod(0o644)
    with pytest.raises(WriteError, match="changed while fixing; no file was written"):
        replace_files([(str(first), b"a = 1\n", b"a = 2\n"), (str(second), b"b = 0\n", b"b = 2\n")])
    assert (first.read_bytes(), second.read_bytes()) == (b"a = 1\n", b"b = 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.py", "workers.py"]  # no temporaries left
    replace_files([(str(first), b"a = 1\n", b"a = 2\n"), (str(second), b"b = 1\n", b"b = 2\n")])
    assert (first.read_bytes(), second.read_bytes()) == (b"a = 2\n", b"b = 2\n")


def test_a_proxy_stored_on_an_imported_class_crosses_modules_with_its_origin(copy):
    """main.py stores the proxy on registry.Registry: workers.py reads it as registry.py's export."""
    found = messages(copy(FIXTURES / "projects" / "class_attribute"), ".")
    assert set(found) == {"MPP101 at workers.py:7", "MPP202 at workers.py:7"}
    assert found["MPP101 at workers.py:7"].endswith("('Registry.shared' holds the manager dict created at main.py:9.)")


def test_without_the_store_on_the_class_the_reader_gets_nothing(copy):
    """The finding comes from main.py's store: remove it (a second run, with the result cache) and the
    remote export is gone from registry.py, and so are the findings."""
    root = copy(FIXTURES / "projects" / "class_attribute")
    assert run_command(root, ".") == markers(FIXTURES / "projects" / "class_attribute")
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace("Registry.shared = manager.dict", "shared = manager.dict"))
    assert run_command(root, ".") == {}


def test_a_proxy_stored_on_an_imported_module_crosses_modules(copy):
    """``registry.REG = manager.dict()`` on the imported module: a global of registry.py for its importers."""
    root = copy(FIXTURES / "projects" / "class_attribute")
    (root / "registry.py").write_text("REG = None\n")
    (root / "workers.py").write_text("import registry\n\n\ndef work():\n    registry.REG['a'].append(1)\n")
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace("from registry import Registry", "import registry")
                                  .replace("Registry.shared", "registry.REG"))
    found = messages(root, "workers.py")
    assert set(found) == {"MPP101 at workers.py:5", "MPP202 at workers.py:5"}
    assert found["MPP101 at workers.py:5"].endswith("('registry.REG' holds the manager dict created at main.py:9.)")


def test_remote_exports_survive_json_and_land_in_the_defining_module(tmp_path):
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.engine.summaries import ATTRIBUTE, REMOTE, ModuleSummary

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "class_attribute", root)
    solver = solved(root)
    main = solver.summaries[str(root / "main.py")]
    assert [(e.name, e.role, e.fact.kind, e.fact.origin) for e in main.remote] == \
        [("registry.Registry.shared", REMOTE, "dict", "main.py:9")]
    assert ModuleSummary.from_json(json.loads(json.dumps(main.to_json()))) == main
    assert [(e.name, e.role, e.fact.origin) for e in solver.exports_of(str(root / "registry.py"))] == \
        [("Registry.shared", ATTRIBUTE, "main.py:9")]
    # workers.py is no seed and nobody passes it a proxy: it is analysed because registry.py now exports one
    assert solver.involved(str(root / "workers.py"))


@pytest.mark.runtime
@pytest.mark.parametrize("method", START_METHODS)
def test_the_class_attribute_read_in_a_child_is_none_under_spawn(method, copy):
    """What MPP202 says: the spawned child imports registry.py again, where Registry.shared is None."""
    root = copy(FIXTURES / "projects" / "class_attribute")
    assert run_program(root / "main.py", method, root) == (0, {"a": []})
    stderr = (root / "stderr.txt").read_text()
    if method == "spawn":
        assert "TypeError: 'NoneType' object is not subscriptable" in stderr, stderr[-2000:]
    else:
        assert "Error" not in stderr, stderr[-2000:]


def test_the_defining_modules_own_code_reads_what_another_module_stored_with_its_origin(copy):
    """main.py stores on registry.Registry and registry.SHARED: registry.py's own readers get the findings of
    one file, with where the proxy was made; Other.shared (same name, another class) and a local SHARED
    that shadows the global get none."""
    found = messages(copy(FIXTURES / "projects" / "remote_reader"), ".")
    assert set(found) == {"MPP101 at registry.py:10", "MPP101 at registry.py:25", "MPP202 at registry.py:25"}
    assert found["MPP101 at registry.py:10"].endswith("('Registry.shared' holds the manager dict created at main.py:11.)")
    assert found["MPP202 at registry.py:25"].endswith("('SHARED' holds the manager dict created at main.py:12.)")


def test_the_defining_module_forgets_a_store_that_is_gone_and_learns_it_again(copy):
    """The defining module's findings follow the store in another module, across runs with the result cache
    (what it receives is part of its cache key)."""
    root = copy(FIXTURES / "projects" / "remote_reader")
    wanted = markers(FIXTURES / "projects" / "remote_reader")
    assert run_command(root, ".") == wanted
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace("registry.SHARED = manager", "SHARED = manager"))
    assert run_command(root, ".") == {"registry.py": {(10, "MPP101")}}
    assert run_command(root, "registry.py") == {"registry.py": {(10, "MPP101")}}
    (root / "main.py").write_text(main)
    assert run_command(root, "registry.py") == wanted


def test_a_store_on_a_class_of_another_module_with_the_same_name_lands_there_only(copy):
    """other.Registry.shared is not registry.Registry.shared: registry.py's own reader gets nothing."""
    root = copy(FIXTURES / "projects" / "remote_reader")
    (root / "other.py").write_text("class Registry:\n    shared = None\n")
    main = (root / "main.py").read_text()
    (root / "main.py").write_text(main.replace("from registry import Registry", "from other import Registry"))
    assert run_command(root, ".") == {"registry.py": {(25, "MPP101"), (25, "MPP202")}}


def test_the_defining_module_is_analysed_again_when_what_it_receives_grows(tmp_path):
    """registry.py is analysed before main.py's store is known (a seed of its own, first in the queue): the
    store queues it again, and its summary exports what it received to its importers."""
    from flake8_mpproxy.project import crossmodule
    from flake8_mpproxy.engine.summaries import ATTRIBUTE, GLOBAL

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "remote_reader", root)
    (root / "registry.py").write_text("from multiprocessing import Manager  # (a seed)\n" +
                                      (FIXTURES / "projects" / "remote_reader" / "registry.py").read_text())
    solver = solved(root, "registry.py")
    registry = str(root / "registry.py")
    assert [(e.name, e.role, e.fact.origin) for e in solver.remote_in(registry)] == \
        [("Registry.shared", ATTRIBUTE, "main.py:11"), ("SHARED", GLOBAL, "main.py:12")]
    assert solver.inputs_seen[registry] == solver.inputs(registry)
    assert {(e.name, e.fact.origin) for e in solver.summaries[registry].exports} >= \
        {("Registry.shared", "main.py:11"), ("SHARED", "main.py:12")}


def test_fix_in_the_defining_module_is_checked_again_with_the_stores_of_other_modules(copy):
    """--fix on registry.py alone: the write-backs in record() (one child) and in Registry.add() (called once,
    by main.py's body: its static method is followed there) are applied and checked again with main.py's facts
    (MPP202 stays); the nested fix in main.py is refused while main.py prints the values (a use a nested proxy
    changes)."""
    root = copy(FIXTURES / "projects" / "remote_reader")
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--fix-style", "nested", "--diff",
                           "registry.py"], cwd=root, capture_output=True, text=True, timeout=120)
    assert "no nested fix in main.py: in main.py the values are passed to print()" in proc.stderr
    assert "Would fix 0 findings" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--fix", "registry.py"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert "Fixed 2 findings in 1 file; 1 remains." in proc.stdout, proc.stdout + proc.stderr
    fixed = (root / "registry.py").read_text()
    assert '    b = SHARED["b"]\n    b.append(x)  # MPP101 MPP202\n    SHARED["b"] = b\n' in fixed
    assert '        a = Registry.shared["a"]\n        a.append(x)  # MPP101\n        Registry.shared["a"] = a\n' in fixed
    assert run_command(root, ".") == {"registry.py": {(27, "MPP202")}}


def inherited_variant(copy, collector: bool, keyed: bool) -> Path:
    """inherited_init with only some of its subclasses given the proxy."""
    root = copy(FIXTURES / "projects" / "inherited_init")
    main = (root / "main.py").read_text()
    if not collector:
        main = main.replace("Collector(shared)", "None").replace('    collector.collect("a", 1)\n', "")
    if not keyed:
        main = main.replace('Keyed(shared, "b")', "None").replace("    keyed.add(2)\n", "")
    (root / "main.py").write_text(main)
    return root


@pytest.mark.parametrize("collector, keyed", [(True, False), (False, True)])
def test_the_init_of_an_imported_base_stores_the_proxy_on_self(collector, keyed, copy):
    """Collector(shared) runs base.Base.__init__ (inherited); Keyed(shared, "b") runs it through super().
    Either way Base.__init__ stores the proxy on self, an attribute of Base for every subclass (as in one
    file), with where it was made."""
    root = inherited_variant(copy, collector, keyed)
    found = messages(root, ".")
    assert set(found) == {"MPP101 at workers.py:8", "MPP101 at workers.py:17"}
    assert "('self.shared' holds the manager dict created at main.py:1" in found["MPP101 at workers.py:8"]


def test_an_explicit_call_of_the_imported_init_is_followed(copy):
    root = inherited_variant(copy, False, True)
    workers = (root / "workers.py").read_text()
    (root / "workers.py").write_text(workers.replace("super().__init__(shared)", "Base.__init__(self, shared)"))
    assert run_command(root, ".") == markers(FIXTURES / "projects" / "inherited_init")


def test_without_a_proxy_for_the_base_the_subclasses_get_nothing(copy):
    root = inherited_variant(copy, False, False)
    assert run_command(root, ".") == {}


def test_a_base_init_that_keeps_a_plain_copy_gives_nothing_and_the_cache_follows_it(copy):
    """base.py changes between two runs (result cache on): workers.py's findings follow its content."""
    root = copy(FIXTURES / "projects" / "inherited_init")
    wanted = markers(FIXTURES / "projects" / "inherited_init")
    assert run_command(root, ".") == wanted
    base = (root / "base.py").read_text()
    (root / "base.py").write_text(base.replace("self.shared = shared", "self.shared = dict(shared)"))
    assert run_command(root, ".") == {}
    assert run_command(root, "workers.py") == {}
    (root / "base.py").write_text(base)
    assert run_command(root, "workers.py") == {"workers.py": wanted["workers.py"]}


def test_a_class_call_is_passed_on_to_the_imported_base_that_defines_init(tmp_path):
    """The solver's view: workers.py passes main.py's calls of Collector and Keyed on to base.Base; base.py
    exports the attribute its __init__ stores."""
    from flake8_mpproxy.project import crossmodule
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "inherited_init", root)
    solver = solved(root)
    outgoing = solver.summaries[str(root / "workers.py")].outgoing
    assert {(call.target, tuple(fact.origin if fact else None for fact in call.args)) for call in outgoing} == \
        {("base.Base", ("main.py:16",))}
    assert [(e.name, e.fact.origin) for e in solver.exports_of(str(root / "base.py"))] == [("Base.shared", "main.py:16")]


def test_an_imported_base_without_init_is_not_claimed_and_refuses_the_nested_fix(copy):
    """base.Base defines no __init__ (its own base is a library's): what the call passes is not followed,
    no finding is made up, and the nested fix in main.py is refused for a use the analysis cannot see."""
    root = copy(FIXTURES / "projects" / "inherited_init")
    (root / "base.py").write_text("import collections\n\n\nclass Base(collections.UserDict):\n    pass\n")
    assert run_command(root, ".") == {}
    summary = solved(root).summaries[str(root / "base.py")]
    assert ("main.py:16", "passed to Base(), which the analysis does not follow") not in summary.uses
    from flake8_mpproxy.fixer.remote import unsafe_uses
    assert "which the analysis does not see" in unsafe_uses(solved(root), "main.py:16")


@pytest.mark.parametrize("name", ["factory_twin", "lock_across"])
def test_a_lock_from_another_module_excludes_the_other_writers(name, copy):
    """MPP301 (opt-in) stays quiet where the read-modify-write holds a manager lock made in another module
    (returned by a factory there, or passed in as a parameter and kept as self.lock); without the lock the
    same writes are reported."""
    root = copy(FIXTURES / "projects" / name)
    assert run_command(root, "--extend-select", "MPP301", ".") == {}
    for path in root.glob("*.py"):
        text = path.read_text()
        path.write_text(text.replace("with self.lock:", "if True:").replace("with lock:", "if True:"))
    found = run_command(root, "--extend-select", "MPP301", ".")
    assert found and all(code == "MPP301" for codes in found.values() for _, code in codes), found
