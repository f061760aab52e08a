"""The worklist solver: long call chains in either order and recursion keep their findings, a unit is walked
again only when a fact it read grew, a step budget that stops the analysis says so, and no program we have (the
fixtures, the benchmark's generated corpora) reaches that budget."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, List, Sequence

import pytest

from flake8_mpproxy.pipeline import analysis
from flake8_mpproxy.frontends import cli
from flake8_mpproxy.project import crossmodule
from flake8_mpproxy import engine as inference, rules
from flake8_mpproxy.engine import values
from flake8_mpproxy.model.mpapi import OLDEST_TARGET, Version
from flake8_mpproxy.engine import solver, walker
from flake8_mpproxy.model.catalogue import BY_CODE
from flake8_mpproxy.model.findings import FORM_NONE
from flake8_mpproxy.frontends.plugin import Plugin

from .programs import FIXTURES, target_of

ROOT = Path(__file__).resolve().parent.parent
ALL = frozenset(BY_CODE)
sys.path.insert(0, str(ROOT / "benchmarks"))
import project_tree  # noqa: E402
import realistic  # noqa: E402
import recursive  # noqa: E402


def chain(depth: int, callers_first: bool) -> str:
    """``f1`` calls ``f2`` ... calls ``f<depth>``, which appends to a copy read from the proxy it was given."""
    functions = [f"def f{i}(d):\n    f{i + 1}(d)\n" for i in range(1, depth)]
    functions.append(f"def f{depth}(d):\n    d['k'].append(1)\n")
    if not callers_first:
        functions.reverse()
    main = ("if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
            "        shared = manager.dict({'k': []})\n        f1(shared)\n")
    return "import multiprocessing\n\n\n" + "\n\n".join(functions) + "\n\n" + main


def append_line(source: str) -> int:
    return next(number for number, line in enumerate(source.splitlines(), 1) if ".append(1)" in line)


def run(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--select", "MPP101", *args, str(path)],
                          cwd=str(ROOT), capture_output=True, text=True)


@pytest.mark.parametrize("callers_first", [True, False], ids=["callers-first", "callees-first"])
def test_a_chain_of_fifty_functions_keeps_its_finding(tmp_path, callers_first):
    source = chain(50, callers_first)
    path = tmp_path / "chain.py"
    path.write_text(source)
    result = run(path)
    assert f"chain.py:{append_line(source)}:5: MPP101" in result.stdout, result.stdout + result.stderr
    assert "warning" not in result.stderr


def test_mutual_recursion_and_a_recursive_helper_keep_their_findings(tmp_path):
    source = (
        "import multiprocessing\n\n\n"
        "def ping(d, n):\n    if n:\n        pong(d, n - 1)\n\n\n"
        "def pong(d, n):\n    d['k'].append(n)\n    if n:\n        ping(d, n - 1)\n\n\n"
        "def pick(d, n):\n    return d if n == 0 else pick(d, n - 1)\n\n\n"
        "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
        "        shared = manager.dict({'k': []})\n        ping(shared, 3)\n"
        "        pick(shared, 3)['k'].append(0)\n")
    path = tmp_path / "recursion.py"
    path.write_text(source)
    lines = [line for line in run(path).stdout.splitlines() if "MPP101" in line]
    assert [line.split(":")[1] for line in lines] == ["10", "23"]


def test_a_callers_first_chain_is_not_walked_once_per_level():
    """The old engine walked the whole module once per level; the solver walks each function at most twice
    (once before its caller gave it the proxy, once after), and the module body once."""
    result = rules.analyse(ast.parse(chain(30, callers_first=True)), ALL)
    assert len(result.walks) == 31
    assert max(result.walks.values()) <= 2
    assert result.walks["<module>"] == 1
    assert result.total_walks() <= 2 * 30 + 1
    assert result.stopped_after is None
    assert [f.code for f in result.findings] == ["MPP101"]


def test_a_unit_is_walked_again_only_when_a_fact_it_read_grew():
    source = ("import multiprocessing\n\n\ndef unrelated(x):\n    return x + 1\n\n\n"
              "def last(d):\n    d['k'].append(1)\n\n\n"
              "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
              "        last(manager.dict({'k': []}))\n")
    result = rules.analyse(ast.parse(source), ALL)
    assert result.walks == {"<module>": 1, "last:8": 1, "unrelated:4": 1}


def test_a_starter_called_under_the_main_guard_does_not_walk_the_module_again():
    """``main()`` starts a manager: called in the main guard that is no finding, so the module body need not be
    walked again when ``main`` turns out to be a starter; called at import time it is MPP201."""
    main = ("import multiprocessing\n\n\ndef main():\n    with multiprocessing.Manager() as manager:\n"
            "        manager.dict()\n\n\n")
    guarded = rules.analyse(ast.parse(main + "if __name__ == '__main__':\n    main()\n"), ALL)
    assert guarded.walks == {"<module>": 1, "main:4": 1}
    assert guarded.findings == []
    at_import = rules.analyse(ast.parse(main + "main()\n"), ALL)
    assert [(f.code, f.line) for f in at_import.findings] == [("MPP201", 9)]
    assert at_import.walks["<module>"] == 2


def test_a_helper_that_starts_children_is_learnt_after_the_walk_not_by_walking_again():
    """``launch`` starts a child; ``main`` calls it, then writes back a copy: that write runs beside the child
    (the write-back is not safe), which is worked out once the walk is over, so a caller of a function that
    starts children is not walked again to learn it (the module body calling ``main`` was, every time)."""
    source = ("import multiprocessing\n\n\ndef work(d):\n    d['k'] += [1]\n\n\n"
              "def launch(d):\n    child = multiprocessing.Process(target=work, args=(d,))\n    child.start()\n"
              "    return child\n\n\n"
              "def main():\n    with multiprocessing.Manager() as manager:\n        d = manager.dict({'k': []})\n"
              "        child = launch(d)\n        d['k'].append(2)\n        child.join()\n\n\n"
              "if __name__ == '__main__':\n    main()\n")
    result = rules.analyse(ast.parse(source), ALL)
    assert result.walks == {"<module>": 1, "main:14": 1, "launch:8": 1, "work:4": 1}
    [finding] = [found for found in result.findings if found.code == "MPP101"]
    assert finding.line == 18
    assert "race" in finding.message and finding.form == FORM_NONE


def test_a_callee_defined_above_its_caller_is_walked_in_the_callers_walk():
    """``make`` (defined first) returns a proxy made from the manager ``run`` gives it: walked out of turn inside
    ``run``'s walk, with that manager, so ``run`` sees the proxy at once and neither is walked twice."""
    source = ("import multiprocessing\n\n\ndef make(manager):\n    return manager.dict()\n\n\n"
              "def run(manager):\n    table = make(manager)\n    table['k'].append(1)\n\n\n"
              "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n        run(manager)\n")
    result = rules.analyse(ast.parse(source), ALL)
    assert result.walks == {"<module>": 1, "run:8": 1, "make:4": 1}
    assert [(f.code, f.line) for f in result.findings] == [("MPP101", 10)]


def test_a_caller_learns_that_its_callee_starts_a_manager_in_the_same_walk():
    """``setup`` starts a manager; ``main`` calls it and is then a starter too (module code calling ``main``
    would be MPP201). ``setup`` is walked inside ``main``'s walk before ``main`` asks, so neither is walked
    twice."""
    source = ("import multiprocessing\n\n\ndef setup():\n    return multiprocessing.Manager()\n\n\n"
              "def main():\n    return setup()\n\n\nmain()\n")
    result = rules.analyse(ast.parse(source), ALL)
    assert result.walks == {"<module>": 2, "main:8": 1, "setup:4": 1}
    assert [(f.code, f.line) for f in result.findings] == [("MPP201", 12)]


def test_walks_out_of_turn_nest_only_so_deep():
    """A callers-first chain walked from its top: each callee is walked inside its caller's walk, down to
    ``MAX_NESTED`` levels, and the rest in turn; the finding at the bottom is kept either way."""
    source = chain(200, callers_first=True).replace("if __name__ == '__main__':", "def main():")
    result = rules.analyse(ast.parse(source), ALL)
    assert result.stopped_after is None
    nested = [f"f{level}:{4 * level}" for level in range(1, walker.MAX_NESTED + 1)]
    assert [result.walks[name] for name in nested] == [1] * walker.MAX_NESTED
    assert result.walks[f"f{walker.MAX_NESTED + 2}:{4 * (walker.MAX_NESTED + 2)}"] == 2
    assert max(result.walks.values()) <= 2
    assert [(f.code, f.line) for f in result.findings] == [("MPP101", append_line(source))]


def test_walk_stats_add_up_over_calls():
    inference.stats.reset()
    for _ in range(2):
        rules.analyse(ast.parse(chain(5, callers_first=True)), ALL)
    assert inference.stats.files == 2
    assert inference.stats.units == 12
    assert inference.stats.per_file() == inference.stats.walks / 2


def small_budget(monkeypatch) -> None:
    monkeypatch.setattr(solver, "BASE_STEPS", 3)
    monkeypatch.setattr(solver, "STEPS_PER_UNIT", 0)


def test_the_command_says_when_the_budget_stopped_the_analysis(tmp_path, monkeypatch, capsys):
    small_budget(monkeypatch)
    path = tmp_path / "chain.py"
    path.write_text(chain(10, callers_first=True))
    status = cli.main(["-j", "1", "--select", "MPP101", str(path)])
    err = capsys.readouterr().err
    assert f"{path}: warning: analysis stopped after 3 steps; findings may be missing" in err.splitlines()
    assert status == 0  # the finding is missing, and the user was told


def test_no_warning_within_the_budget(tmp_path, capsys):
    path = tmp_path / "chain.py"
    path.write_text(chain(10, callers_first=True))
    assert cli.main(["-j", "1", "--select", "MPP101", str(path)]) == 1
    assert "warning" not in capsys.readouterr().err


def test_the_flake8_plugin_says_it_once_on_stderr(tmp_path, monkeypatch, capsys):
    small_budget(monkeypatch)
    source = chain(10, callers_first=True)
    lines: List[str] = source.splitlines(True)
    found = list(Plugin(ast.parse(source), lines, filename="pkg/chain.py").run())
    assert found == []
    err = capsys.readouterr().err.splitlines()
    assert err == ["pkg/chain.py: warning: analysis stopped after 3 steps; findings may be missing"]


# --- termination on values with no finite depth -----------------------------------------------------------------

RECURSIVE_BUILDER = (
    "import multiprocessing\n\n\n"
    "def plain(x):\n"
    "    return {str(k): plain(v) for k, v in x.items()} if isinstance(x, dict) else [plain(v) for v in x]\n\n\n"
    "def worker(d, k):\n    d[k].append(1)\n    return plain(d)\n\n\n"
    "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
    "        shared = manager.dict({'k': []})\n        worker(shared, 'k')\n        plain({'a': [shared]})\n")

MUTUAL_THROUGH_CONTAINERS = (
    "import multiprocessing\n\n\n"
    "def wrap(x, n):\n    return pack(x, n - 1) if n else x\n\n\n"
    "def pack(x, n):\n    return wrap({'inner': x, 'n': [x, (x, n)]}, n)\n\n\n"
    "def worker(d):\n    wrap(d, 5)\n    d['k'].append(2)\n\n\n"
    "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
    "        worker(manager.dict({'k': []}))\n")

SELF_REFERENTIAL = (
    "import multiprocessing\n\n\n"
    "def context(store):\n    ctx = {'store': store, 'children': []}\n    ctx['self'] = ctx\n"
    "    ctx['children'].append(ctx)\n    return ctx\n\n\n"
    "def again(ctx, n):\n    return again({'up': ctx, 'store': ctx['store']}, n - 1) if n else ctx\n\n\n"
    "def worker(d):\n    ctx = context(d)\n    ctx['store']['k'].append(1)\n    again(ctx, 3)['store']['k'].append(2)\n\n\n"
    "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
    "        worker(manager.dict({'k': []}))\n")


def append_lines(source: str) -> List[int]:
    return [number for number, line in enumerate(source.splitlines(), 1) if "['k'].append(" in line
            or "d[k].append(" in line]


@pytest.mark.parametrize("source", [RECURSIVE_BUILDER, MUTUAL_THROUGH_CONTAINERS, SELF_REFERENTIAL],
                         ids=["recursive-builder", "mutual-recursion-through-containers", "self-referential"])
def test_values_with_no_finite_depth_converge_within_a_few_walks(source):
    """A value that grows one level per walk (a recursive builder, two functions wrapping each other's result,
    a structure that contains itself) is cut at ``values.MAX_DEPTH``, and shallower once it has grown a few
    times (widening): the solve ends long before the budget, each unit walked a few times, with the findings."""
    result = rules.analyse(ast.parse(source), ALL)
    assert result.stopped_after is None
    # a walk per growth until the widening, one with the widened value, one that sees nothing change (the
    # order units are first walked in differs between Pythons: 3.9 walks the module body once more)
    assert max(result.walks.values()) <= values.GROWTHS_BEFORE_WIDENING + 2, result.walks
    assert [f.line for f in result.findings if f.code == "MPP101"] == append_lines(source)


def test_the_command_ends_on_recursive_builders_with_its_findings(tmp_path):
    """Through the command, in its own process (a regression hung or ended in 'nesting too deep to analyse')."""
    path = tmp_path / "builders.py"
    path.write_text(SELF_REFERENTIAL + "\n\n" + RECURSIVE_BUILDER.replace("import multiprocessing\n", ""))
    result = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", str(path)], cwd=str(ROOT),
                            capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.returncode == 1
    assert "MPP101" in result.stdout


def test_mutual_recursion_through_containers_across_modules_converges(tmp_path):
    """Two modules whose helpers wrap each other's results: the project solve ends, and the worker's loss in a
    third module is reported."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "left.py").write_text(
        "from right import pack\n\n\ndef wrap(x, n):\n    return pack([x, {'n': x}], n - 1) if n else x\n")
    (tmp_path / "right.py").write_text(
        "import left\n\n\ndef pack(x, n):\n    return left.wrap({'inner': x, 'more': (x, n)}, n)\n")
    (tmp_path / "main.py").write_text(
        "import multiprocessing\nfrom left import wrap\n\n\n"
        "def worker(d):\n    wrap(d, 3)\n    d['k'].append(1)\n\n\n"
        "if __name__ == '__main__':\n    with multiprocessing.Manager() as manager:\n"
        "        multiprocessing.Process(target=worker, args=(manager.dict({'k': []}),)).start()\n")
    result = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", "--select", "MPP101", "main.py", "left.py", "right.py"],
                            cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()[:-1]] == [["main.py:7:5:", "MPP101"]]


def test_bounded_keeps_identity_within_the_bound_and_cuts_cycles():
    proxy = values.Proxy("dict", ast.parse("x").body[0])
    shallow = values.Seq(items=[proxy, values.Mapping(items={"a": proxy})])
    assert values.bounded(shallow) is shallow
    cyclic = values.Mapping(items={"store": proxy})
    cyclic.items["self"] = cyclic
    cut = values.bounded(cyclic)
    assert cut is not cyclic and isinstance(cut, values.Mapping) and cut.items["store"] is proxy
    depth, value = 0, cut
    while isinstance(value, values.Mapping):
        depth, value = depth + 1, value.items["self"]
    assert depth == values.MAX_DEPTH and value is None
    assert values.richness(cyclic) == values.richness(cut)


# --- the step budget is a guard, never a limit the programs we have reach -----------------------------------------

def fixture_programs() -> List[Path]:
    """Every fixture program, the modules of the multi-module projects included (``*.fixed.py`` are the fixer's
    expected outputs, not programs)."""
    return sorted(path for path in FIXTURES.rglob("*.py") if not path.name.endswith(".fixed.py"))


def oldest_target(path: Path) -> Version:
    """The target Python the analysis assumes when nothing says otherwise."""
    return OLDEST_TARGET


def stopped_alone(paths: Sequence[Path], target: Callable[[Path], Version] = oldest_target) -> List[str]:
    """The files among ``paths`` whose analysis alone (every code enabled, for the file's ``target`` Python)
    stopped at its step budget, each with the step count and the walks of its units."""
    stopped = []
    for path in paths:
        result = rules.analyse(ast.parse(path.read_bytes()), ALL, target=target(path))
        if result.stopped_after is not None:
            stopped.append(f"{path}: stopped after {result.stopped_after} steps, walks {result.walks}")
    return stopped


class AnalysisSpy:
    """Records the result of every module analysis the command makes in this process: the single-file analysis
    (``analysis.analyse``) and the project solver's (``crossmodule.analyse``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.results: List[inference.InferenceResult] = []
        self.project_analyses = 0
        for module in (analysis, crossmodule):
            monkeypatch.setattr(module, "analyse", self.wrap(module.analyse, module is crossmodule))

    def wrap(self, analyse: Callable[..., inference.InferenceResult], in_project: bool
             ) -> Callable[..., inference.InferenceResult]:
        """``analyse``, recording each result (and counting the project solver's analyses)."""
        def recorded(*args: Any, **kwargs: Any) -> inference.InferenceResult:
            result = analyse(*args, **kwargs)
            self.results.append(result)
            self.project_analyses += in_project
            return result
        return recorded

    def stopped(self) -> List[int]:
        """The step counts of the recorded analyses that stopped at their budget."""
        return [result.stopped_after for result in self.results if result.stopped_after is not None]


def test_the_budget_is_never_reached_on_the_fixture_programs():
    """Every fixture program analysed alone, for the target Python the fixture tests use."""
    programs = fixture_programs()
    assert len(programs) > 200 and any("projects" in path.parts for path in programs)
    assert stopped_alone(programs, target_of) == []


def test_the_budget_is_never_reached_on_the_fixture_projects_in_project_mode(tmp_path, monkeypatch, capsys):
    """Each multi-module project, checked whole by the command in this process: no module analysis of the
    project solver or of a checked file stopped, and no warning says a solve stopped."""
    spy = AnalysisSpy(monkeypatch)
    projects = sorted(path for path in (FIXTURES / "projects").iterdir() if path.is_dir())
    for project in projects:
        copy = tmp_path / project.name
        shutil.copytree(project, copy)
        cli.main(["-j1", "--no-cache", "-q", str(copy)])
    assert "warning" not in capsys.readouterr().err
    assert spy.project_analyses >= len(projects)  # the project solver did run
    assert spy.stopped() == []


def test_the_budget_is_never_reached_on_the_generated_corpora(tmp_path):
    """The benchmark's realistic corpus (3) and recursive-helper corpus (4), at a small size."""
    planted = realistic.generate(tmp_path / "realistic", 40, seed=0)
    planted += recursive.generate(tmp_path / "recursive", 60, seed=0)
    assert stopped_alone([path for path, _ in planted]) == []


def test_the_budget_is_never_reached_on_the_project_tree_corpus(tmp_path, monkeypatch, capsys):
    """The benchmark's generated project (packages of manager programs passing proxies to worker modules that
    never import multiprocessing), checked whole in project mode by the command in this process."""
    project_tree.generate(tmp_path, 100)
    spy = AnalysisSpy(monkeypatch)
    assert cli.main(["-j1", "--no-cache", "-q", str(tmp_path)]) == 1
    assert "warning" not in capsys.readouterr().err
    assert spy.project_analyses >= 10  # every manager program at least
    assert spy.stopped() == []


def test_a_long_function_is_scanned_once_however_many_findings_it_has(monkeypatch):
    """Each finding asks whether its function may run several times at once; whether the function awaits or
    yields is a scan of its whole body: once per function, not once per finding (a 4,000-statement worker
    took a minute, quadratic in its length)."""
    from flake8_mpproxy.engine import concurrency
    from flake8_mpproxy.model.config import Settings
    from flake8_mpproxy.model.source import SourceFile

    body = [f"    d['k{i % 7}'].append({i})" for i in range(300)]
    text = "\n".join(["from multiprocessing import Manager, Process", "", "def work(d):", *body, "",
                      "if __name__ == '__main__':", "    with Manager() as m:", "        d = m.dict()",
                      "        for _ in range(2):", "            Process(target=work, args=(d,)).start()", ""])
    scans: List[str] = []
    real = concurrency.own_nodes

    def counting(func: ast.AST) -> Any:
        scans.append(getattr(func, "name", "?"))
        return real(func)

    monkeypatch.setattr(concurrency, "own_nodes", counting)
    findings = analysis.check_source(SourceFile("t.py", b"", text, "utf-8"), Settings())
    assert len([f for f in findings if f.code == "MPP101"]) == 300
    assert scans.count("work") <= 2
