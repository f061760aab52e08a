"""The project context: what one front end's run knows about the projects around the files it checks.

Each front end makes one (the command per process, the flake8 plugin per flake8 process, the language server
per session, the codemod per run) and hands it down to the pipeline, the guard plan and the fixer. It keeps
the solved projects (each :class:`ProjectSolver` once per root and settings, so the second file of a project
costs no solve) and the scans of loose folders; nothing in the package keeps them in a global. When files
change under it (a fix wrote them, an editor saved), :meth:`ProjectContext.forget` drops what it solved.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from ..model.config import Settings
from ..model.source import prefilter_tokens
from .cache import Cache, content_hash
from .overlay import Overlay
from .root import find_root, has_marker, marked_root, project_root

if TYPE_CHECKING:  # (imported when a project is first solved: a warm run of the command imports no engine)
    from ..engine.links import Links
    from .crossmodule import ProjectSolver
    from .scan import ProjectIndex

#: Solved projects kept at once (a run checks one project; an editor may hold a few).
MAX_PROJECTS = 4


class ProjectContext:
    """The solved projects of one run, and the questions the pipeline, the guard plan and the fixer ask them."""

    def __init__(self, max_projects: int = MAX_PROJECTS, remember_reads: bool = False) -> None:
        self.max_projects = max_projects
        #: What the projects' files hold: the files on disk, or an editor's unsaved buffers laid over them;
        #: ``remember_reads`` (a run of the command or of flake8): each file read once, then remembered.
        self.overlay = Overlay(remember=remember_reads)
        self._projects: "OrderedDict[Tuple[str, Settings], ProjectSolver]" = OrderedDict()
        self._loose: Dict[str, "ProjectIndex"] = {}

    # --- the solvers ------------------------------------------------------------------------------------------

    def solver(self, path: str, settings: Settings, store: Optional[Cache] = None) -> Optional["ProjectSolver"]:
        """The project ``path`` belongs to, or None with ``--no-project`` or for a path outside any project.
        ``store``: the result cache the project's module summaries are read from and written to (the first
        caller's is kept: it changes what a solve costs, never what it finds)."""
        if not settings.project:
            return None
        root = project_root(path, settings.loose_root)
        if root is None:
            return None
        key = (root, settings)
        solver = self._projects.get(key)
        if solver is None:
            solver = self._projects[key] = self._solve(root, settings, store)
            while len(self._projects) > self.max_projects:
                self._projects.popitem(last=False)
        else:
            self._projects.move_to_end(key)
            if solver.store is None and store is not None:
                solver.store = store
        return solver

    def _solve(self, root: str, settings: Settings, store: Optional[Cache]) -> "ProjectSolver":
        """A new solver of ``root``: the scan leaves out what the command's exclude settings and
        ``.gitignore`` leave out of its walk (the scan's records come from the result cache when they hold)."""
        from . import scanstore
        from .crossmodule import ProjectSolver
        from .gitignore import GitIgnore
        from .scan import scan_project

        tokens = prefilter_tokens(settings.manager_factories)
        scope = (settings.project_exclude, settings.project_gitignore)
        known = scanstore.load(store, root, tokens, scope)
        index = scan_project(root, settings.manager_factories, known, settings.project_exclude,
                             GitIgnore() if settings.project_gitignore else None, self.overlay)
        scanstore.save(store, index, tokens, scope, known)
        return ProjectSolver(index, settings, store=store)

    def forget(self) -> None:
        """Files changed under the run (a fix wrote them, an editor saved or edited one): solve anew."""
        self._projects.clear()
        self._loose.clear()
        self.overlay.reread()
        marked_root.cache_clear()
        has_marker.cache_clear()

    def edited(self, path: str) -> None:
        """The text of ``path`` changed, and no file came or went (an editor's buffer laid over it or lifted):
        each project holding the file is solved anew over its scan with that one file read again, so an edit
        costs the analysis of what it changes, not a walk and a resolution of the whole tree."""
        from .scan import scan_file

        own = os.path.abspath(path)
        for key, solver in list(self._projects.items()):
            if own in solver.index.records:
                record = scan_file(self.overlay.read_bytes(own), prefilter_tokens(key[1].manager_factories))
                self._projects[key] = solver.renewed(solver.index.with_record(own, record), own)
        for directory, index in list(self._loose.items()):
            if own in index.records:
                self._loose[directory] = index.with_record(own, scan_file(self.overlay.read_bytes(own),
                                                                          prefilter_tokens(())))

    # --- what a checked file gets -----------------------------------------------------------------------------

    def links(self, path: str, settings: Settings, raw: Optional[bytes] = None,
              store: Optional[Cache] = None) -> "Links":
        """The :class:`Links` to analyse ``path`` with (empty for a file outside the scan). Given the bytes being
        checked and they are what the solver analysed with the same inputs, the links carry that analysis's
        result (:attr:`Links.reuse`), so the file is not analysed twice."""
        from ..engine.links import Links

        solver, own = self.solver(path, settings, store), os.path.abspath(path)
        if solver is None or own not in solver.index.records:  # (excluded from the scan: checked alone)
            return Links(summarise=False)
        links = solver.links(own)
        if raw is not None and solver.index.records[own].digest == content_hash(raw):
            links.reuse = solver.reusable(own)
        return links

    def fix_links(self, path: str, settings: Settings) -> Optional["Links"]:
        """The links a fixed text of ``path`` is checked with (the same project facts), None for stdin and
        other virtual paths."""
        return self.links(path, settings) if os.path.isfile(path) else None

    def received(self, path: str, settings: Settings, store: Optional[Cache] = None) -> str:
        """:meth:`ProjectSolver.received` for ``path`` ("" outside a project or the scan): part of the key of
        the file's cached findings."""
        solver, own = self.solver(path, settings, store), os.path.abspath(path)
        if solver is None or own not in solver.index.records:
            return ""
        solver.ensure(own)
        return solver.received(own)

    def involved(self, path: str, settings: Settings, store: Optional[Cache] = None) -> bool:
        """Must ``path`` be analysed although the prefilter would skip it: another module passes it a proxy, or
        the solve of its part of the project stopped early (then it is checked, to carry the warning)?"""
        solver, own = self.solver(path, settings, store), os.path.abspath(path)
        return solver is not None and (solver.involved(own) or solver.index.component(own) in solver.stopped_parts)

    def warning(self, path: str, settings: Settings, store: Optional[Cache] = None) -> Optional[str]:
        """The warning for ``path`` when facts it may receive were not all computed: the solve of its part of
        the project stopped at its budget, or the scan stopped at :data:`scan.MAX_FILES` and ``path`` was
        analysed or lies beyond the scan."""
        solver = self.solver(path, settings, store)
        if solver is None:
            return None
        own = os.path.abspath(path)
        solver.ensure(own)
        if solver.index.component(own) in solver.stopped_parts:
            return f"project analysis stopped after {solver.analyses} modules; cross-module findings may be missing"
        if not solver.index.complete and (own not in solver.index.records or own in solver.summaries):
            return (f"the project scan stopped after {len(solver.index.records)} files; cross-module findings "
                    "may be missing")
        return None

    def index(self, path: str, settings: Settings) -> "ProjectIndex":
        """The project scan ``path`` is in: the solver's own (one scan, one resolution of imports for facts and
        for the main-guard move's refusal); for a file outside a project, a scan of its directory."""
        from .scan import scan_project

        solver = self.solver(path, settings)
        if solver is not None:
            return solver.index
        directory = find_root(path)
        if directory not in self._loose:
            self._loose[directory] = scan_project(directory, overlay=self.overlay)
        return self._loose[directory]
