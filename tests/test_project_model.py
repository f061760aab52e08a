"""The project model: where imports of the project lead (DESIGN §3 "Project-wide"), on real trees."""

from __future__ import annotations

import os
from pathlib import Path

from typing import Optional, Tuple

from flake8_mpproxy.project.root import find_root
from flake8_mpproxy.project.scan import scan_project


def resolve_module(name: str, importer: str, root: str) -> Optional[str]:
    """Where the project scan resolves ``name`` imported from ``importer`` (the solver's and the guard's)."""
    return scan_project(root).resolve_module(name, importer)


def resolve_attribute(qualname: str, importer: str, root: str) -> Optional[Tuple[str, str]]:
    return scan_project(root).resolve_call(qualname, importer)


def tree(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


def test_the_root_is_the_nearest_directory_with_a_marker(tmp_path):
    tree(tmp_path, "setup.cfg", "pkg/sub/mod.py")
    assert find_root(str(tmp_path / "pkg" / "sub" / "mod.py")) == str(tmp_path)


def test_flat_package_src_and_namespace_layouts(tmp_path):
    tree(tmp_path, "pyproject.toml", "main.py", "workers.py", "app/__init__.py", "app/jobs.py",
         "src/lib/__init__.py", "src/lib/core.py", "ns/part/mod.py")
    main = str(tmp_path / "main.py")
    assert resolve_module("workers", main, str(tmp_path)) == str(tmp_path / "workers.py")
    assert resolve_module("app", main, str(tmp_path)) == str(tmp_path / "app" / "__init__.py")
    assert resolve_module("app.jobs", main, str(tmp_path)) == str(tmp_path / "app" / "jobs.py")
    assert resolve_module("lib.core", main, str(tmp_path)) == str(tmp_path / "src" / "lib" / "core.py")
    assert resolve_module("ns.part.mod", main, str(tmp_path)) == str(tmp_path / "ns" / "part" / "mod.py")


def test_relative_imports_count_their_dots(tmp_path):
    tree(tmp_path, "pyproject.toml", "app/__init__.py", "app/a/__init__.py", "app/a/x.py", "app/b.py")
    importer = str(tmp_path / "app" / "a" / "x.py")
    assert resolve_module("..b", importer, str(tmp_path)) == str(tmp_path / "app" / "b.py")
    assert resolve_module(".", importer, str(tmp_path)) == str(tmp_path / "app" / "a" / "__init__.py")
    assert resolve_attribute("..b.run", importer, str(tmp_path)) == (str(tmp_path / "app" / "b.py"), "run")
    assert resolve_attribute(".helper", importer, str(tmp_path)) == (
        str(tmp_path / "app" / "a" / "__init__.py"), "helper")


def test_the_standard_library_and_missing_modules_are_not_the_projects(tmp_path):
    tree(tmp_path, "pyproject.toml", "main.py")
    main = str(tmp_path / "main.py")
    assert resolve_module("multiprocessing", main, str(tmp_path)) is None
    assert resolve_attribute("functools.partial", main, str(tmp_path)) is None
    assert resolve_attribute("collect", main, str(tmp_path)) is None  # a bare name is no module's attribute


def test_nothing_outside_the_root_is_resolved(tmp_path):
    tree(tmp_path, "outside.py", "proj/pyproject.toml", "proj/main.py")
    main = str(tmp_path / "proj" / "main.py")
    assert resolve_module("..outside", main, str(tmp_path / "proj")) is None
    assert os.path.isfile(tmp_path / "outside.py")


def test_the_scan_reads_import_statements_continued_over_several_lines():
    """Parentheses (with comments holding parentheses), backslashes before and after ``import``, CRLF."""
    from flake8_mpproxy.project.scan import scan_file

    def imports(text: bytes):
        return scan_file(text, ()).imports

    assert imports(b"from pkg import (  # see (a)\n    workers,  # b)\n    steps as s,\n)\n") == (
        "pkg", "pkg.workers", "pkg.steps")
    assert imports(b"from pkg import workers, \\\n    steps\n") == ("pkg", "pkg.workers", "pkg.steps")
    assert imports(b"from pkg \\\n    import tags\n") == ("pkg", "pkg.tags")
    assert imports(b"import a, \\\r\n  b.c as d\r\nx = 1\r\n") == ("a", "b.c")
    assert imports(b"from .. import (a,\n b)\n") == ("..a", "..b")
    # prose that looks like an import, and an unbalanced parenthesis in it, swallow nothing
    assert imports(b'"""see from x import (\n"""\nimport y\n') == ("y",)


def test_a_literal_import_module_is_an_import_and_a_computed_one_is_ignored():
    from flake8_mpproxy.project.scan import scan_file

    text = (b"import importlib\nstage = importlib.import_module('pkg.stage')\nother = importlib.import_module(name)\n"
            b"rel = importlib.import_module('.rel', package='pkg')\n")
    assert scan_file(text, ()).imports == ("importlib", "pkg.stage")
