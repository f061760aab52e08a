"""Test options: ``--fuzz-examples N`` runs the fuzz tests with N programs each (default: a short run)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=0,
                     help="programs per fuzz test (default: a short run of 30); e.g. 2000 for the long run")


@pytest.fixture(autouse=True)
def _fresh_front_end_projects():
    """The flake8 plugin and the codemod keep the projects they solved for their process (a test that runs
    them in process and then rewrites the tree must not see the old solve)."""
    from flake8_mpproxy.fixer.codemod import FixProxyTraps
    from flake8_mpproxy.frontends.plugin import Plugin
    from flake8_mpproxy.project.context import ProjectContext

    Plugin.context = None
    FixProxyTraps.projects = ProjectContext()
    yield
