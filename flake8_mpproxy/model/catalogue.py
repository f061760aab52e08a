"""The rule catalogue: every MPP rule as data (code, name, message, why, examples, fix)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

#: How a rule's findings can be fixed: never, by a safe rewrite, or only with ``--unsafe-fixes``.
FIX_NONE = "none"
FIX_SAFE = "safe"
FIX_UNSAFE = "unsafe"


@dataclass(frozen=True)
class Rule:
    """One rule: everything a user or a front end needs to know about a code."""

    code: str
    name: str
    #: One line: what the rule flags (the README table and ``--explain`` list use it).
    summary: str
    #: ``str.format`` template with named placeholders; rendered by :mod:`findings`.
    message: str
    why: str
    bad: str
    good: str
    fix: str
    fix_title: str
    #: The module of :mod:`flake8_mpproxy.rules` that reports it (see that package for how to add a rule).
    module: str
    default_on: bool = True
    #: The message in a Jupyter notebook, where a rule's runtime story differs (see docs/notebooks.md); None:
    #: the same as ``message``.
    notebook_message: Optional[str] = None


RULES: Tuple[Rule, ...] = (
    Rule(
        code="MPP101",
        module="copies",
        summary='a mutating method called on a value read from a proxy (`d[k].append(v)`, `d.get(k).add(v)`, `d.setdefault(k, []).append(v)`, `l[i].sort()`, `ns.items.append(v)`)',
        name="mutation-of-proxy-copy",
        message=(
            "{mutation} mutates a copy returned by manager proxy '{proxy}'; the change is lost. "
            "{remedy}"
        ),
        why=(
            "Reading from a manager proxy (d[k], d.get(k), d.setdefault(k, x), l[i], ns.attr) returns a pickled "
            "copy of the stored value. A mutating method called on that copy changes only the copy: the manager "
            "never hears of it, in the parent and in children alike, and no error is raised."
        ),
        bad=(
            "from multiprocessing import Manager\n\ndef work(d):\n    d['k'].append(4)  # lost: appends to a copy\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = []\n        work(d)\n"
        ),
        good=(
            "from multiprocessing import Manager\n\ndef work(d):\n    d['k'] += [4]  # or store d['k'] = manager.list() and keep the append\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = []\n        work(d)\n"
        ),
        fix=FIX_SAFE,
        fix_title=("Write the value back (d[k] += [v], or value = d[k]; ...; d[k] = value) where one writer runs "
                   "at a time; under a manager lock in sight, or as a nested proxy at the init site (--fix-style "
                   "nested/auto), where other writers may run; else no fix"),
    ),
    Rule(
        code="MPP102",
        module="copies",
        summary="an item or attribute store, delete or augmented assignment into a value read from a proxy (`d[k][j] = v`, `del d[k][j]`, `d[k][j] += 1`, `ns.cfg['a'] = 1`)",
        name="store-into-proxy-copy",
        message=(
            "{action} {expr}, a copy returned by manager proxy '{proxy}'; the change is lost. {remedy}"
        ),
        why=(
            "An item or attribute store, delete or augmented assignment whose target is nested inside a value "
            "read from a proxy (d[k][j] = v, del d[k][j], ns.cfg['a'] = 1) changes a local copy only. Only the "
            "outermost level (d[k] = v, ns.attr = v) is forwarded to the manager."
        ),
        bad=(
            "from multiprocessing import Manager\n\ndef work(d):\n    d['k']['a'] = 1  # lost: stores into a copy\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = {}\n        work(d)\n"
        ),
        good=(
            "from multiprocessing import Manager\n\ndef work(d):\n    value = d['k']\n    value['a'] = 1\n    d['k'] = value\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = {}\n        work(d)\n"
        ),
        fix=FIX_SAFE,
        fix_title="Read the value into a name, change it, and store it back",
    ),
    Rule(
        code="MPP103",
        module="copies",
        summary='a name bound to a copy read from a proxy (`x = d[k]`, `for v in d.values()`, `with d[k] as x`) is mutated and never written back',
        name="alias-not-written-back",
        message=(
            "'{alias}' holds a copy of {expr} from manager proxy '{proxy}'; {alias}{change} changes only the copy "
            "and it is never written back. {remedy}"
        ),
        why=(
            "A name bound to a value read from a proxy (x = d[k], for v in d.values(), with d[k] as x) is a "
            "local copy. Mutating it and never storing it back into the proxy loses the change."
        ),
        bad=(
            "from multiprocessing import Manager\n\ndef work(d):\n    x = d['k']\n    x.append(4)  # lost: never written back\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = []\n        work(d)\n"
        ),
        good=(
            "from multiprocessing import Manager\n\ndef work(d):\n    x = d['k']\n    x.append(4)\n    d['k'] = x\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = []\n        work(d)\n"
        ),
        fix=FIX_SAFE,
        fix_title=("Store the alias back into the proxy: right after the only change, or in a finally around the "
                   "changes; under a manager lock in sight, or as a nested proxy at the init site (--fix-style "
                   "nested/auto), where other writers may run; not when the key or the proxy's name is bound "
                   "again, or the alias is changed in a nested function"),
    ),
    Rule(
        code="MPP104",
        module="nested",
        summary='`d[k] = d[k] + [...]` (or another plain value) replaces a nested proxy that the code mutates in place',
        name="nested-proxy-downgraded",
        message=(
            "{target} = ... replaces the nested proxy stored at {target} with a plain value; later changes "
            "through {target} are lost. Mutate the nested proxy in place ({target}.append(...), "
            "{target}.extend(...)) instead of storing a new value."
        ),
        why=(
            "After d[k] = manager.list(), d[k] is a proxy and d[k].append(x) reaches the manager. Storing a "
            "plain value at that key (d[k] = d[k] + [x]) replaces the nested proxy with a plain list, so every "
            "later in-place change through d[k] is lost again."
        ),
        bad=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = manager.list()\n        d['k'].append(1)\n        d['k'] = d['k'] + [2]  # d['k'] is now a plain list\n        d['k'].append(3)  # lost\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = manager.list()\n        d['k'].append(1)\n        d['k'].append(2)\n        d['k'].append(3)\n"
        ),
        fix=FIX_NONE,
        fix_title="",
    ),
    Rule(
        code="MPP105",
        module="attributes",
        summary='`ns._x = v` on a Namespace proxy: names starting with `_` stay on the local proxy',
        name="private-namespace-attr",
        message=(
            "{expr} = ... sets a name starting with '_' on Namespace proxy '{proxy}'; it stays on the local "
            "proxy object and the manager never sees it. Use a name without a leading underscore."
        ),
        why=(
            "NamespaceProxy forwards attribute assignment to the manager only for names that do not start with "
            "an underscore; ns._x = v sets an attribute on the local proxy object."
        ),
        bad=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        ns = manager.Namespace()\n        ns._count = 1  # stays local\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        ns = manager.Namespace()\n        ns.count = 1\n"
        ),
        fix=FIX_NONE,
        fix_title="",
    ),
    Rule(
        code="MPP106",
        module="attributes",
        summary='attribute assignment on a proxy of a registered class: it stays on the local proxy',
        name="autoproxy-attr-set",
        message=(
            "{expr} = ... sets an attribute on '{proxy}', a proxy of a registered class; it stays on the local "
            "proxy object and the manager never sees it. Call a method of the class that sets it."
        ),
        why=(
            "An AutoProxy forwards method calls only. Attribute assignment sets an attribute on the local proxy "
            "object; the object in the manager process is unchanged."
        ),
        bad=(
            "from multiprocessing.managers import BaseManager\n\nclass Counter:\n    def __init__(self):\n        self.value = 0\n    def set_value(self, value):\n        self.value = value\n\nclass CounterManager(BaseManager):\n    pass\n\nCounterManager.register('Counter', Counter)\n\nif __name__ == '__main__':\n    with CounterManager() as manager:\n        counter = manager.Counter()\n        counter.value = 3  # stays local\n"
        ),
        good=(
            "from multiprocessing.managers import BaseManager\n\nclass Counter:\n    def __init__(self):\n        self.value = 0\n    def set_value(self, value):\n        self.value = value\n\nclass CounterManager(BaseManager):\n    pass\n\nCounterManager.register('Counter', Counter)\n\nif __name__ == '__main__':\n    with CounterManager() as manager:\n        counter = manager.Counter()\n        counter.set_value(3)\n"
        ),
        fix=FIX_NONE,
        fix_title="",
    ),
    Rule(
        code="MPP107",
        module="unsupported",
        summary=(
            "operations the proxy type lacks on the target Python (below 3.14): `l.clear()`, `l.copy()`, "
            "`d |= x`, `d | x`, `reversed(d)`, `d.fromkeys()`, `lock.locked()`, `manager.set()`"
        ),
        name="unsupported-proxy-op",
        message=(
            "{expr} is not supported by {proxy_type} '{proxy}' before Python {since} (the target is {target}) "
            "and raises at run time. Use {replacement}."
        ),
        why=(
            "Manager proxies expose a fixed list of methods, and CPython 3.14 added to it (gh-103134 and others; "
            "3.15 adds nothing): ListProxy clear() and copy(), DictProxy |, |=, reversed() and fromkeys(), "
            "locked() on manager locks, and SyncManager.set() with its SetProxy. On older Pythons each raises "
            "(AttributeError, TypeError, or KeyError for reversed()). The rule reports them for code whose target "
            "is below 3.14: --target-version (or target-version in [tool.flake8-mpproxy]), else the lowest Python "
            "that requires-python in pyproject.toml admits, else the running interpreter. A manager.set() on such "
            "a target is reported once, where it is made; its proxy still counts as a proxy, so changes through it "
            "are not reported as changes to a copy."
        ),
        bad=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        l = manager.list([1, 2])\n        l.clear()  # AttributeError\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        l = manager.list([1, 2])\n        del l[:]\n"
        ),
        fix=FIX_SAFE,
        fix_title="Use the spelling every target supports (del l[:], d.update(x))",
    ),
    Rule(
        code="MPP201",
        module="import_time",
        summary='`Manager()`, `SyncManager().start()`, a `BaseManager` subclass `.start()`, `get_context(...).Manager()` run at import time',
        name="module-level-manager",
        message=(
            "{expr} starts a manager process at import time; under the spawn and forkserver start methods "
            "(Windows, macOS, Linux from Python 3.14) every child re-imports the module and fails or starts a "
            "manager of its own. Create it under if __name__ == \"__main__\": and pass proxies to children.{note}"
        ),
        why=(
            "spawn and forkserver children re-import the main module. A manager started at module level starts "
            "again in each child: it raises 'An attempt has been made to start a new process before the current "
            "process has finished its bootstrapping phase', or silently gives each child its own manager."
        ),
        bad=(
            "from multiprocessing import Manager\n\nmanager = Manager()  # runs again in every spawned child\nd = manager.dict()\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    manager = Manager()\n    d = manager.dict()\n"
        ),
        fix=FIX_UNSAFE,
        fix_title="Move the manager and its proxies under if __name__ == \"__main__\":",
    ),
    Rule(
        code="MPP202",
        module="child_globals",
        summary='a function run in a child process (`Process(target=...)`, `Pool.map`, `ProcessPoolExecutor.submit`, ...) reads a proxy from a module global',
        name="global-proxy-in-child",
        message=(
            "'{name}' is read from {holder} in {func}(), which runs in a child process; under spawn and "
            "forkserver the child has no such proxy (NameError) or a different one. Pass '{name}' to the child "
            "in args=(...)."
        ),
        notebook_message=(
            "'{name}' is read from {holder} in {func}(), which runs in a child process; under spawn and "
            "forkserver the child cannot load {func}() from the notebook (AttributeError on '__main__'), so "
            "nothing reaches the manager. Move {func}() into a .py module and pass '{name}' in args=(...)."
        ),
        why=(
            "A child started with spawn or forkserver re-imports the module: a proxy bound under the main guard "
            "does not exist there, and one bound at module level belongs to a new manager. Only proxies passed "
            "as arguments reach the parent's manager."
        ),
        bad=(
            "from multiprocessing import Manager\n\nfrom multiprocessing import Process\n\ndef work():\n    d['k'] = 1  # NameError under spawn\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        p = Process(target=work)\n        p.start()\n        p.join()\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nfrom multiprocessing import Process\n\ndef work(d):\n    d['k'] = 1\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        p = Process(target=work, args=(d,))\n        p.start()\n        p.join()\n"
        ),
        fix=FIX_UNSAFE,
        fix_title="Add a parameter to the child target and pass the proxy in args",
    ),
    Rule(
        code="MPP203",
        module="manager_passed",
        summary='the manager object itself passed to a child process (cannot be pickled under spawn)',
        name="manager-passed-to-child",
        message=(
            "manager '{name}' is passed to a child process; a manager cannot be pickled under spawn and "
            "forkserver (TypeError: cannot pickle 'weakref.ReferenceType'). Pass the proxies it made instead."
        ),
        why=(
            "The manager object holds a process handle and weak references; it cannot be pickled, so starting a "
            "spawn or forkserver child with it in its arguments fails. Proxies can be pickled."
        ),
        bad=(
            "from multiprocessing import Manager\n\nfrom multiprocessing import Process\n\ndef work(manager):\n    manager.dict()\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        p = Process(target=work, args=(manager,))  # cannot be pickled\n        p.start()\n        p.join()\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nfrom multiprocessing import Process\n\ndef work(d):\n    d['k'] = 1\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        p = Process(target=work, args=(d,))\n        p.start()\n        p.join()\n"
        ),
        fix=FIX_NONE,
        fix_title="",
    ),
    Rule(
        code="MPP204",
        module="after_shutdown",
        summary='a proxy used after its manager shut down: after the `with Manager() as m:` block, or after `m.shutdown()`',
        name="proxy-used-after-shutdown",
        message=(
            "'{name}' is a proxy of the manager {ended}; the manager has shut down, so using it raises "
            "BrokenPipeError or EOFError. Use it before the manager shuts down, or copy what you need first "
            "(dict({name}), list({name}))."
        ),
        why=(
            "Leaving `with Manager() as m:` shuts the manager process down. Every proxy it made then fails on "
            "use."
        ),
        bad=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = 1\n    print(d['k'])  # BrokenPipeError\n"
        ),
        good=(
            "from multiprocessing import Manager\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict()\n        d['k'] = 1\n        result = dict(d)\n    print(result['k'])\n"
        ),
        fix=FIX_NONE,
        fix_title="",
    ),
    Rule(
        code="MPP301",
        module="races",
        summary='`d[k] += 1`, `d[k] = d[k] + ...`, a write-back `d[k] = x`, or the same on a Namespace attribute (`ns.n += 1`) where other writers may run at the same time (pool workers, targets started in a loop, threads, coroutines) with no lock held (opt-in)',
        name="unlocked-read-modify-write",
        message=(
            "{expr} reads and writes manager proxy '{proxy}' in two steps with no lock held while other writers "
            "may run at the same time ({reason}); updates are lost. Hold a manager lock around it, or store a "
            "nested proxy and change it in place."
        ),
        why=(
            "d[k] += 1 is a get followed by a set: two round trips to the manager. Two writers doing it at once "
            "can both read the old value, and one update is lost. The same holds for d[k] = d[k] + [x] and for "
            "the write-back x = d[k]; x.append(v); d[k] = x, and for a Namespace attribute (ns.n += 1: a getattr "
            "and a setattr; measured, 3 processes x 2000 increments kept 3077 of 6000). Measured (4 processes x 50 "
            "appends to one key): "
            "d[k] += [i] keeps 84 to 152 of 200; a nested proxy or a manager lock keeps all 200. Writers are "
            "concurrent when the code runs as a pool or executor worker, in a target started in a loop or more "
            "than once, in a thread, in a coroutine that awaits, or beside a child that writes the same proxy; "
            "when the analysis cannot tell (a function with no caller it can follow), it assumes they are."
        ),
        bad=(
            "from multiprocessing import Manager, Process\n\ndef work(d):\n    d['n'] += 1  # two round trips: races with the other children\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict(n=0)\n        procs = [Process(target=work, args=(d,)) for _ in range(4)]\n        for p in procs:\n            p.start()\n        for p in procs:\n            p.join()\n"
        ),
        good=(
            "from multiprocessing import Manager, Process\n\ndef work(d, lock):\n    with lock:\n        d['n'] += 1\n\nif __name__ == '__main__':\n    with Manager() as manager:\n        d = manager.dict(n=0)\n        lock = manager.Lock()\n        procs = [Process(target=work, args=(d, lock)) for _ in range(4)]\n        for p in procs:\n            p.start()\n        for p in procs:\n            p.join()\n"
        ),
        fix=FIX_NONE,
        fix_title="",
        default_on=False,
    ),
)

BY_CODE: Dict[str, Rule] = {rule.code: rule for rule in RULES}

#: Codes that run unless selected explicitly (flake8 default-ignore list, command default).
DEFAULT_OFF: Tuple[str, ...] = tuple(rule.code for rule in RULES if not rule.default_on)


def rule(code: str) -> Rule:
    """Return the rule for ``code``; a KeyError names an unknown code."""
    return BY_CODE[code]
