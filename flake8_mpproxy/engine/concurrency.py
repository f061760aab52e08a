"""May other writers of a proxy run at the same time as this code? (DESIGN §4.1)

The reassign form and the write-back are a read-modify-write: exact for one writer, a lost-update race when
another process, thread or coroutine writes the same proxy between the read and the write. The fixer may only
use them where this module answers "no"; when it cannot tell, the answer is "yes".

The answer comes from facts the walker collected over the whole module:

- each function's call sites and how they run it (direct, process, pool, thread, thread pool), and whether a
  call site sits in a loop or comprehension (a target started there runs several times at once);
- the unit (function, or ``None`` for the module body) of each call site, so a function called directly
  inherits the contexts of its callers;
- every write to a proxy (plain stores, changes of the proxy itself, and each change of a copy, which the fix
  would turn into a write), with its unit and whether it happens before the unit starts any child.

A *context* is where code runs: the parent (``PARENT``), or one child start (the call that starts it). Two
writes race when they may run in different contexts at once; a context races with itself when it is a pool
worker, a target started in a loop or from several call sites, a coroutine that awaits, a generator, or a
function with no call site in the file (it may be anything elsewhere).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple

Unit = Optional[ast.AST]  # a function node, or None for the module body

PARENT = ("parent",)
UNKNOWN = ("unknown",)
CHILD_HOWS = frozenset({"process", "pool", "partial-process", "partial-pool", "thread", "thread-pool",
                        "initializer", "partial-initializer"})
#: Ways of running a function that run it several times at once by themselves.
POOLED_HOWS = frozenset({"pool", "partial-pool", "thread-pool", "initializer", "partial-initializer"})
#: How a pool runs its ``initializer``: in every worker process, before the tasks (its globals are the worker's).
INITIALIZER_HOWS = frozenset({"initializer", "partial-initializer"})


class CallsBefore:
    """The first ``count`` functions a unit called directly, as a view of the unit's growing list: taken at
    every direct call and write, so a copy each time would cost the square of a long function's calls."""

    __slots__ = ("callees", "count")

    def __init__(self, callees: List[ast.AST], count: int) -> None:
        self.callees = callees
        self.count = count

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CallsBefore) and other.callees is self.callees and other.count == self.count

    def __hash__(self) -> int:
        return hash((id(self.callees), self.count))

    def __iter__(self) -> Iterator[ast.AST]:
        return iter(self.callees[:self.count])


NO_CALLS = CallsBefore([], 0)


@dataclass(frozen=True)
class Write:
    """A write to a proxy: where it runs, and whether its unit has started no child yet when it happens."""

    proxy: object
    unit: Unit
    early: bool
    #: The manager lock proxies held around it, and those in sight there (a fix may wrap it in one of them).
    held: Tuple[object, ...] = ()
    visible: Tuple[object, ...] = ()
    #: For an early write: the functions its unit called directly before it (if one of them starts a child,
    #: known only when the walk is over, the write is not early after all).
    calls_before: CallsBefore = NO_CALLS


class WriterProfile:
    """Writes of one proxy that race in the same contexts, holding and seeing the same locks. Of its writes it
    keeps the first two distinct ones, and the first writes of two distinct units, with their places among
    the proxy's writes: enough to find the first one that is not the write being asked about."""

    def __init__(self, contexts: Tuple[Tuple[object, ...], ...], held: Tuple[object, ...],
                 visible: Tuple[object, ...]) -> None:
        self.contexts = contexts
        self.held = held
        self.visible = visible
        self.first_writes: List[Tuple[int, Write]] = []
        self.first_units: List[Tuple[int, Unit]] = []

    def add(self, index: int, write: Write) -> None:
        if len(self.first_writes) < 2 and all(write != known for _, known in self.first_writes):
            self.first_writes.append((index, write))
        if len(self.first_units) < 2 and all(write.unit is not known for _, known in self.first_units):
            self.first_units.append((index, write.unit))

    def first_other(self, write: Write, wrapped: bool) -> Optional[int]:
        """The place of the first write here other than ``write`` (other than those of its own unit, when the
        fix wraps every change of that unit in the same lock), or None."""
        if wrapped:
            return next((index for index, unit in self.first_units if unit is not write.unit), None)
        return next((index for index, known in self.first_writes if known != write), None)


class Concurrency:
    """Answers :meth:`why` for the writes of one module once the walk is over."""

    def __init__(self, calls: Dict[ast.AST, Dict[ast.Call, str]], call_units: Dict[ast.Call, Unit],
                 repeated: Set[ast.Call], writes: Iterable[Write],
                 opaque: Optional[Dict[ast.AST, Unit]] = None,
                 made_in: Optional[Dict[ast.AST, Tuple[Unit, bool]]] = None,
                 early_calls: Optional[Dict[ast.Call, CallsBefore]] = None,
                 child_starters: Iterable[Unit] = ()) -> None:
        #: direct calls made before their unit started a child, outside loops -> the functions it called before
        self.early_calls: Dict[ast.Call, CallsBefore] = dict(early_calls or {})
        self._first_starter: Dict[int, int] = {}
        self._lists: List[List[ast.AST]] = []
        self._first: Dict[Unit, bool] = {}
        self.calls = calls
        self.opaque: Dict[ast.AST, Unit] = dict(opaque or {})
        self.made_in: Dict[ast.AST, Tuple[Unit, bool]] = dict(made_in or {})

        self.call_units = call_units
        self.repeated = repeated
        self.writes: Dict[int, List[Write]] = {}
        for write in writes:
            self.writes.setdefault(id(write.proxy), []).append(write)
        self.starters = self._starters(set(child_starters))
        self._contexts: Dict[Unit, FrozenSet[Tuple[object, ...]]] = {}
        self._ordered: Dict[Unit, List[Tuple[object, ...]]] = {}
        self._profiles: Dict[int, List[WriterProfile]] = {}
        self._repeats: Dict[Unit, bool] = {}
        #: Per unit: does it suspend (await, yield)? Asked for every finding in it: one scan of its body.
        self._suspends: Dict[Unit, Tuple[bool, bool]] = {}

    # --- contexts ---------------------------------------------------------------------------------------------

    def contexts(self, unit: Unit) -> FrozenSet[Tuple[object, ...]]:
        """Where ``unit`` may run: PARENT, UNKNOWN, or ``(how, call)`` per child start that reaches it."""
        if unit in self._contexts:
            return self._contexts[unit]
        self._contexts[unit] = frozenset()  # a cycle adds nothing new
        found: Set[Tuple[object, ...]] = set()
        if unit is None:
            found.add(PARENT)
        else:
            sites = self.calls.get(unit, {})
            if not sites:
                found.add(UNKNOWN)
            for call, how in sites.items():
                if how in CHILD_HOWS:
                    found.add((how, call))
                else:
                    found |= self.contexts(self.call_units.get(call))
        result = frozenset(found)
        self._contexts[unit] = result
        return result

    def _starters(self, found: Set[Unit]) -> Set[Unit]:
        """The units that start a child when they run: those that start one themselves (``found``), and those
        that call one of them directly (transitively). Worked out once the walk is over, so that no unit is
        walked again only to learn that a function it called starts children."""
        grew = True
        while grew:
            grew = False
            for callee, sites in self.calls.items():
                if callee not in found:
                    continue
                for call, how in sites.items():
                    if how == "direct" and call in self.call_units and self.call_units[call] not in found:
                        found.add(self.call_units[call])
                        grew = True
        return found

    def early(self, write: Write) -> bool:
        """``write`` runs before its unit has started any child (directly, or in a function it called)."""
        return write.early and not self.starts_before(write.calls_before)

    def starts_before(self, calls: CallsBefore) -> bool:
        """Does one of the functions called before start a child? The first such callee of each list is found
        once (the starters are known by now), so each question costs nothing more."""
        first = self._first_starter.get(id(calls.callees))
        if first is None:
            first = next((i for i, callee in enumerate(calls.callees) if callee in self.starters),
                         len(calls.callees))
            self._first_starter[id(calls.callees)] = first
            self._lists.append(calls.callees)  # (kept alive: its id stays its own)
        return first < calls.count

    def runs_repeatedly(self, unit: Unit) -> bool:
        """May ``unit`` run more than once (in turn or at once)? A child started from it is then started several
        times: a helper that starts one Process, called in a loop, starts several copies of the target. The
        module body runs once; a function nobody in the file calls may be called any number of times."""
        if unit is None:
            return False
        if unit in self._repeats:
            return self._repeats[unit]
        self._repeats[unit] = True  # a cycle (recursion) repeats
        sites = self.calls.get(unit, {})
        result = not sites or len(sites) > 1 or any(
            how in POOLED_HOWS or call in self.repeated or self.runs_repeatedly(self.call_units.get(call))
            for call, how in sites.items())
        self._repeats[unit] = result
        return result

    def self_concurrent(self, unit: Unit) -> Optional[str]:
        """Why ``unit`` may run several times at once, or None."""
        awaits, yields = self.suspension(unit)
        if awaits and isinstance(unit, ast.AsyncFunctionDef):
            return f"coroutine '{unit.name}' awaits, so another task may write between the read and the write"
        if yields:
            return f"generator '{name_of(unit)}' yields, so other code may write between the read and the write"
        contexts = self.contexts(unit)
        if UNKNOWN in contexts:
            return (f"'{name_of(unit)}' has no caller the analysis can follow, so it may run in several "
                    "processes at once")
        starts = [context for context in in_source_order(contexts) if context != PARENT]
        for how, call in starts:
            if how in POOLED_HOWS:
                return f"'{name_of(unit)}' runs as a pool worker, in several processes or threads at once"
            if call in self.repeated:
                return f"'{name_of(unit)}' is started in a loop, so several copies of it run at once"
            starter = self.call_units.get(call) if isinstance(call, ast.Call) else None
            if self.runs_repeatedly(starter):
                return (f"'{name_of(unit)}' is started by '{name_of(starter)}', which may run more than once, "
                        "so several copies of it may run at once")
        if len(starts) > 1:
            return f"'{name_of(unit)}' is started more than once, so several copies of it run at once"
        if starts and PARENT in contexts:
            return f"'{name_of(unit)}' runs both in a child and in the parent, possibly at the same time"
        return None

    def suspension(self, unit: Unit) -> Tuple[bool, bool]:
        """(a coroutine that awaits or yields, a generator) for ``unit``: one scan of its body per analysis."""
        found = self._suspends.get(unit)
        if found is None:
            awaits = isinstance(unit, ast.AsyncFunctionDef) and suspends(unit)
            yields = unit is not None and not isinstance(unit, ast.Lambda) and is_generator(unit)
            found = self._suspends[unit] = (awaits, yields)
        return found

    # --- locks --------------------------------------------------------------------------------------------------

    def excludes(self, lock: object) -> bool:
        """Is ``lock`` (a manager lock proxy) one object for every holder? Not when the code that makes it runs
        more than once (in a loop or comprehension, or in a function that runs several times: one lock per
        worker excludes nobody), nor when a parameter receives it or another lock."""
        if getattr(lock, "ambiguous", False):
            return False
        site = getattr(lock, "site", None)
        if getattr(lock, "origin", ""):
            return True  # made in another module: that module's analysis judged where it is made
        if site not in self.made_in:
            return False
        unit, in_loop = self.made_in[site]
        return not in_loop and not self.runs_repeatedly(unit)

    def exclusive(self, write: Write) -> Tuple[object, ...]:
        """The manager locks held around ``write`` that exclude every other holder."""
        return tuple(lock for lock in write.held if self.excludes(lock))

    # --- the question ---------------------------------------------------------------------------------------

    def why(self, write: Write, lock: Optional[object] = None) -> Optional[str]:
        """Why another writer of ``write.proxy`` may run while ``write`` reads and writes back, or None.

        The manager locks held around ``write`` (or ``lock``, which a fix would hold) that exclude every other
        holder make the write exclusive with every write that holds one of them too (or has ``lock`` in sight,
        where the same fix wraps it)."""
        if self.opaque and not (self.early(write) and self.runs_before_children(write.unit)):
            node = min(self.opaque, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
            return (f"concurrent code starts at line {getattr(node, 'lineno', '?')} that this analysis cannot "
                    "follow (os.fork() or a target it does not know), so other writers may run at the same time")
        locks = (lock,) if lock is not None else self.exclusive(write)
        if locks:
            if lock is not None and not self.excludes(lock):
                return "the lock in sight is not one object for every writer (it is made once per worker)"
            return self._other_writer(write, locks)
        if write.held:
            reason = self.self_concurrent(write.unit)
            if reason is not None:
                return (f"{reason}, and the manager lock held is not one object for every writer (it is made "
                        "more than once, or a parameter receives several locks)")
        reason = self.self_concurrent(write.unit)
        if reason is not None:
            return reason
        return self._other_writer(write, ())

    def _other_writer(self, write: Write, locks: Tuple[object, ...]) -> Optional[str]:
        mine = [context for context in self.ordered_contexts(write.unit)
                if not self._before_children(write, context)]
        if not mine:
            return None
        candidates: List[Tuple[int, WriterProfile]] = []
        for profile in self.profiles(write.proxy):
            if any(held is lock for lock in locks for held in profile.held):
                continue
            wrapped = len(locks) == 1 and write.held == () and any(seen is locks[0] for seen in profile.visible)
            first = profile.first_other(write, wrapped)  # (None: only ``write``, or what the fix wraps too)
            if first is not None:
                candidates.append((first, profile))
        for _, profile in sorted(candidates, key=lambda item: item[0]):  # the writes' order decides the message
            for context in mine:
                for theirs in profile.contexts:
                    if context != theirs:
                        return (f"the proxy is also written in {describe(theirs)} while {describe(context)} "
                                "writes it")
        return None

    def ordered_contexts(self, unit: Unit) -> List[Tuple[object, ...]]:
        """:meth:`contexts` in source order, once per unit."""
        if unit not in self._ordered:
            self._ordered[unit] = in_source_order(self.contexts(unit))
        return self._ordered[unit]

    def profiles(self, proxy: object) -> List["WriterProfile"]:
        """The writes of ``proxy`` grouped by what :meth:`_other_writer` asks of them (the contexts where they
        may race, the locks held and in sight): a file with thousands of writes to one proxy has a handful of
        profiles, so asking for each write is linear, not quadratic."""
        key = id(proxy)
        if key not in self._profiles:
            groups: Dict[Tuple[object, ...], WriterProfile] = {}
            for index, other in enumerate(self.writes.get(key, [])):
                racing = tuple(context for context in self.ordered_contexts(other.unit)
                               if not self._before_children(other, context))
                if not racing:
                    continue
                shape = (racing, tuple(id(lock) for lock in other.held), tuple(id(lock) for lock in other.visible))
                profile = groups.get(shape)
                if profile is None:
                    profile = groups[shape] = WriterProfile(racing, other.held, other.visible)
                profile.add(index, other)
            self._profiles[key] = list(groups.values())
        return self._profiles[key]

    def _before_children(self, write: Write, context: Tuple[object, ...]) -> bool:
        """A parent write that happens before its unit starts any child cannot race with a child."""
        return context == PARENT and self.early(write) and self.runs_before_children(write.unit)

    def runs_before_children(self, unit: Unit) -> bool:
        """Does every run of ``unit`` start before any child has been started? The module body does; a function
        does when each of its call sites is a direct call made before its own unit started a child (outside
        loops), in a unit that does too. (A unit that starts children itself is then early up to its first
        start: ``Write.early``.)"""
        if unit is None:
            return True
        if unit in self._first:
            return self._first[unit]
        self._first[unit] = False  # (recursion: not known to come first)
        sites = self.calls.get(unit, {})
        result = bool(sites) and all(
            how == "direct" and call in self.early_calls
            and not self.starts_before(self.early_calls[call])
            and self.runs_before_children(self.call_units.get(call)) for call, how in sites.items())
        self._first[unit] = result
        return result


# --- pure syntax questions --------------------------------------------------------------------------------------

def own_nodes(func: ast.AST) -> Iterable[ast.AST]:
    """The nodes of ``func``'s body, not those of functions, lambdas or classes defined inside it."""
    stack = list(getattr(func, "body", []))
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)


def suspends(func: ast.AST) -> bool:
    return any(isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Yield, ast.YieldFrom))
               for node in own_nodes(func))


def is_generator(func: ast.AST) -> bool:
    return any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in own_nodes(func))


def in_source_order(contexts: FrozenSet[Tuple[object, ...]]) -> List[Tuple[object, ...]]:
    """The parent, then code called from outside, then child starts by their place in the file: the reason a
    finding gives must not depend on the order of a set of nodes (hashed by address, different at each run)."""
    def key(context: Tuple[object, ...]) -> Tuple[int, int, int, str]:
        if context == PARENT:
            return (0, 0, 0, "")
        if context == UNKNOWN:
            return (1, 0, 0, "")
        how, call = context
        return (2, getattr(call, "lineno", 0), getattr(call, "col_offset", 0), str(how))
    return sorted(contexts, key=key)


def describe(context: Tuple[object, ...]) -> str:
    if context == PARENT:
        return "the parent process"
    if context == UNKNOWN:
        return "code called from outside this file"
    how, call = context
    kind = "a thread" if str(how).startswith("thread") else "a child process"
    line = getattr(call, "lineno", None)
    return f"{kind} (started at line {line})" if line else f"{kind} (started by another module)"


def name_of(unit: Unit) -> str:
    return "<module>" if unit is None else getattr(unit, "name", "<lambda>")
