"""Libraries that speak multiprocessing's API (``api.LIBRARIES``: multiprocess, billiard, torch.multiprocessing):
their names are read as the standard module's, the prefilter lets their files through, and where one behaves
otherwise (measured by the runnable fixtures, fixtures/README.md "Runtime facts") the findings and fixes follow.

torch is never installed here (it is huge): torch.multiprocessing is checked statically only, which is enough
because it re-exports the standard module (``from multiprocessing import *``) and adds no manager of its own.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from flake8_mpproxy.pipeline.analysis import check_source
from flake8_mpproxy.model.mpapi import LIBRARIES, PREFILTER_GATES, STANDARD, Library, library_of, standard_name
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.fixer import fix_source
from flake8_mpproxy.engine.summaries import ProxyFact
from flake8_mpproxy.model.source import decode, may_have_findings

from . import programs
from .programs import FIXTURES, libraries_used, missing_libraries, run_program, runnable

OTHERS = [library for library in LIBRARIES if library is not STANDARD]


def findings(text: str, settings: Settings = Settings()):
    source = decode("t.py", textwrap.dedent(text).encode())
    return check_source(source, settings)


def lines_and_codes(text: str) -> Set[Tuple[int, str]]:
    return {(f.line, f.code) for f in findings(text)}


# The training script, and the other rules a library's manager meets, written once for any module: the
# standard module's findings, minus what a library's fields say it does otherwise.
PROGRAM = """\
import {module} as mp

early = mp.Manager()


def train(shard, index):
    shard[index].append(index)


def nested_train(nested, index):
    nested[index].append(index)


def report():
    print(dict(results))


def uses_manager(manager, d):
    d["x"] = 1


if __name__ == "__main__":
    manager = mp.Manager()
    l = manager.list([[] for _ in range(4)])
    nested = manager.list([manager.list() for _ in range(4)])
    results = manager.dict()
    results["rows"] = manager.list()
    results["rows"].append(1)
    for i in range(4):
        mp.Process(target=train, args=(l, i)).start()
        mp.Process(target=nested_train, args=(nested, i)).start()
    mp.Process(target=report).start()
    mp.Process(target=uses_manager, args=(manager, results)).start()
    with mp.Pool(2) as pool:
        pool.apply_async(uses_manager, (manager, results))
"""


def line_of(text: str, code: str) -> int:
    """The line of :data:`PROGRAM` that holds ``code``."""
    (number,) = [number for number, line in enumerate(text.splitlines(), 1) if code in line]
    return number


STANDARD_FINDINGS = {(line_of(PROGRAM, "early = mp.Manager()"), "MPP201"),
                     (line_of(PROGRAM, "shard[index].append"), "MPP101"),
                     (line_of(PROGRAM, "print(dict(results))"), "MPP202"),
                     (line_of(PROGRAM, "mp.Process(target=uses_manager"), "MPP203"),
                     (line_of(PROGRAM, "pool.apply_async"), "MPP203")}
#: What a library without nested proxies adds: the appends through the stored list proxies go to copies.
NESTED_APPENDS = {(line_of(PROGRAM, "nested[index].append"), "MPP101"),
                  (line_of(PROGRAM, 'results["rows"].append'), "MPP101")}
#: The MPP203 of ``Process(args=(manager, ...))``, which a library whose Process pickles managers does not get.
PROCESS_MANAGER = {(line_of(PROGRAM, "mp.Process(target=uses_manager"), "MPP203")}


def expected_for(library: Library) -> Set[Tuple[int, str]]:
    """The findings :data:`PROGRAM` gets with ``library``, from the library's fields alone."""
    expected = set(STANDARD_FINDINGS)
    if not library.nested_proxies:
        expected |= NESTED_APPENDS
    if library.process_pickles_manager:
        expected -= PROCESS_MANAGER
    return expected


def test_the_program_gets_the_standard_findings():
    assert lines_and_codes(PROGRAM.format(module="multiprocessing")) == STANDARD_FINDINGS


@pytest.mark.parametrize("library", OTHERS, ids=lambda library: library.module)
def test_each_library_is_read_as_the_standard_module(library):
    assert lines_and_codes(PROGRAM.format(module=library.module)) == expected_for(library)


def test_the_measured_deviations_are_in_the_table():
    """billiard keeps no nested proxies, multiprocess pickles a manager into a Process (fixtures/README.md)."""
    by_module = {library.module: library for library in LIBRARIES}
    assert not by_module["billiard"].nested_proxies
    assert by_module["multiprocess"].process_pickles_manager
    torch = by_module["torch.multiprocessing"]  # a re-export: no deviation, and its own spawn(fn, args, nprocs)
    assert torch.nested_proxies and not torch.process_pickles_manager
    assert "multiprocessing.spawn" in torch.index_spawns


# --- names -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, standard", [
    ("billiard", "multiprocessing"),
    ("billiard.managers.SyncManager", "multiprocessing.managers.SyncManager"),
    ("multiprocess.Manager", "multiprocessing.Manager"),
    ("torch.multiprocessing.Pool", "multiprocessing.Pool"),
    ("multiprocess.dummy.Manager", "multiprocessing.dummy.Manager"),
])
def test_library_names_are_spelled_as_the_standard_modules(name, standard):
    library = library_of(name)
    assert library is not None and library is not STANDARD
    assert standard_name(name, library) == standard


@pytest.mark.parametrize("name", ["multiprocessingx.Manager", "multiprocessx", "torch", "torch.nn.Module",
                                  "billiards.Manager"])
def test_other_names_are_not_a_library(name):
    assert library_of(name) is None


FORMS = {
    "from torch import multiprocessing as mp\nmanager = mp.Manager()\n": 2,
    "import torch\nmanager = torch.multiprocessing.Manager()\n": 2,
    "import torch.multiprocessing\nmanager = torch.multiprocessing.Manager()\n": 2,
    "from torch.multiprocessing import Manager\nmanager = Manager()\n": 2,
    "from multiprocess import *\nmanager = Manager()\n": 2,
    "import multiprocess.managers\nmanager = multiprocess.managers.SyncManager()\nmanager.start()\n": 3,
    "from billiard.managers import SyncManager\nmanager = SyncManager()\nmanager.start()\n": 3,
    "import billiard\nmanager = billiard.get_context('spawn').Manager()\n": 2,
    "from billiard.managers import BaseManager\n\nclass M(BaseManager):\n    pass\n\nM().start()\n": 6,
}


@pytest.mark.parametrize("text", FORMS, ids=lambda text: text.splitlines()[0])
def test_every_import_form_of_a_library_makes_a_manager(text):
    """MPP201 at the line that starts the manager at import time, whatever the form of the import."""
    assert lines_and_codes(text) == {(FORMS[text], "MPP201")}


@pytest.mark.parametrize("module", ["multiprocessing", "multiprocess"])
def test_a_dummy_manager_is_no_manager(module):
    """``multiprocessing.dummy.Manager().dict()`` is a plain dict (clean/multiprocessing_dummy_kept.py measures
    it): changing a stored list in place is no finding, and its Process is a thread (no MPP202)."""
    assert lines_and_codes(f"""\
        from {module}.dummy import Manager, Process

        manager = Manager()
        d = manager.dict()


        def work():
            d["k"].append(1)


        if __name__ == "__main__":
            d["k"] = []
            Process(target=work).start()
            d["k"].append(2)
        """) == set()


# --- the prefilter ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("library", LIBRARIES, ids=lambda library: library.module)
def test_the_prefilter_passes_a_file_of_every_library(library):
    """A file that names only a library (``import billiard``: no ``multiprocessing`` in it) is analysed."""
    text = PROGRAM.format(module=library.module)
    assert lines_and_codes(text)
    assert may_have_findings(text)
    spelled = library.module.rsplit(".", 1)[-1]  # what every import of it spells
    manager_gate = PREFILTER_GATES[0][1]
    assert any(token in spelled for token in manager_gate), manager_gate


def test_a_file_naming_no_library_is_still_skipped():
    assert not may_have_findings("from logging import Manager\nm = Manager(None)\nm.dict()['k'].append(1)\n")


# --- billiard: no nested proxies, so neither the message nor the fixer offers one ------------------------------

BILLIARD = """\
from billiard import Manager, Process


def work(d):
    d["rows"].append(1)


if __name__ == "__main__":
    with Manager() as manager:
        d = manager.dict()
        d["rows"] = []
        p = Process(target=work, args=(d,))
        p.start()
        p.join()
"""


def test_billiard_findings_offer_no_nested_proxy():
    (finding,) = findings(BILLIARD)
    assert finding.code == "MPP101" and "nested" not in finding.message
    (standard,) = findings(BILLIARD.replace("billiard", "multiprocessing"))
    assert "store a nested proxy (d['rows'] = manager.list())" in standard.message


@pytest.mark.parametrize("style, fixed", [("nested", None), ("auto", '    d["rows"] += [1]\n')])
def test_billiard_gets_no_nested_fix(style, fixed):
    """``--fix-style nested`` leaves the finding (a nested proxy would lose the append too); ``auto`` writes the
    value back, where the standard module gets a nested list proxy."""
    source = decode("t.py", BILLIARD.encode())
    result = fix_source(source, check_source(source), style=style)
    assert "manager.list()" not in result.text
    assert (result.text == BILLIARD) == (fixed is None)
    if fixed is not None:
        assert fixed in result.text
    standard = BILLIARD.replace("billiard", "multiprocessing")
    source = decode("t.py", standard.encode())
    assert 'd["rows"] = manager.list()' in fix_source(source, check_source(source), style=style).text


def test_the_nested_fix_uses_the_managers_name_in_scope():
    text = BILLIARD.replace("billiard", "multiprocess").replace("as manager", "as mgr").replace("manager.", "mgr.")
    source = decode("t.py", text.encode())
    (finding,) = check_source(source)
    assert "d['rows'] = mgr.list()" in finding.message
    assert 'd["rows"] = mgr.list()' in fix_source(source, (finding,), style="nested").text


def test_a_proxy_fact_keeps_its_library_across_modules():
    """The summary another module reads (and the cache keeps) says which library made the proxy; a summary
    written without the field reads as the standard module."""
    fact = ProxyFact("dict", "main.py:3", library="billiard")
    assert ProxyFact.from_json(fact.to_json()) == fact
    old = {key: value for key, value in fact.to_json().items() if key != "library"}
    assert ProxyFact.from_json(old).library == ""


# --- the runnable fixtures: each library's programs run with its start method, or are skipped without it --------

TORCH = FIXTURES / "inference" / "library_torch.py"


def test_the_torch_fixture_is_static_only():
    assert libraries_used(TORCH) == ["torch.multiprocessing"]
    assert not runnable(TORCH)


def test_fixtures_of_every_library_exist():
    used = {name for path in FIXTURES.rglob("*.py") for name in libraries_used(path)}
    assert used == {library.module for library in OTHERS}


def test_a_missing_library_skips_its_programs(monkeypatch):
    monkeypatch.setattr(programs.importlib.util, "find_spec", lambda name: None)
    path = FIXTURES / "inference" / "library_billiard.py"
    assert missing_libraries(path) == ["billiard"]
    with pytest.raises(pytest.skip.Exception, match="billiard is not installed"):
        programs.skip_without_libraries(path)


def installed() -> List[str]:
    """The libraries of the table (torch aside: never installed here) this environment has."""
    return [library.module for library in OTHERS if importlib.util.find_spec(library.module.partition(".")[0])]


@pytest.mark.parametrize("method", programs.START_METHODS)
def test_a_program_runs_with_the_start_method_forced_on_its_libraries(method, tmp_path):
    """``run_program`` forces the start method of every library the program imports, not only the standard
    module's (each library keeps its own context)."""
    modules = installed()
    if not modules:
        pytest.skip("neither multiprocess nor billiard is installed")
    program: Path = tmp_path / "probe.py"
    program.write_text("import multiprocessing\n" + "".join(f"import {name}\n" for name in modules)
                       + "print('STATE:', [multiprocessing.get_start_method()] + ["
                       + ", ".join(f"{name}.get_start_method()" for name in modules) + "])\n")
    status, state = run_program(program, method, tmp_path)
    assert (status, state) == (0, [method] * (len(modules) + 1)), (tmp_path / "stderr.txt").read_text()


def test_a_billiard_release_whose_spawn_cannot_load_the_script_skips_its_programs(monkeypatch):
    """billiard 4.2.4 (the last for Python 3.9) never loads the main script in a spawned child: its programs
    are skipped there, not reported as lost data."""
    import importlib.metadata

    path = FIXTURES / "inference" / "library_billiard.py"
    monkeypatch.setattr(programs.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "4.2.4")
    with pytest.raises(pytest.skip.Exception, match=r"billiard 4\.2\.4 \(before 4\.3"):
        programs.skip_without_libraries(path)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "4.3.2")
    programs.skip_without_libraries(path)  # no skip
