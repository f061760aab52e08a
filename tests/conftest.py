"""Test options: ``--fuzz-examples N`` runs the fuzz tests with N programs each (default: a short run)."""

from __future__ import annotations


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=0,
                     help="programs per fuzz test (default: a short run of 30); e.g. 2000 for the long run")
