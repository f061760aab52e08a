"""The language server over stdio (pygls): LSP messages in, the :class:`Session`'s answers out.

Diagnostics are published when a document opens, changes (its unsaved text) and is saved, and again for the
other open documents of its project, whose cross-module findings may follow from it. A client that pulls them
(``textDocument/diagnostic``, LSP 3.17) gets nothing pushed: it asks after each change, and is asked to ask again
(``workspace/diagnostic/refresh``) when a change may move the findings of its other documents. Changes arriving in a
burst are checked once (:data:`DEBOUNCE_SECONDS`): the check of a state the editor has already left is
wasted. Code actions: a quick fix per fixable finding (safe ones preferred, unsafe ones titled so), a
``# noqa: CODE`` quick fix per finding, and ``source.fixAll.flake8-mpproxy`` with every fix ``--fix`` would
apply.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from typing import Any, BinaryIO, Dict, List, Optional, Sequence, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ... import __version__
from ...model.catalogue import BY_CODE, FIX_SAFE
from ...model.findings import Finding
from ..report import rule_url
from .positions import Span, line_bodies, minimal_edit, span
from .session import Checked, Document, Fix, Session

#: The ``source`` of every diagnostic, as flake8 and ruff name theirs.
SOURCE = "flake8-mpproxy"
#: The kind of the fix-all action (``editor.codeActionsOnSave`` asks for ``source.fixAll``).
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
#: How long a change waits for the next one before its document is checked: long enough to read the messages
#: an editor queued while the previous check ran, short enough not to be noticed.
DEBOUNCE_SECONDS = 0.03


class MpproxyServer(LanguageServer):
    """pygls' server plus the session and the checks waiting for their debounce."""

    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.session = Session(uri_of=uri_of)
        self.pending: Dict[str, asyncio.TimerHandle] = {}
        #: The warnings last logged per document (a warning is logged when it appears, not at every check).
        self.logged: Dict[str, Tuple[str, ...]] = {}
        #: The client pulls diagnostics (then none are pushed); it may be asked to pull again.
        self.pull = False
        self.refresh = False
        self.refresh_sent = False

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client (UTF-16 unless it offered another)."""
        chosen = self.workspace.position_encoding
        return str(getattr(chosen, "value", chosen) or "utf-16")


def create_server() -> MpproxyServer:
    """A server with every handler registered."""
    server = MpproxyServer()
    register_documents(server)
    register_pull(server)
    register_actions(server)
    return server


def register_documents(server: MpproxyServer) -> None:
    """Initialisation and document synchronisation: every change of what the project sees is published."""

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.session = Session(workspace_folders(params), uri_of=uri_of)
        capabilities = params.capabilities
        server.pull = capabilities.text_document is not None and capabilities.text_document.diagnostic is not None
        refresh = capabilities.workspace.diagnostics if capabilities.workspace is not None else None
        server.refresh = bool(refresh is not None and refresh.refresh_support)

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        await watch_files(server)

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        for handle in server.pending.values():
            handle.cancel()
        server.pending.clear()
        server.session.shutdown()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        path = to_fs_path(item.uri)
        server.session.open(Document(item.uri, os.path.abspath(path) if path else None, item.text, item.version,
                                     item.language_id))
        publish_around(server, item.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in server.session.documents:
            return
        text = server.workspace.get_text_document(uri).source
        server.session.change(uri, text, params.text_document.version)
        schedule(server, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.session.saved(uri)
        if uri in server.session.documents:
            publish_around(server, uri)
        else:  # pyproject.toml and other files: the configuration may have changed for every document
            publish_all(server)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        neighbours = server.session.neighbours(uri)
        cancel(server, uri)
        server.session.close(uri)
        server.logged.pop(uri, None)
        if not server.pull:
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        for other in neighbours:
            publish(server, other)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        server.session.files_changed()
        publish_all(server)


def workspace_folders(params: types.InitializeParams) -> List[str]:
    """The folders of the workspace as paths (the root URI or path of an older client)."""
    uris = [folder.uri for folder in params.workspace_folders or ()]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [to_fs_path(uri) for uri in uris]
    if not uris and params.root_path:
        paths = [params.root_path]
    return [path for path in paths if path]


async def watch_files(server: MpproxyServer) -> None:
    """Ask the client to report changes of Python files and ``pyproject.toml`` on disk (a module that is not
    open, the configuration), where it can register that dynamically."""
    capabilities = server.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in ("**/*.py", "**/pyproject.toml")]
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
    registration = types.Registration(id=f"{SOURCE}-watched-files",
                                      method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
    try:
        await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as err:  # the client refused: edits on disk are then seen at the next document event
        server.window_log_message(types.LogMessageParams(types.MessageType.Warning,
                                                         f"{SOURCE}: cannot watch files: {err}"))


# --- publishing -------------------------------------------------------------------------------------------------

def schedule(server: MpproxyServer, uri: str) -> None:
    """Publish ``uri`` and its project's other documents once the burst of changes is over."""
    cancel(server, uri)
    loop = asyncio.get_running_loop()
    server.pending[uri] = loop.call_later(DEBOUNCE_SECONDS, publish_around, server, uri)


def cancel(server: MpproxyServer, uri: str) -> None:
    handle = server.pending.pop(uri, None)
    if handle is not None:
        handle.cancel()


def publish_around(server: MpproxyServer, uri: str) -> None:
    """``uri`` first (the document being edited), then the other open documents of its project."""
    server.pending.pop(uri, None)
    if uri not in server.session.documents:
        return
    publish(server, uri)
    for other in server.session.neighbours(uri):
        publish(server, other)


def publish_all(server: MpproxyServer) -> None:
    for uri in list(server.session.documents):
        publish(server, uri)


def publish(server: MpproxyServer, uri: str) -> None:
    """Check the document's current text and publish its diagnostics, tagged with the version checked (a
    client that pulls is asked to pull again instead)."""
    if server.pull:
        ask_to_pull(server)
        return
    document = server.session.documents[uri]
    if not server.session.checkable(document):
        return
    checked = server.session.check(uri)
    log_warnings(server, checked)
    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=uri, diagnostics=diagnostics(checked, server.encoding), version=checked.version))


def ask_to_pull(server: MpproxyServer) -> None:
    """``workspace/diagnostic/refresh``, once per burst of publications (the client pulls every open document)."""
    if not server.refresh or server.refresh_sent:
        return
    server.refresh_sent = True
    asyncio.get_event_loop().call_soon(reset_refresh, server)
    server.workspace_diagnostic_refresh(None)


def reset_refresh(server: MpproxyServer) -> None:
    server.refresh_sent = False


def register_pull(server: MpproxyServer) -> None:
    """``textDocument/diagnostic``: the diagnostics of the document's current text, as a full report with an id
    the client sends back next time (an unchanged report when nothing changed)."""

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=True,
                                            workspace_diagnostics=False))
    def document_diagnostic(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        return pulled(server, params.text_document.uri, params.previous_result_id)


def pulled(server: MpproxyServer, uri: str, previous: Optional[str]) -> types.DocumentDiagnosticReport:
    document = server.session.documents.get(uri)
    if document is None or not server.session.checkable(document):
        return types.RelatedFullDocumentDiagnosticReport(items=[], result_id="none")
    checked = server.session.check(uri)
    log_warnings(server, checked)
    items = diagnostics(checked, server.encoding)
    result_id = report_id(items)
    if previous == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


def report_id(items: Sequence[types.Diagnostic]) -> str:
    """An id that changes exactly when the diagnostics do."""
    text = json.dumps([[d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
                        str(d.code), d.message, int(d.severity or 0)] for d in items])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def log_warnings(server: MpproxyServer, checked: Checked) -> None:
    """The command's ``path: warning:`` lines (the analysis stopped early) in the client's log, once each."""
    if server.logged.get(checked.uri, ()) == checked.warnings:
        return
    server.logged[checked.uri] = checked.warnings
    for warning in checked.warnings:
        server.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"{checked.uri}: {warning}"))


def diagnostics(checked: Checked, encoding: str) -> List[types.Diagnostic]:
    """The findings as diagnostics; a document that could not be checked gets one error where it stopped."""
    lines = line_bodies(checked.text)
    found = [diagnostic(finding, lines, encoding) for finding in checked.findings]
    if checked.error is not None and checked.problem is not None:
        found.append(error_diagnostic(checked, lines, encoding))
    return found


def diagnostic(finding: Finding, lines: Sequence[str], encoding: str) -> types.Diagnostic:
    """One finding: its range, code and rule link, as a warning (ruff's severity for every rule)."""
    where = span(lines, finding.line, finding.col, finding.end_line, finding.end_col, encoding)
    return types.Diagnostic(
        range=to_range(where), message=finding.message, severity=types.DiagnosticSeverity.Warning,
        code=finding.code, source=SOURCE,
        code_description=types.CodeDescription(href=rule_url(BY_CODE[finding.code])) if finding.code in BY_CODE
        else None)


def error_diagnostic(checked: Checked, lines: Sequence[str], encoding: str) -> types.Diagnostic:
    """Why the document could not be checked (``invalid-syntax``, ``invalid-configuration``, ...), as an
    error at the place the command's machine formats give (the first line when none is known)."""
    assert checked.problem is not None and checked.error is not None
    problem = checked.problem
    line = problem.line or 1
    column = (problem.column or 1) - 1
    if problem.end_line is not None and problem.end_column is not None:
        end_line, end_column = problem.end_line, problem.end_column - 1
    else:
        end_line, end_column = line, len(lines[line - 1]) if 0 < line <= len(lines) else column
    where = span(lines, line, column, end_line, end_column, encoding)
    return types.Diagnostic(range=to_range(where), message=checked.error, severity=types.DiagnosticSeverity.Error,
                            code=problem.kind, source=SOURCE)


def to_range(where: Span) -> types.Range:
    return types.Range(start=types.Position(line=where.start[0], character=where.start[1]),
                       end=types.Position(line=where.end[0], character=where.end[1]))


# --- code actions -----------------------------------------------------------------------------------------------

def register_actions(server: MpproxyServer) -> None:
    options = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
                                      resolve_provider=False)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)
    def code_action(params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        if uri not in server.session.documents or not server.session.checkable(server.session.documents[uri]):
            return []
        return code_actions(server, uri, params.context)


def code_actions(server: MpproxyServer, uri: str, context: types.CodeActionContext) -> List[types.CodeAction]:
    """Quick fixes for the client's diagnostics of ours that are still current, then the fix-all action."""
    session = server.session
    checked = session.check(uri)
    actions: List[types.CodeAction] = []
    if wanted(types.CodeActionKind.QuickFix, context.only):
        lines = line_bodies(checked.text)
        for sent in context.diagnostics:
            finding = matching(sent, checked.findings, lines, server.encoding)
            if finding is None:
                continue
            fix = session.quick_fix(uri, finding)
            if fix is not None:
                actions.append(action(server, fix, types.CodeActionKind.QuickFix, [sent],
                                      preferred=finding.applicability == FIX_SAFE))
            noqa = session.noqa(uri, finding)
            if noqa is not None:
                actions.append(action(server, noqa, types.CodeActionKind.QuickFix, [sent]))
    if wanted(FIX_ALL_KIND, context.only):
        fix_all = session.fix_all(uri)
        if fix_all is not None:
            actions.append(action(server, fix_all, FIX_ALL_KIND, None))
    return actions


def wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """Does the client ask for actions of ``kind`` (``only`` names kinds or their parents: ``source``)?"""
    return only is None or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)


def matching(sent: types.Diagnostic, findings: Sequence[Finding], lines: Sequence[str],
             encoding: str) -> Optional[Finding]:
    """The finding a diagnostic the client sent back stands for: ours, same code, same range (a diagnostic
    of an older text matches nothing, and gets no action)."""
    if sent.source != SOURCE:
        return None
    for finding in findings:
        if finding.code == sent.code and to_range(span(lines, finding.line, finding.col, finding.end_line,
                                                       finding.end_col, encoding)) == sent.range:
            return finding
    return None


def action(server: MpproxyServer, fix: Fix, kind: str, sent: Optional[List[types.Diagnostic]],
           preferred: Optional[bool] = None) -> types.CodeAction:
    return types.CodeAction(title=fix.title, kind=kind, diagnostics=sent, is_preferred=preferred,
                            edit=workspace_edit(server, fix))


def workspace_edit(server: MpproxyServer, fix: Fix) -> types.WorkspaceEdit:
    """The fix's changes, each the smallest line range that differs; versioned where the client takes
    ``documentChanges`` (an edit computed for an older text is then refused instead of misapplied)."""
    encoding = server.encoding
    edits: List[Tuple[str, Optional[int], types.TextEdit]] = []
    for change in fix.changes:
        smallest = minimal_edit(change.old, change.new, encoding)
        edits.append((change.uri, change.version,
                      types.TextEdit(range=to_range(smallest.span), new_text=smallest.text)))
    workspace = server.client_capabilities.workspace
    edit_capability = workspace.workspace_edit if workspace is not None else None
    if edit_capability is not None and edit_capability.document_changes:
        return types.WorkspaceEdit(document_changes=[
            types.TextDocumentEdit(text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri,
                                                                                               version=version),
                                   edits=[edit]) for uri, version, edit in edits])
    changes: Dict[str, List[types.TextEdit]] = {}
    for uri, _, edit in edits:
        changes.setdefault(uri, []).append(edit)
    return types.WorkspaceEdit(changes=changes)


# --- running --------------------------------------------------------------------------------------------------

def serve(stdin: Optional[BinaryIO] = None, stdout: Optional[BinaryIO] = None) -> None:
    """Run over stdio until the client says exit. Anything printed by mistake goes to stderr: stdout carries
    the protocol."""
    output = stdout or sys.stdout.buffer
    sys.stdout = sys.stderr
    server = create_server()
    server.start_io(stdin or sys.stdin.buffer, output)


def uri_of(path: str) -> str:
    """A file's URI as pygls writes it (the form clients send back)."""
    return str(from_fs_path(path))


__all__: Sequence[Any] = ["FIX_ALL_KIND", "SOURCE", "create_server", "serve"]
