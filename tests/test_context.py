"""The project context: the one place a run keeps what it solved (tests/test_layers.py keeps it the only one).

Each front end makes its own; two contexts never see each other's solves or editor buffers, and forget() makes
a context see files that changed under it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.pipeline.analysis import check_file
from flake8_mpproxy.project.context import ProjectContext

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def project(tmp_path: Path) -> Path:
    """main.py passes a manager dict to workers.collect, which appends to an item: MPP101 in workers.py."""
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "process_target", root)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    return root


def codes(context: ProjectContext, path: Path) -> list:
    return [finding.code for finding in check_file(str(path), path.read_bytes(), Settings(), context).findings]


def test_a_context_solves_each_project_once_for_all_its_files(tmp_path):
    root = project(tmp_path)
    context = ProjectContext()
    first = context.solver(str(root / "main.py"), Settings())
    assert first is not None and context.solver(str(root / "workers.py"), Settings()) is first
    assert codes(context, root / "workers.py") == ["MPP101"]
    assert context.solver(str(root / "workers.py"), Settings()) is first
    assert ProjectContext().solver(str(root / "workers.py"), Settings()) is not first


def test_forget_makes_the_context_see_a_changed_caller(tmp_path):
    root = project(tmp_path)
    context = ProjectContext()
    assert codes(context, root / "workers.py") == ["MPP101"]
    main = root / "main.py"
    main.write_text(main.read_text().replace("manager.dict(", "dict("))
    assert codes(context, root / "workers.py") == ["MPP101"], "the solve it kept is the one it made"
    context.forget()
    assert codes(context, root / "workers.py") == []
    assert codes(ProjectContext(), root / "workers.py") == []


def test_an_editor_buffer_is_seen_by_its_own_context_only(tmp_path):
    root = project(tmp_path)
    editor, command = ProjectContext(), ProjectContext()
    editor.overlay.lay(str(root / "main.py"), (root / "main.py").read_text().replace("manager.dict(", "dict(").encode())
    assert codes(editor, root / "workers.py") == []
    assert codes(command, root / "workers.py") == ["MPP101"]
    editor.overlay.lift(str(root / "main.py"))
    editor.forget()
    assert codes(editor, root / "workers.py") == ["MPP101"]


def test_no_project_without_the_setting_and_a_bounded_number_of_projects(tmp_path):
    root = project(tmp_path)
    context = ProjectContext(max_projects=1)
    assert context.solver(str(root / "main.py"), Settings(project=False)) is None
    kept = context.solver(str(root / "main.py"), Settings())
    other = project(tmp_path / "second")
    assert context.solver(str(other / "main.py"), Settings()) is not kept
    assert context.solver(str(root / "main.py"), Settings()) is not kept, "the oldest solve was dropped"


def test_a_run_of_the_command_reads_each_file_once(tmp_path, monkeypatch, capsys):
    """The screening, the project scan, the solver, re-exports, registrations and the check all ask for the same
    bytes: the run's overlay reads each file from disk once (a plain overlay reads it at every question)."""
    import builtins
    import io
    from collections import Counter

    from flake8_mpproxy.frontends import cli

    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "projects" / "pool_initializer", root)
    reads: Counter = Counter()
    real_open = builtins.open

    def counting(file, *args, **kwargs):
        if str(file).endswith(".py"):
            reads[Path(file).name] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    monkeypatch.chdir(root)
    status = cli.main(["--no-cache", "-j1", "."])
    assert "workers.py:12:5: MPP101" in capsys.readouterr().out
    assert status == 1
    assert reads == {"main.py": 1, "workers.py": 1}
    reads.clear()
    context = ProjectContext()  # (without remember_reads, as the language server keeps it)
    check_file(str(root / "workers.py"), (root / "workers.py").read_bytes(), Settings(), context)
    assert reads["main.py"] > 1, "the test would pass without the memo"


def fresh_codes(root: Path, buffers: dict, path: Path) -> list:
    """What a context that solves from scratch finds, with the same editor buffers laid."""
    context = ProjectContext()
    for name, text in buffers.items():
        context.overlay.lay(str(root / name), text.encode())
    return [finding.code for finding in check_file(str(path), (buffers.get(path.name) or path.read_text()).encode(),
                                                   Settings(), context).findings]


def test_an_edited_buffer_is_seen_as_a_new_solve_would_see_it(tmp_path):
    """edited() re-reads one module over the kept scan: a caller that stops importing the worker (the parts of
    the import graph change), stops being a seed, or comes back, gives what a fresh context gives."""
    root = project(tmp_path)
    original = (root / "main.py").read_text()
    edits = [
        original.replace("manager.dict(", "dict("),  # no proxy passed
        original,
        original.replace("from workers import collect", "collect = print"),  # no longer imports workers
        original.replace("from multiprocessing import Manager, Process", "from mp_shim import Manager, Process")
        .replace("Manager()", "Manager()  # no manager the prefilter knows"),
        original + "\n# a comment only\n",
    ]
    context = ProjectContext()
    assert codes(context, root / "workers.py") == ["MPP101"]
    for text in edits:
        context.overlay.lay(str(root / "main.py"), text.encode())
        context.edited(str(root / "main.py"))
        buffers = {"main.py": text}
        assert codes(context, root / "workers.py") == fresh_codes(root, buffers, root / "workers.py"), text
    context.overlay.lift(str(root / "main.py"))
    context.edited(str(root / "main.py"))
    assert codes(context, root / "workers.py") == ["MPP101"]


def test_an_edit_keeps_the_scan_of_the_other_files(tmp_path):
    root = project(tmp_path)
    context = ProjectContext()
    before = context.solver(str(root / "workers.py"), Settings())
    assert before is not None and codes(context, root / "workers.py") == ["MPP101"]
    context.overlay.lay(str(root / "main.py"), (root / "main.py").read_text().replace("manager.dict(", "dict(").encode())
    context.edited(str(root / "main.py"))
    after = context.solver(str(root / "workers.py"), Settings())
    assert after is not None and after is not before
    assert set(after.index.records) == set(before.index.records)
    assert after.index.records[str(root / "workers.py")] is before.index.records[str(root / "workers.py")]
    assert codes(context, root / "workers.py") == []
