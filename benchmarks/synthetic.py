"""A synthetic proxy-heavy tree: every file uses managers, proxies, nested proxies and child targets, and about
a quarter of the files hold real traps. ``generate(dest, n_files, seed)`` is shared by the benchmark and the
prefilter soundness test."""

from __future__ import annotations

import random
from pathlib import Path
from typing import List

HEADER = '''"""Synthetic module {index}: managers, proxies and workers."""
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import Manager, Pool, Process
'''

HELPERS = [
    '''
def collect_{n}(shared, key, items):
    for item in items:
        shared[key] += [item]
    return len(shared[key])
''',
    '''
def tally_{n}(counts, lock, word):
    with lock:
        counts[word] = counts.get(word, 0) + 1
''',
    '''
class Registry{n}:
    def __init__(self, manager):
        self.entries = manager.dict()
        self.order = manager.list()

    def add(self, name, value):
        self.entries[name] = value
        self.order.append(name)

    def names(self):
        return list(self.order)
''',
    '''
def nested_{n}(manager, keys):
    table = manager.dict({{key: manager.list() for key in keys}})
    for key in keys:
        table[key].append(len(key))
    return table
''',
    '''
def merge_{n}(target, source):
    for key, value in source.items():
        current = target.get(key, [])
        current.extend(value)
        target[key] = current
''',
    '''
def ratio_{n}(values):
    total = sum(values) or 1
    return [value / total for value in values]
''',
]

TRAPS = [
    '''
def lost_append_{n}(shared, key, value):
    shared[key].append(value)
''',
    '''
def lost_store_{n}(shared, key):
    shared[key]["seen"] = True
''',
    '''
def lost_alias_{n}(shared, key):
    bucket = shared[key]
    bucket.append(1)
''',
    '''
def lost_default_{n}(shared, key, value):
    shared.setdefault(key, []).append(value)
''',
]

MAIN = '''

def run_{index}(size):
    with Manager() as manager:
        shared = manager.dict()
        counts = manager.dict()
        lock = manager.Lock()
        for key in range(size):
            shared[key] = []
        workers = [Process(target=collect_{first}, args=(shared, key, [key])) for key in range(size)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        with Pool(2) as pool:
            pool.map(partial(tally_{second}, counts, lock), ["a", "b"])
        with ProcessPoolExecutor(2) as executor:
            executor.submit(collect_{first}, shared, 0, [1]).result()
        {trap_calls}
        return dict(shared)


if __name__ == "__main__":
    print(run_{index}(3))
'''


def generate(dest: Path, n_files: int, seed: int = 0) -> List[Path]:
    """Write ``n_files`` modules under ``dest`` (in sub-packages of 50) and return their paths."""
    rng = random.Random(seed)
    paths = []
    for index in range(n_files):
        package = dest / f"pkg{index // 50:03}"
        package.mkdir(parents=True, exist_ok=True)
        parts = [HEADER.format(index=index)]
        helpers = rng.sample(range(len(HELPERS)), k=rng.randint(3, len(HELPERS)))
        for number, helper in enumerate(sorted(set(helpers) | {0, 1})):
            parts.append(HELPERS[helper].format(n=number if helper in (0, 1) else f"{index}_{number}"))
        first = sorted(set(helpers) | {0, 1}).index(0)
        second = sorted(set(helpers) | {0, 1}).index(1)
        trap_calls = "pass"
        if rng.random() < 0.25:
            chosen = rng.sample(range(len(TRAPS)), k=rng.randint(1, 3))
            for trap in chosen:
                parts.append(TRAPS[trap].format(n=trap))
            names = [TRAPS[t].split("def ")[1].split("(")[0].format(n=t) for t in chosen]
            trap_calls = "\n        ".join(
                f"{name}(shared, 0{', 1' if 'append' in name or 'default' in name else ''})" for name in names)
        parts.append(MAIN.format(index=index, first=first, second=second, trap_calls=trap_calls))
        path = package / f"module_{index:04}.py"
        path.write_text("".join(parts), encoding="utf-8")
        paths.append(path)
    return paths
