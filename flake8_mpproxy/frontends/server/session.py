"""The server's state and its requests to the pipeline, without the protocol (pygls is not imported here).

Every answer comes from the command's own pipeline: the configuration from :class:`resolve.Resolver` for the
document's path, findings from :func:`analysis.check_file` (noqa applied, project facts included), fixes
from :func:`fixer.fix_source`, noqa comments from :func:`noqa.add_directives`. What the session adds is the
editor's view of the files: each open document's text is laid over its file (the overlay of its :class:`ProjectContext`), and a change to
any of them drops the solved projects (:meth:`ProjectContext.forget`), so the next check of every document of that
project sees the new facts. The records of the result cache keep that re-solve cheap (:class:`MemoryCache`).
"""

from __future__ import annotations

import io
import os
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

from ...pipeline.analysis import check_file
from ...project.cache import Cache, default_directory, open_cache
from ...project.context import ProjectContext
from ...model.config import ConfigError
from ...project.discovery import force_excluded, with_loose_root
from ...model.findings import Finding, fix_wanted
from ..report import INVALID_CONFIGURATION
from ...project.resolve import Resolver
from ...model.jobs import MODE_CHECK, Job
from ...model.source import INTERNAL_ERROR, Problem, SourceError, SourceFile, internal_error
from .store import MemoryCache

if TYPE_CHECKING:
    from ...fixer.remote import Rewritten

#: Suffixes of the files the server checks (a stub has no runtime; a notebook is not a text document).
PYTHON_SUFFIXES = (".py", ".pyw")


@dataclass
class Document:
    """An open document: its text as the editor holds it (maybe unsaved) and the version the editor gave it."""

    uri: str
    #: The file it is (None: not a file, e.g. ``untitled:``; checked alone, with the workspace's settings).
    path: Optional[str]
    text: str
    version: Optional[int] = None
    language: str = "python"


@dataclass(frozen=True)
class Checked:
    """What the pipeline said about one state of a document (the code actions work from it)."""

    uri: str
    version: Optional[int]
    text: str
    findings: Tuple[Finding, ...] = ()
    #: The decoded text the findings are about (None without findings): the fixer's input.
    source: Optional[SourceFile] = None
    job: Optional[Job] = None
    #: Why the document could not be checked (a syntax error, a broken configuration), with its kind and place.
    error: Optional[str] = None
    problem: Optional[Problem] = None
    #: ``path: warning:`` lines the command would print (the analysis stopped early).
    warnings: Tuple[str, ...] = ()
    #: The result cache the check read and wrote (fixes must see the same solved project).
    store: Optional[Cache] = None


@dataclass(frozen=True)
class Change:
    """A text edit for one document: the text the edit applies to, and the text it gives."""

    uri: str
    #: The editor's version of the document the edit was computed for (None: a file that is not open).
    version: Optional[int]
    old: str
    new: str


@dataclass(frozen=True)
class Fix:
    """A code action's edit: a title and the changed documents (a nested fix also rewrites the module that
    made the proxy)."""

    title: str
    changes: Tuple[Change, ...]
    notes: Tuple[str, ...] = field(default=())


class Session:
    """Open documents, their latest checks, and the caches that stay warm between requests."""

    def __init__(self, folders: Sequence[str] = (), cwd: Optional[str] = None,
                 uri_of: Callable[[str], str] = lambda path: Path(path).as_uri()) -> None:
        #: Workspace folders (absolute): the loose root of a file without a project marker above it.
        self.folders = sorted({os.path.abspath(folder) for folder in folders}, key=len, reverse=True)
        self.cwd = os.path.abspath(cwd or (self.folders[-1] if self.folders else os.getcwd()))
        self.documents: Dict[str, Document] = {}
        self._checked: Dict[str, Tuple[int, Checked]] = {}
        self._stores: Dict[Optional[str], MemoryCache] = {}
        #: The solved projects, warm between requests until what the project sees changes.
        self.projects = ProjectContext()
        self._resolver: Optional[Resolver] = None
        #: Bumped whenever what the project sees changes: every earlier check is stale from then on.
        self.generation = 0
        #: The URI of a file that is not open (another module a nested fix rewrites), as the client spells it.
        self.uri_of = uri_of
        #: Code actions computed since the project last changed (an editor asks again at every cursor move).
        self._fixes: Dict[Tuple[str, str, Tuple[int, int, int, str], str], Optional[Fix]] = {}

    # --- the editor's documents -------------------------------------------------------------------------------

    def open(self, document: Document) -> None:
        """An opened document: from now on the project sees its text, saved or not."""
        self.documents[document.uri] = document
        self._lay(document)

    def change(self, uri: str, text: str, version: Optional[int]) -> None:
        """The editor's new text (unsaved): the project's view of the module changes with it."""
        document = self.documents[uri]
        document.text, document.version = text, version
        self._lay(document)

    def close(self, uri: str) -> None:
        """The file on disk is what the project sees again (unsaved edits were dropped)."""
        document = self.documents.pop(uri, None)
        self._checked.pop(uri, None)
        if document is not None and document.path is not None:
            self.projects.overlay.lift(document.path)
            self._text_changed(document.path)

    def saved(self, uri: str) -> None:
        """A saved document may be the configuration (``pyproject.toml``): read it again."""
        self.forget_project()

    def files_changed(self) -> None:
        """Files changed on disk (``workspace/didChangeWatchedFiles``): modules that are not open, or the
        configuration."""
        self.forget_project()

    def _lay(self, document: Document) -> None:
        """Lay the text over the file (as the bytes the file would hold), and let the project be solved anew."""
        if document.path is None:  # (an untitled buffer: no module of any project changed)
            self._stale()
            return
        self.projects.overlay.lay(document.path, to_bytes(document.text))
        self._text_changed(document.path)

    def _text_changed(self, path: str) -> None:
        """The project sees a new text of ``path``: a module's is re-read alone (the files are the same); any
        other file's (``pyproject.toml`` open in the editor) is a new start, as for a save."""
        if path.lower().endswith(PYTHON_SUFFIXES):
            self.projects.edited(path)
            self._stale()
        else:
            self.forget_project()

    def forget_project(self) -> None:
        """What the project sees changed: drop the solved projects and the configuration read so far, as a new
        run of the command would start without them."""
        self.projects.forget()
        self._resolver = None
        self._stale()

    def _stale(self) -> None:
        """Every check and code action computed so far is out of date."""
        self._fixes.clear()
        self.generation += 1

    def shutdown(self) -> None:
        """The client is leaving: lift every buffer, so the process's analysis sees the disk again."""
        for document in self.documents.values():
            if document.path is not None:
                self.projects.overlay.lift(document.path)
        self.documents.clear()
        self._checked.clear()

    def checkable(self, document: Document) -> bool:
        """A Python source the command would check: ``.py`` files, and unsaved ``python`` buffers."""
        if document.path is None:
            return document.language == "python"
        return document.path.lower().endswith(PYTHON_SUFFIXES)

    def project_of(self, document: Document) -> Optional[str]:
        """The project root ``document`` is analysed in (None: checked alone)."""
        from ...project.root import project_root

        return project_root(document.path, self.loose_root(document.path)) if document.path else None

    def neighbours(self, uri: str) -> List[str]:
        """The other open documents of ``uri``'s project: a change of ``uri`` may change their findings."""
        own = self.documents.get(uri)
        root = self.project_of(own) if own is not None else None
        if root is None:
            return []
        return [other for other, document in self.documents.items()
                if other != uri and self.checkable(document) and self.project_of(document) == root]

    # --- checking ---------------------------------------------------------------------------------------------

    def check(self, uri: str) -> Checked:
        """The findings of the document's current text (memoised until it or the project changes)."""
        document = self.documents[uri]
        found = self._checked.get(uri)
        if found is not None and found[0] == self.generation and found[1].version == document.version \
                and found[1].text == document.text:
            return found[1]
        checked = self._check(document)
        self._checked[uri] = (self.generation, checked)
        return checked

    def _check(self, document: Document) -> Checked:
        base = Checked(document.uri, document.version, document.text)
        if not self.checkable(document):
            return base
        try:
            job = self.job_for(document)
        except ConfigError as err:
            return replace(base, error=str(err), problem=Problem(INVALID_CONFIGURATION))
        if job is None:
            return base
        path = document.path or "-"
        store = self.store_for(document.path, job) if document.path else None
        try:
            result = check_file(path, to_bytes(document.text), job.settings, self.projects, store)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as err:  # a bug of ours: one line, as the command reports it, not a dead server
            return replace(base, job=job, error=internal_error(err), problem=Problem(INTERNAL_ERROR))
        return Checked(document.uri, document.version, document.text, result.findings, result.source, job,
                       result.error, result.problem, result.warnings, store)

    def job_for(self, document: Document) -> Optional[Job]:
        """The command's job for the document's path (selection, per-file ignores, target version, fix
        style, unsafe fixes), None when ``force-exclude`` excludes it (as ``--stdin-filename`` would).
        Raises :class:`ConfigError` for a configuration the command would refuse."""
        resolver = self.resolver()
        if document.path is None:
            return resolver.for_path("-").job_for("-")
        resolved = resolver.for_path(document.path)
        if resolved.force_exclude and force_excluded(document.path, resolved.exclude, resolved.root):
            return None
        return with_loose_root(resolved.job_for(document.path), self.loose_root(document.path))

    def resolver(self) -> Resolver:
        """The configuration as the command reads it with no option given, from the workspace's folder."""
        if self._resolver is None:
            self._resolver = Resolver({}, MODE_CHECK, cwd=Path(self.cwd))
        return self._resolver

    def loose_root(self, path: str) -> str:
        """Where a file with no project marker above it finds its project: the workspace folder holding it (the
        command's: the folder it was given), else its own folder."""
        absolute = os.path.abspath(path)
        for folder in self.folders:
            if absolute.startswith(folder.rstrip(os.sep) + os.sep):
                return folder
        return os.path.dirname(absolute)

    def store_for(self, path: str, job: Job) -> MemoryCache:
        """The memory cache of the project's result cache (read from disk if the folder exists; the server
        writes nothing there, and creates no folder)."""
        directory = None
        if job.cache:
            directory = job.cache_dir if job.cache_dir is not None else default_directory(path)
            if directory is not None and not os.path.isdir(directory):
                directory = None
        key = os.path.abspath(directory) if directory is not None else None
        if key not in self._stores:
            self._stores[key] = MemoryCache(open_cache(key) if key is not None else None)
        return self._stores[key]

    # --- code actions -----------------------------------------------------------------------------------------

    def quick_fix(self, uri: str, finding: Finding) -> Optional[Fix]:
        """The fix of this one finding (its safety shown in the title), or None when it has none that
        changes the text."""
        return self._memoised(uri, "fix", finding, lambda: self._quick_fix(uri, finding))

    def fix_all(self, uri: str) -> Optional[Fix]:
        """Every fix ``flake8-mpproxy --fix`` would apply to the document with its configuration (the safe
        ones; the unsafe ones too only where ``unsafe-fixes = true`` is configured)."""
        return self._memoised(uri, "all", None, lambda: self._fix_all(uri))

    def noqa(self, uri: str, finding: Finding) -> Optional[Fix]:
        """``# noqa: CODE`` for the finding, where ``--add-noqa`` puts it (None where it cannot go)."""
        return self._memoised(uri, "noqa", finding, lambda: self._noqa(uri, finding))

    def _memoised(self, uri: str, kind: str, finding: Optional[Finding], compute: Callable[[], Optional[Fix]]
                  ) -> Optional[Fix]:
        """A fix runs libcst and analyses its result again: once per finding while neither the document nor
        the project changes (any change clears the memo: :meth:`forget_project`)."""
        key = (uri, kind, finding.sort_key() if finding else (0, 0, 0, ""), finding.message if finding else "")
        if key not in self._fixes:
            self._fixes[key] = compute()
        return self._fixes[key]

    def _quick_fix(self, uri: str, finding: Finding) -> Optional[Fix]:
        checked = self.check(uri)
        job = checked.job
        if checked.source is None or job is None or not fix_wanted(finding, True, job.style):
            return None
        from ...fixer import fix_source

        result = fix_source(checked.source, [finding], job.settings, unsafe=True, style=job.style, one_round=True,
                            context=self.projects)
        if result.error is not None or (result.text == checked.source.text and not result.others):
            return None
        changes = self._changes(checked, result.text, result.others)
        return Fix(fix_title(finding, changes), changes, result.notes)

    def _fix_all(self, uri: str) -> Optional[Fix]:
        checked = self.check(uri)
        job = checked.job
        if checked.source is None or job is None or \
                not any(fix_wanted(f, job.unsafe, job.style) for f in checked.findings):
            return None
        from ...fixer import fix_source

        result = fix_source(checked.source, checked.findings, job.settings, unsafe=job.unsafe, style=job.style,
                            context=self.projects)
        if result.error is not None or (result.text == checked.source.text and not result.others):
            return None
        return Fix("Fix all flake8-mpproxy findings", self._changes(checked, result.text, result.others),
                   result.notes)

    def _noqa(self, uri: str, finding: Finding) -> Optional[Fix]:
        checked = self.check(uri)
        if checked.source is None:
            return None
        from ...pipeline.noqa import add_directives

        try:
            added = add_directives(checked.source.text, [finding])
        except SourceError:
            return None
        if not added.count:
            return None
        return Fix(f"Disable {finding.code} for this line", self._changes(checked, added.text, ()))

    def _changes(self, checked: Checked, text: str, others: Sequence["Rewritten"]) -> Tuple[Change, ...]:
        """The document's own change (against the editor's text: a BOM the decoder dropped is kept) and those
        of the other modules a nested fix rewrites (their open document's version, else None)."""
        assert checked.source is not None
        kept = checked.text[:len(checked.text) - len(checked.source.text)] \
            if checked.text.endswith(checked.source.text) else ""
        changes = [Change(checked.uri, checked.version, kept + checked.source.text, kept + text)] \
            if text != checked.source.text else []
        by_path = {os.path.abspath(d.path): d for d in self.documents.values() if d.path is not None}
        for other in others:
            path = os.path.abspath(other.path)
            document = by_path.get(path)
            uri = document.uri if document is not None else self.uri_of(path)
            changes.append(Change(uri, document.version if document is not None else None, other.source.text,
                                  other.text))
        return tuple(changes)


def fix_title(finding: Finding, changes: Sequence[Change]) -> str:
    """``Fix MPP101: `d["k"] += [4]``` when the fix rewrites one line into one line (the new line says what it
    does), else the rule's short fix title; ``(unsafe)`` after the code for a fix ``--fix`` applies only with
    ``--unsafe-fixes``."""
    from ...model.catalogue import FIX_SAFE, rule
    from .positions import minimal_edit

    head = f"Fix {finding.code}" + ("" if finding.applicability == FIX_SAFE else " (unsafe)")
    if len(changes) == 1:
        edit = minimal_edit(changes[0].old, changes[0].new, "utf-32")
        new_lines = edit.text.splitlines()
        if edit.span.end == (edit.span.start[0] + 1, 0) and len(new_lines) == 1:
            return f"{head}: `{new_lines[0].strip()}`"
    words = rule(finding.code).fix_title
    return f"{head}: {words}" if words and len(words) <= 80 else head


def to_bytes(text: str) -> bytes:
    """The editor's text as the bytes the file would hold: UTF-8, or the encoding its PEP 263 cookie names
    (so the pipeline's decoder reads back the same text; a text the cookie's codec cannot hold stays UTF-8,
    and the decoder reports it as the command would)."""
    raw = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError:
        return raw
    if encoding in ("utf-8", "utf-8-sig"):
        return raw
    try:
        return text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return raw
