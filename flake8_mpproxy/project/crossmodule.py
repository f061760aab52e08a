"""The project solver: facts that cross modules, computed once per project root (:mod:`.context` keeps it).

Facts can only start in a module that passes the textual prefilter (a *seed*): only there can a manager or a
proxy be made. So the solver scans the project once (:mod:`projectscan`: one read per file, a small record
each), analyses the seeds, and follows what they pass (calls of other modules' functions with proxies) and
export (module globals, returned proxies and copies, class attributes) to the project modules that receive
it, loading those on demand: a module that never mentions multiprocessing can still receive a proxy. A
module is analysed again only when what it receives grows (incoming calls, or the exports of the modules it
imports); a worklist drives it, under a budget (:data:`MAX_ANALYSES`) that, when hit, the front ends report
as one warning line per affected file instead of going quiet.

What is kept per module is its :class:`summaries.ModuleSummary` (calls out, exports): never an AST, so memory
is bounded by the summaries. Checked files then get their :class:`Links` from the solved state; a file that is
neither a seed nor reached by any fact costs nothing beyond the prefilter.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import replace
from typing import Deque, Dict, FrozenSet, List, Optional, Set, Tuple

from . import cache
from ..model.config import Settings
from ..rules import analyse
from ..engine.links import Links
from ..engine.walker import InferenceResult
from ..engine.registries import MAPPING_STORE, container_names, function_tables, may_register, name_keyed, \
    registrars, registrations, table_names
from ..engine.summaries import ATTRIBUTE, EITHER, FUNCTION, GLOBAL, MAPPING, OPAQUE, OPAQUE_KEY, SEQUENCE, \
    CallSummary, Effect, Export, ModuleSummary, ProxyFact
from ..engine.walker import mutator_methods, record_classes
from ..engine.parameters import changed_parameters
from .scan import ProjectIndex
from ..model.source import SourceError, decode, parse

#: The kind of the result-cache entries holding a module's :class:`ModuleSummary`.
SUMMARIES_KIND = "summaries"
#: What a module receives: calls into it, whether an unanalysed module imports it, imported exports and
#: effects (what calling an imported module's functions does to the proxies passed to them), and what other
#: modules store into its own classes and globals (:meth:`ProjectSolver.remote_in`).
Inputs = Tuple[FrozenSet[Tuple[str, CallSummary]], bool,
               Tuple[Tuple[str, Tuple[Export, ...], Tuple[Effect, ...]], ...], Tuple[Export, ...]]

#: Module analyses one project solve may take: a base, plus this many per seed. Each analysis of a module
#: follows a growth of what it receives, so real projects stay far below it.
BASE_ANALYSES = 200
ANALYSES_PER_SEED = 6


#: Words a module that defines a record class holds (``@dataclass``, ``attrs.define``, ``NamedTuple``).
RECORD_MARKERS = (b"dataclass", b"NamedTuple", b"@attr", b"attrs", b"import attr")


#: What the registry questions read of a module: (parsed, its registrars, its dispatch tables).
RegistrySource = Tuple[bool, Dict[str, Dict[str, str]], Dict[str, Tuple[str, Tuple[Tuple[str, str], ...]]],
                       FrozenSet[str]]


#: A class statement at the top level of a module (what :meth:`ProjectSolver.is_class` asks, without a parse).
TOP_LEVEL_CLASS = re.compile(rb"^class[ \t]+([A-Za-z_]\w*)", re.M)


class ProjectSolver:
    """The solved project: per module, its summary and the calls other modules make into it."""

    def __init__(self, index: ProjectIndex, settings: Settings, budget: Optional[int] = None,
                 store: Optional[cache.Cache] = None) -> None:
        self.index = index
        self.settings = settings
        #: The result cache module summaries are kept in between runs (None: ``--no-cache``, loose files).
        self.store = store
        self._settings_key = cache.settings_digest(settings)
        self.summaries: Dict[str, ModuleSummary] = {}
        self.incoming: Dict[str, Dict[str, Set[CallSummary]]] = {}
        #: What each module received when it was last analysed (it is analysed again only when this grows).
        self.inputs_seen: Dict[str, Inputs] = {}
        self.analyses = 0
        self.fixed_budget = budget
        self.stopped = False
        #: The parts (:meth:`ProjectIndex.component`) whose solve the budget stopped: any module in them may
        #: miss facts, reached or not.
        self.stopped_parts: Set[int] = set()
        self._mutators: Dict[str, FrozenSet[str]] = {}
        self._changes: Dict[str, Dict[str, FrozenSet[int]]] = {}
        self._classes: Dict[str, FrozenSet[str]] = {}
        #: The parts whose solve a bug of ours stopped, with the error (asked again, they raise it again).
        self._failed: Dict[int, Exception] = {}
        self._records: Dict[str, Dict[str, Tuple[Tuple[str, ...], bool]]] = {}
        #: Registries (:mod:`engine.registries`): per module its registrars and its registrations (parsed on
        #: demand), and per (module, container) the export its members make.
        self._texts: Dict[str, Tuple[FrozenSet[str], bool, FrozenSet[str]]] = {}
        self._registry_sources: Dict[str, RegistrySource] = {}
        self._registrations: Dict[str, List[Tuple[str, str]]] = {}
        self._registering: Dict[str, List[str]] = {}
        self._registries: Dict[Tuple[str, str], Optional[Export]] = {}
        self._solved: Set[int] = set()
        #: Modules analysed although they receive no fact: they import a module that reads an imported proxy
        #: global, and whether they start its functions as children decides MPP202 there.
        self.context_needed: Set[str] = set()
        #: The findings of each module's latest analysis (small frozen values, no AST), with the inputs it
        #: had: a checked file whose inputs are still those is not analysed a second time.
        self.results: Dict[str, Tuple[Inputs, InferenceResult]] = {}
        #: Remote exports (:attr:`ModuleSummary.remote`) resolved: per defining module, per storing module,
        #: the exports it adds (``Registry.shared``, origin kept) to those of the defining module.
        self.remote: Dict[str, Dict[str, Tuple[Export, ...]]] = {}

    def renewed(self, index: ProjectIndex, changed: str) -> "ProjectSolver":
        """A solver of ``index`` (this one's, with the text of ``changed`` new): nothing solved yet, but what
        was read of each other module's own text (registrars, records, mutators) is kept."""
        fresh = ProjectSolver(index, self.settings, self.fixed_budget, self.store)
        fresh._mutators = {path: found for path, found in self._mutators.items() if path != changed}
        fresh._changes = {path: found for path, found in self._changes.items() if path != changed}
        fresh._classes = {path: found for path, found in self._classes.items() if path != changed}
        fresh._records = {path: found for path, found in self._records.items() if path != changed}
        fresh._texts = {path: found for path, found in self._texts.items() if path != changed}
        fresh._registry_sources = {path: found for path, found in self._registry_sources.items()
                                   if path != changed}
        fresh._registrations = {path: found for path, found in self._registrations.items() if path != changed}
        return fresh

    def ensure(self, path: str) -> None:
        """Solve the part of the project ``path`` is in (:meth:`ProjectIndex.component`), once."""
        component = self.index.component(path)
        failed = self._failed.get(component)
        if failed is not None:  # (a bug of ours stopped this part's solve: every file in it says so, not one)
            raise failed
        if component in self._solved:
            return
        self._solved.add(component)
        seeds = self.index.seeds_of(component) if component >= 0 else []
        budget = self.fixed_budget if self.fixed_budget is not None else \
            BASE_ANALYSES + ANALYSES_PER_SEED * len(seeds)
        try:
            self.solve(seeds, self.analyses + budget)
        except Exception as err:
            self._failed[component] = err
            raise
        if self.stopped:
            self.stopped_parts.add(component)

    # --- the worklist ----------------------------------------------------------------------------------------

    def solve(self, seeds: List[str], limit: int) -> None:
        queue: Deque[str] = deque(seeds)
        queued: Set[str] = set(seeds)
        while queue:
            path = queue.popleft()
            queued.discard(path)
            if self.analyses >= limit:
                self.stopped = True
                return
            for candidate in self.analyse(path):
                if candidate not in queued and self.wants_analysis(candidate):
                    queued.add(candidate)
                    queue.append(candidate)

    def wants_analysis(self, path: str) -> bool:
        """Is ``path`` involved (a seed, analysed, or given a proxy), and has what it receives changed?"""
        involved = path in self.summaries or self.index.is_seed(path) or path in self.context_needed or \
            self.receives_facts(path)
        return involved and self.inputs(path) != self.inputs_seen.get(path)

    def analyse(self, path: str) -> List[str]:
        """Analyse one module with what it receives now; return the modules its summary may change."""
        self.analyses += 1
        self.inputs_seen[path] = self.inputs(path)
        old = self.summaries.get(path)
        summary = self.summarise(path)
        if old is not None and not set(old.effects) <= set(summary.effects):
            # Effects only grow, like the calls a module receives: once a caller's fact carries the nested
            # proxy a function stores, the function's walk sees no new store (the slot is there already)
            summary = replace(summary, effects=tuple(sorted(set(old.effects) | set(summary.effects), key=repr)))
        self.summaries[path] = summary
        candidates: List[str] = []
        for call in summary.outgoing:
            hit = self.index.resolve_call(call.target, path)
            if hit is None or hit[0] == path:
                continue
            calls = self.incoming.setdefault(hit[0], {}).setdefault(hit[1], set())
            if call not in calls:
                calls.add(call)
                candidates.append(hit[0])
        candidates.extend(self.place_remote(path, summary))
        if summary.exports != (old.exports if old is not None else ()) or \
                summary.effects != (old.effects if old is not None else ()):  # (a first summary exporting
            # nothing changes no importer's inputs: analysing them again would give the same result)
            candidates.extend(self.index.readers_of(path))
        if old is None and not self.index.is_seed(path) and self.imports_exports(path):
            new = [user for user in self.index.importers_of(path) if user not in self.summaries]
            self.context_needed.update(new)
            candidates.extend(new)
        if old is None:  # modules it imports no longer count it as an opaque (unanalysed) importer
            candidates.extend(q for q in self.index.imports_of(path) if q in self.summaries)
        return candidates

    def place_remote(self, path: str, summary: ModuleSummary) -> List[str]:
        """Merge ``path``'s remote exports into the exports of the modules defining what they store into;
        return each module whose received facts changed (its own code reads the proxy now: analysed again)
        and its importers (they read the proxy now)."""
        placed: Dict[str, List[Export]] = {}
        for export in summary.remote:
            hit = self.index.resolve_call(export.name, path)
            if hit is None or hit[0] == path or not hit[1]:
                continue
            role = ATTRIBUTE if "." in hit[1] else GLOBAL
            placed.setdefault(hit[0], []).append(Export(hit[1], role, export.fact, child_bound=export.child_bound))
        candidates: List[str] = []
        for target in set(placed) | {t for t, by in self.remote.items() if path in by}:
            new = tuple(sorted(set(placed.get(target, ())), key=repr))
            by = self.remote.setdefault(target, {})
            if by.get(path, ()) != new:
                if new:
                    by[path] = new
                else:
                    by.pop(path, None)
                candidates.append(target)
                candidates.extend(self.index.importers_of(target))
        return candidates

    def remote_in(self, path: str) -> Tuple[Export, ...]:
        """What other modules store into ``path``'s own classes and globals (``Registry.shared`` ATTRIBUTE,
        ``SHARED`` GLOBAL, origins kept), in a fixed order: facts ``path``'s own analysis receives."""
        by = self.remote.get(path)
        return tuple(export for source in sorted(by) for export in by[source]) if by else ()

    def exports_of(self, path: str) -> Tuple[Export, ...]:
        """What ``path`` exports: its own summary's exports, then what other modules store into its classes
        and globals (remote exports, in a fixed order)."""
        own = self.summaries[path].exports if path in self.summaries else ()
        remote = self.remote_in(path)
        if not remote:
            return own
        bound = {(export.name, export.fact) for export in remote if export.child_bound}
        if bound:  # (the module's own global holds what a pool initializer elsewhere stored: the child's own)
            own = tuple(replace(export, child_bound=True) if (export.name, export.fact) in bound else export
                        for export in own)
        return own + tuple(export for export in remote if export not in own)

    def summarise(self, path: str) -> ModuleSummary:
        """The summary of ``path`` with what it receives now: from the result cache when this content got
        these inputs before (no read, no parse), else :meth:`analyse_module`, whose summary is then stored."""
        self.results.pop(path, None)
        if self.store is None:
            return self.analyse_module(path)
        key = (self._settings_key, self.received(path), self.index.records[path].digest)
        hit = self.store.load(SUMMARIES_KIND, path, *key)
        if hit is not None:
            try:
                return ModuleSummary.from_json(hit)
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                cache.warn(str(self.store.entry_path(SUMMARIES_KIND, path, *key[:2])),
                           f"ignoring unreadable cache entry ({type(err).__name__}: {err})")
        summary = self.analyse_module(path)
        self.store.store(SUMMARIES_KIND, path, *key, summary.to_json())
        return summary

    def analyse_module(self, path: str) -> ModuleSummary:
        """Read, parse and analyse ``path`` for facts (its own errors are its own check's business)."""
        try:
            tree = parse(decode(path, self.index.overlay.read_bytes(path)))
            links = self.links(path)
            result = analyse(tree, self.settings.enabled_codes(), self.settings.manager_factories,
                             self.settings.target_version, links=links)
        except (OSError, SourceError, RecursionError):
            return ModuleSummary(self.index.relative(path))
        self.results[path] = (self.inputs_seen[path], result)
        return links.summary()

    def inputs(self, path: str) -> "Inputs":
        """What ``path`` receives: incoming calls, whether an unanalysed importer may call it, and the
        exports of the project modules it imports."""
        calls = frozenset((name, call) for name, found in self.incoming.get(path, {}).items() for call in found)
        exports = tuple((q, self.exports_of(q), self.summaries[q].effects if q in self.summaries else ())
                        for q in self.index.sources_of(path)
                        if self.exports_of(q) or (q in self.summaries and self.summaries[q].effects))
        return calls, self.opaque(path), exports, self.remote_in(path)

    def received(self, path: str) -> str:
        """A digest of everything ``path``'s analysis takes from other modules: :meth:`inputs`, plus the
        content of the project modules it imports (``import *`` names and mutator classes are read from
        them). A module's summary and a checked file's findings are cached under it, so a changed caller
        (or imported module) invalidates the callee's entries."""
        calls, opaque, exports, remote = self.inputs(path)
        imported = tuple((self.index.relative(q), self.index.records[q].digest)
                         for q in self.index.sources_of(path))
        imported += tuple((self.index.relative(q), self.index.records[q].digest)
                          for q in self.registering_modules(path) if q in self.index.records)
        return cache.digest((sorted(repr(call) for call in calls), opaque, repr(exports), imported, repr(remote)))

    def receives_facts(self, path: str) -> bool:
        """Does another module pass ``path`` a proxy, store one into its classes or globals, or does it import
        one from a project module?"""
        if any(call.carries_proxy() for found in self.incoming.get(path, {}).values() for call in found):
            return True
        if self.remote.get(path):
            return True
        return self.imports_exports(path)

    def imports_exports(self, path: str) -> bool:
        """Does ``path`` import a proxy or manager another project module exports (itself, or re-exported by
        the module it imports: a package's ``__init__``)?"""
        return any(self.exports_of(q) for q in self.index.sources_of(path))

    def opaque(self, path: str) -> bool:
        """Does a module that was not analysed import ``path`` (then its functions may be called from
        anywhere: their contexts are unknown)?"""
        return any(importer not in self.summaries for importer in self.index.importers_of(path))

    # --- what a checked file gets ----------------------------------------------------------------------------

    def involved(self, path: str) -> bool:
        """Was ``path`` analysed for facts (a seed, or reached by one): then it must be checked."""
        self.ensure(path)
        return path in self.summaries and (self.index.is_seed(path) or self.receives_facts(path))

    def reusable(self, path: str) -> Optional[InferenceResult]:
        """The solver's own analysis of ``path`` when what it receives has not changed since (the checked
        file's content must be what the scan read: the caller's business)."""
        self.ensure(path)
        found = self.results.get(path)
        return found[1] if found is not None and not self.stopped and found[0] == self.inputs(path) else None

    def links(self, path: str) -> Links:
        """The :class:`Links` to analyse ``path`` with: calls into it, imported facts, ``import *`` names."""
        self.ensure(path)
        incoming = {name: sorted(found, key=repr) for name, found in self.incoming.get(path, {}).items()}
        if self.opaque(path):
            incoming[OPAQUE_KEY] = [OPAQUE]
        index = self.index

        def lookup(qualname: str) -> Optional[Export]:
            hit = index.resolve_call(qualname, path)
            if hit is None:
                return None
            found = next((export for export in self.exports_of(hit[0]) if export.name == hit[1]), None)
            return found if found is not None or hit[0] == path else self.registry(hit[0], hit[1])

        def effects(qualname: str) -> Tuple[Effect, ...]:
            hit = index.resolve_call(qualname, path)
            summary = self.summaries.get(hit[0]) if hit is not None and hit[0] != path else None
            if summary is None or hit is None:
                return ()
            return tuple(effect for effect in summary.effects if effect.function == hit[1])

        def records(qualname: str) -> Optional[Tuple[Tuple[str, ...], bool]]:
            hit = index.resolve_call(qualname, path)
            return self.records_of(hit[0]).get(hit[1]) if hit is not None and hit[0] != path else None

        return Links(incoming, star=lambda module: index.public_names(module, path), here=index.relative(path),
                     lookup=lookup, mutators=lambda: self.imported_mutators(path), effects=effects,
                     remote=self.remote_in(path), records=records,
                     registry=lambda name: self.own_registry(path, name),
                     function_named=lambda qualname: self.function_named(qualname, path),
                     changes=lambda qualname: self.changed_arguments(qualname, path),
                     is_class=lambda qualname: self.is_class(qualname, path))

    def function_named(self, qualname: str, path: str) -> Optional[str]:
        """``relative/path.py:name`` when ``qualname``, imported in ``path``, is a top-level name of another
        project module (``jobs.add_tag``): a callback ``path`` hands on is a call into that module."""
        hit = self.index.resolve_call(qualname, path)
        if hit is None or hit[0] == path or "." in hit[1] or not hit[1].isidentifier():
            return None
        return f"{self.index.relative(hit[0])}:{hit[1]}"

    def is_class(self, qualname: str, path: str) -> bool:
        """Is ``qualname`` (imported in ``path``) a top-level class of another project module? (Its text is
        asked, nothing parsed.)"""
        hit = self.index.resolve_call(qualname, path)
        if hit is None or hit[0] == path or not hit[1].isidentifier():
            return False
        return hit[1] in self.classes_of(hit[0])

    def classes_of(self, path: str) -> FrozenSet[str]:
        """The names of ``path``'s top-level classes, read from its text once."""
        if path not in self._classes:
            try:
                raw = self.index.overlay.read_bytes(path)
            except OSError:
                raw = b""
            self._classes[path] = frozenset(name.decode() for name in TOP_LEVEL_CLASS.findall(raw))
        return self._classes[path]

    def changed_arguments(self, qualname: str, path: str) -> FrozenSet[int]:
        """:meth:`Links.changed_arguments`: the function ``qualname`` (imported in ``path``) resolved, its
        module read once for :func:`parameters.changed_parameters`."""
        hit = self.index.resolve_call(qualname, path)
        if hit is None or hit[0] == path:
            return frozenset()
        if hit[0] not in self._changes:
            try:
                self._changes[hit[0]] = changed_parameters(ast.parse(self.index.overlay.read_bytes(hit[0])))
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                self._changes[hit[0]] = {}
        return self._changes[hit[0]].get(hit[1], frozenset())

    # --- registries: containers other modules' functions are put into, then looked up and run ---------------

    def registry(self, path: str, name: str) -> Optional[Export]:
        """The module-level container ``name`` of ``path`` as a registry (:mod:`engine.registries`): a global
        whose values are the project's functions its registrars put there (``@worker("collect")`` in any
        module) or that its display names (a dispatch table), so that code reading ``WORKERS[key]`` calls or
        starts any of them; None for anything else (most names: decided from the text, nothing parsed)."""
        key = (path, name)
        if key not in self._registries:
            names, may, tables = self.sources(path)
            self._registries[key] = self._registry(path, name, tables=name in tables) \
                if name in tables or (may and name in names) else None
        return self._registries[key]

    def own_registry(self, path: str, name: str) -> Optional[Export]:
        """What other modules register into ``path``'s own container ``name`` (its analysis sees its own
        registrations and dispatch tables itself); parsed only when its text may define a registrar."""
        names, may, _ = self.sources(path)
        if not may or name not in names or not any(user != path for user in self.index.readers_of(path)):
            return None  # (no other module imports it: nobody else registers anything there)
        return self._registry(path, name, tables=False)

    def _registry(self, path: str, name: str, tables: bool) -> Optional[Export]:
        registrars_here = self.registrars_of(path)
        kinds = {stores[name] for stores in registrars_here.values() if name in stores}
        if not kinds and not tables:
            return None
        here = self.index.relative(path)
        table_kind, table = self.registry_source(path)[2].get(name, ("", ())) if tables else ("", ())
        registered = {(function, f"{self.index.relative(module)}:{function}") for module in self.registrants(path)
                      for function in self.registered_by(module, path, name)} if kinds else set()
        members = sorted(member for _, member in registered)
        keyed = [(key, f"{here}:{function}") for key, function in table]
        if name in self.registry_source(path)[3] and kinds == {MAPPING_STORE}:
            keyed += sorted(registered)  # (``COMMANDS[fn.__name__] = fn``: each at its own name)
        everything = sorted(set(members) | {member for _, member in keyed})
        if not everything:
            return None
        facts = tuple((str(index), ProxyFact(FUNCTION, member)) for index, member in enumerate(everything))
        anyone = facts[0][1] if len(facts) == 1 else ProxyFact(EITHER, nested=facts)
        mapping = MAPPING_STORE in kinds or table_kind == MAPPING_STORE
        slots = tuple(sorted({key: ProxyFact(FUNCTION, member) for key, member in keyed if key != "*"}.items()))
        nested = (slots if mapping else ()) + (("*", anyone),)
        return Export(name, GLOBAL, ProxyFact(MAPPING if mapping else SEQUENCE, nested=nested))

    def sources(self, path: str) -> Tuple[FrozenSet[str], bool, FrozenSet[str]]:
        """What the text of ``path`` says before any parse: its top-level container names, whether it may
        define a registrar, and the containers that may be dispatch tables."""
        if path not in self._texts:
            try:
                raw = self.index.overlay.read_bytes(path)
                names = container_names(raw)
                self._texts[path] = (names, bool(names) and may_register(raw),
                                     table_names(raw) & names if names else frozenset())
            except OSError:
                self._texts[path] = (frozenset(), False, frozenset())
        return self._texts[path]

    def registry_source(self, path: str) -> "RegistrySource":
        """The registrars and dispatch tables of ``path`` (one parse, on demand)."""
        if path not in self._registry_sources:
            found: RegistrySource = (False, {}, {}, frozenset())
            try:
                tree = ast.parse(self.index.overlay.read_bytes(path))
                may = self.sources(path)[1]
                found = (True, registrars(tree) if may else {}, function_tables(tree),
                         frozenset(name_keyed(tree)) if may else frozenset())
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                pass
            self._registry_sources[path] = found
        return self._registry_sources[path]

    def registrars_of(self, path: str) -> Dict[str, Dict[str, str]]:
        """:func:`registries.registrars` of ``path`` (parsed only when its text may define one)."""
        return self.registry_source(path)[1] if self.sources(path)[1] else {}

    def registrants(self, path: str) -> List[str]:
        """The modules that may register into ``path``'s registries: itself and its importers."""
        return [path] + [user for user in self.index.readers_of(path) if user != path]

    def registering_modules(self, path: str) -> List[str]:
        """The modules whose registrations ``path``'s analysis may read (part of the inputs its cached results
        are keyed by): the registrants of ``path``'s own registries and of the project modules it imports that
        define registrars. Modules whose text cannot define a registrar are never parsed for it."""
        if path in self._registering:
            return self._registering[path]
        found: List[str] = self._registering.setdefault(path, [])
        try:
            raw = self.index.overlay.read_bytes(path)
        except OSError:
            return found
        for source in (path, *self.index.sources_of(path)):
            names, may, _ = self.sources(source)
            if not may or source not in self.index.records or (
                    source != path and not any(name.encode() in raw for name in names)):
                continue  # (a module that never names the other's containers cannot read its registries)
            if source == path and not any(user != path for user in self.index.readers_of(path)):
                continue  # (nobody imports it: its own registrations are its analysis's own business)
            if self.registrars_of(source):
                for module in self.registrants(source):
                    if module not in found:
                        found.append(module)
        return found

    def registered_by(self, module: str, path: str, name: str) -> List[str]:
        """The functions of ``module`` that a registrar of ``path`` puts into its container ``name``."""
        mine = {registrar for registrar, stores in self.registrars_of(path).items() if name in stores}
        found: List[str] = []
        if not mine or not self.names_any(module, mine):
            return found  # (a module whose text never names a registrar registers nothing: not parsed)
        for written, function in self.registrations_of(module):
            if module == path and written in mine:
                found.append(function)
                continue
            head, dot, tail = written.partition(".")
            source = self.index.reexports(module).get(head)
            hit = self.index.resolve_call(source + dot + tail if source else written, module)
            if hit is not None and hit[0] == path and hit[1] in mine:
                found.append(function)
        return found

    def names_any(self, module: str, names: Set[str]) -> bool:
        """Does the text of ``module`` contain any of ``names``?"""
        try:
            raw = self.index.overlay.read_bytes(module)
        except OSError:
            return False
        return any(name.encode() in raw for name in names)

    def registrations_of(self, module: str) -> List[Tuple[str, str]]:
        """:func:`registries.registrations` of ``module`` (parsed on demand, kept as names only)."""
        if module not in self._registrations:
            try:
                self._registrations[module] = registrations(ast.parse(self.index.overlay.read_bytes(module)))
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                self._registrations[module] = []
        return self._registrations[module]

    def imported_mutators(self, path: str) -> FrozenSet[str]:
        """Mutator methods of the classes of the project modules ``path`` imports (asked only when a copy's
        method is not a known mutator, so most modules never pay for parsing their imports)."""
        found: Set[str] = set()
        for imported in self.index.imports_of(path):
            found |= self.mutators_of(imported)
        return frozenset(found)

    def records_of(self, path: str) -> Dict[str, Tuple[Tuple[str, ...], bool]]:
        """The record classes ``path`` defines (parsed on demand, kept as names only)."""
        if path not in self._records:
            try:
                raw = self.index.overlay.read_bytes(path)
                # parsed only when it may define one (most imported modules do not)
                self._records[path] = record_classes(ast.parse(raw)) if any(
                    marker in raw for marker in RECORD_MARKERS) else {}
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                self._records[path] = {}
        return self._records[path]

    def mutators_of(self, path: str) -> FrozenSet[str]:
        """Methods of ``path``'s classes that assign to ``self`` (parsed on demand, kept as names only)."""
        if path not in self._mutators:
            try:
                self._mutators[path] = mutator_methods(ast.parse(self.index.overlay.read_bytes(path)))
            except (OSError, SyntaxError, ValueError, RecursionError):
                self._mutators[path] = frozenset()
        return self._mutators[path]


def receives_proxies(links: Optional[Links]) -> bool:
    """Does any importer pass this module a proxy (then it is analysed even if the prefilter skips it)?"""
    return links is not None and any(call.carries_proxy() for calls in links.incoming.values() for call in calls)


__all__ = ["ProjectSolver", "receives_proxies"]
