"""Facts that cross modules: the calls the project's other modules make into one file.

A file is analysed with what its importers pass to its functions (proxies, and how they start them). The
importers come from the project's textual import index (:mod:`project`), so this works when only the file is
checked (pre-commit passes staged files only); they are read for facts, never reported. An importer's own
incoming calls come from its importers in turn (a chain over several modules), with a guard against cycles.

Memory stays bounded: what is kept per module is its outgoing call summaries (:class:`links.CallSummary`),
keyed by path and file stat; ASTs are dropped as soon as a module's summaries are taken.
"""

from __future__ import annotations

import ast
import os
from collections import OrderedDict
from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

from . import cache
from .config import Settings
from .inference import analyse
from .inference.links import OPAQUE, OPAQUE_KEY, CallSummary, Links
from .project import find_root, has_marker, importers, resolve_attribute, resolve_module
from .source import SourceError, decode, may_have_findings_in_bytes, parse, prefilter_tokens

Incoming = Dict[str, List[CallSummary]]

#: Outgoing summaries per (path, mtime, size, settings): the only thing kept of a module read for facts.
_SUMMARIES: "OrderedDict[Tuple[object, ...], List[CallSummary]]" = OrderedDict()
MAX_SUMMARIES = 4096
#: Importers followed upward from one file (a chain main -> helpers -> workers is 2).
MAX_DEPTH = 8
#: Modules analysed for the facts of one checked file; past it importers stand as opaque callers (a bound on
#: the cost in a large tree: a proxy passed further away is missed, a context stays unknown, i.e. concurrent).
MAX_ANALYSED = 16
#: The kind of the result-cache records holding a module's outgoing call summaries.
SUMMARIES_KIND = "summaries"


def links_for(path: str, settings: Settings) -> Links:
    """The :class:`Links` to analyse ``path`` with: the calls into it from the project, and ``import *``."""
    if not settings.project:  # --no-project: each file alone, as flake8 sees it
        return Links()
    root = find_root(path)
    if not has_marker(root):  # loose files, no project: indexing every directory above would cost a tree walk
        return Links()
    return Links(incoming_calls(path, settings, root, frozenset(), [MAX_ANALYSED]), star=star_resolver(path, root))


def incoming_calls(path: str, settings: Settings, root: str, active: FrozenSet[str], budget: List[int]) -> Incoming:
    """Calls of ``path``'s functions made by the project's modules that import it, by function name."""
    own = os.path.abspath(path)
    found: Incoming = {}
    if len(active) >= MAX_DEPTH:
        return found
    users, _complete = importers(path, root)
    for relative in users:
        importer = os.path.abspath(os.path.join(root, relative))
        if importer in active:
            continue
        for summary in outgoing_calls(importer, settings, root, active | {own}, budget):
            if summary is OPAQUE:
                found.setdefault(OPAQUE_KEY, []).append(summary)
                continue
            hit = resolve_attribute(summary.target, importer, root)
            if hit is not None and hit[0] == own:
                found.setdefault(hit[1], []).append(summary)
    return found


def outgoing_calls(path: str, settings: Settings, root: str, active: FrozenSet[str],
                   budget: List[int]) -> List[CallSummary]:
    """The calls ``path`` makes into other modules (read for facts: errors in it are its own check's)."""
    try:
        stat = os.stat(path)
    except OSError:
        return []
    key = (path, stat.st_mtime_ns, stat.st_size, settings)
    if key in _SUMMARIES:
        _SUMMARIES.move_to_end(key)
        return _SUMMARIES[key]
    if budget[0] <= 0:
        return [OPAQUE]  # (not remembered: another file's check may have the budget to read it)
    budget[0] -= 1
    summaries = read_outgoing(path, settings, root, active, budget)
    _SUMMARIES[key] = summaries
    if len(_SUMMARIES) > MAX_SUMMARIES:
        _SUMMARIES.popitem(last=False)
    return summaries


def read_outgoing(path: str, settings: Settings, root: str, active: FrozenSet[str],
                  budget: List[int]) -> List[CallSummary]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    incoming = incoming_calls(path, settings, root, active, budget)
    store = cache.active()
    if store is None:
        return summarise(path, raw, settings, root, incoming)
    return remembered_summaries(store, path, raw, settings, root, incoming)


def remembered_summaries(store: cache.Cache, path: str, raw: bytes, settings: Settings, root: str,
                         incoming: Incoming) -> List[CallSummary]:
    """:func:`summarise` through the result cache: keyed by the bytes, the settings and what the module's
    own importers pass it (a summary depends on those), so a warm run parses no module read for facts."""
    text = raw.decode("utf-8", errors="replace")
    key = (cache.settings_digest(settings), cache.inputs_digest(incoming, path, text, True), cache.content_hash(raw))
    hit = store.load(SUMMARIES_KIND, path, *key)
    if hit is not None:
        try:
            return [OPAQUE if s == OPAQUE else s for s in cache.decode_records(CallSummary, hit)]
        except ValueError as err:
            cache.warn(str(store.entry_path(SUMMARIES_KIND, path, *key[:2])), f"ignoring unreadable cache entry ({err})")
    summaries = summarise(path, raw, settings, root, incoming)
    store.store(SUMMARIES_KIND, path, *key, cache.encode_records(summaries))
    return summaries


def summarise(path: str, raw: bytes, settings: Settings, root: str, incoming: Incoming) -> List[CallSummary]:
    """The calls module ``path`` makes into others, given what its importers pass it."""
    try:
        if not may_have_findings_in_bytes(raw, prefilter_tokens(settings.manager_factories)) and \
                not receives_proxies(Links(incoming)):
            return [OPAQUE]  # it has no proxy to pass: not analysed (its calls' contexts are unknown)
        tree = parse(decode(path, raw))
    except (SourceError, RecursionError):
        return []
    links = Links(incoming, star=star_resolver(path, root))
    try:
        analyse(tree, settings.enabled_codes(), settings.manager_factories, settings.target_version, links=links)
    except RecursionError:
        return []
    return links.summaries()


def star_resolver(importer: str, root: str) -> Callable[[str], List[str]]:
    """``from m import *`` of a project module: its public top-level functions (``__all__`` when literal)."""
    def names(module: str) -> List[str]:
        found = resolve_module(module, importer, root)
        return public_names(found) if found is not None else []
    return names


def public_names(path: str) -> List[str]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            try:
                return [str(name) for name in ast.literal_eval(stmt.value)]
            except ValueError:
                break
    return [stmt.name for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not stmt.name.startswith("_")]


def receives_proxies(links: Optional[Links]) -> bool:
    """Does any importer pass this module a proxy (then it is analysed even if the prefilter skips it)?"""
    return links is not None and any(kind is not None for calls in links.incoming.values() for call in calls
                                     for kind in call.args + tuple(k for _, k in call.kwargs))
