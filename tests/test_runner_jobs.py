"""How many worker processes a run starts: -j N as asked, otherwise from the size of the candidate files."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest

from flake8_mpproxy.frontends import runner
from flake8_mpproxy.model.config import Settings
from flake8_mpproxy.frontends.runner import WORKER_BYTES, Job, default_jobs, run_all

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed" / "seed.py"


@pytest.mark.parametrize("size, cpus, expected", [
    (0, 8, 1),
    (WORKER_BYTES - 1, 8, 1),  # the standard library's candidates (1.1 MB) are about here: in process
    (2 * WORKER_BYTES - 1, 8, 1),
    (2 * WORKER_BYTES, 8, 2),
    (5 * WORKER_BYTES, 8, 5),
    (50 * WORKER_BYTES, 8, 8),  # at most one per CPU
    (50 * WORKER_BYTES, 1, 1),
])
def test_default_jobs_grow_with_the_work(size, cpus, expected):
    assert default_jobs(size, cpus) == expected


class PoolStarted(Exception):
    pass


def pools(monkeypatch):
    """Record each pool run_all would start (and start none)."""
    started = []

    def get_context(method=None):
        class Context:
            def Pool(self, workers, **options):
                started.append(workers)
                raise PoolStarted

        return Context()

    monkeypatch.setattr(multiprocessing, "get_context", get_context)
    return started


def seeds(tmp_path: Path, count: int):
    job = Job(Settings(), cache=False)
    for i in range(count):
        shutil.copy(SEED, tmp_path / f"m{i}.py")
    return [(str(tmp_path / f"m{i}.py"), job) for i in range(count)]


def test_a_small_default_run_stays_in_process(tmp_path, monkeypatch):
    started = pools(monkeypatch)
    outcomes = list(run_all(seeds(tmp_path, 3), None))
    assert started == [] and len(outcomes) == 3 and all(o.findings for o in outcomes)


def test_a_large_default_run_starts_workers(tmp_path, monkeypatch):
    started = pools(monkeypatch)
    monkeypatch.setattr(runner, "WORKER_BYTES", 1)
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 2)
    with pytest.raises(PoolStarted):
        list(run_all(seeds(tmp_path, 3), None))
    assert started == [2]


@pytest.mark.parametrize("jobs, expected", [(2, [2]), (8, [3])])  # never more workers than files
def test_an_explicit_jobs_count_is_kept(tmp_path, monkeypatch, jobs, expected):
    started = pools(monkeypatch)
    with pytest.raises(PoolStarted):
        list(run_all(seeds(tmp_path, 3), jobs))
    assert started == expected


def test_j1_stays_in_process(tmp_path, monkeypatch):
    started = pools(monkeypatch)
    assert len(list(run_all(seeds(tmp_path, 3), 1))) == 3 and started == []
