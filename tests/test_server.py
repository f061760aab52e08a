"""``flake8-mpproxy server``: a real LSP client (pytest-lsp) talks to ``python -m flake8_mpproxy server`` over
stdio. One server runs for the module (its start-up is most of the cost); each test opens its own files in its
own folder. tests/test_server_parts.py tests the positions, edits and the subcommand without a client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import pytest

from flake8_mpproxy.frontends.server.positions import Span, TextEdit, apply_edit

pytest_lsp = pytest.importorskip("pytest_lsp")  # (Python 3.10+; pygls itself runs on 3.9)
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30

SEED = '''\
from multiprocessing import Manager, Process


def work(d):
    d["k"].append(4)


if __name__ == "__main__":
    with Manager() as manager:
        d = manager.dict({"k": []})
        p = Process(target=work, args=(d,))
        p.start()
        p.join()
'''

MAIN = '''\
import multiprocessing as mp

from workers import collect


def run():
    with mp.Manager() as manager:
        shared = manager.dict({"k": []})
        child = mp.Process(target=collect, args=(shared, "k", 1))
        child.start()
        child.join()


if __name__ == "__main__":
    run()
'''
MAIN_WITHOUT_PROXY = MAIN.replace('shared = manager.dict({"k": []})', 'shared = {"k": []}')
WORKERS = '''\
def collect(shared, key, value):
    shared[key].append(value)
'''

#: The async tests share the module's server (and its event loop).
served = pytest.mark.asyncio(loop_scope="module")


def make_client() -> LanguageClient:
    """pytest-lsp's client, keeping the version of each publication beside its diagnostics (a test waits for
    the diagnostics of the text it sent, not those of an earlier one)."""
    from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
    from pygls.protocol import default_converter

    client = LanguageClient(converter_factory=default_converter)
    client.versions = {}  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.versions[params.uri] = params.version  # type: ignore[attr-defined]

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    return client


def server_config(client_factory: Callable[[], LanguageClient]) -> ClientServerConfig:
    """``python -m flake8_mpproxy server`` over stdio (no result cache), driven by the client ``client_factory``
    makes."""
    return ClientServerConfig(server_command=[sys.executable, "-m", "flake8_mpproxy", "server"],
                              client_factory=client_factory,
                              server_env={**os.environ, "FLAKE8_MPPROXY_NO_CACHE": "1"})


@pytest_lsp.fixture(scope="module", config=server_config(make_client))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]))
    await start_session(lsp_client, tmp_path_factory, capabilities)
    yield
    await lsp_client.shutdown_session()


async def start_session(client: LanguageClient, tmp_path_factory: pytest.TempPathFactory,
                        capabilities: types.ClientCapabilities) -> types.InitializeResult:
    """Initialise the session on a fresh workspace folder, with the client's ``capabilities``."""
    workspace = tmp_path_factory.mktemp("workspace")
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="workspace")]))


# --- helpers ----------------------------------------------------------------------------------------------------

def project(folder: Path, files: Dict[str, str]) -> Dict[str, str]:
    """Write a project (a pyproject.toml marks its root) and return each file's URI."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "demo"\nrequires-python = ">=3.9"\n')
    uris = {}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        uris[name] = (folder / name).as_uri()
    return uris


async def published(client: LanguageClient, uri: str, version: Optional[int] = None,
                    until: Optional[object] = None) -> List[types.Diagnostic]:
    """The diagnostics of ``uri`` once the server has published them (for ``version``, when given; until
    ``until(diagnostics)`` holds, when given)."""
    async def wait() -> List[types.Diagnostic]:
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and (version is None or client.versions.get(uri) == version) and \
                    (until is None or until(found)):  # type: ignore[operator]
                return list(found)
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), TIMEOUT)


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))


def change_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """The whole text as one change (a full replacement is valid under incremental sync)."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def actions(client: LanguageClient, uri: str, sent: Sequence[types.Diagnostic],
                  only: Optional[List[str]] = None) -> List[types.CodeAction]:
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=10_000, character=0))
    result = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=sent[0].range if sent else whole,
        context=types.CodeActionContext(diagnostics=list(sent), only=only))), TIMEOUT)
    return [item for item in result or [] if isinstance(item, types.CodeAction)]


def applied(text: str, action: types.CodeAction, uri: str) -> str:
    """``text`` after the action's edits for ``uri`` (in UTF-16 columns, the encoding the test client asked)."""
    assert action.edit is not None and action.edit.document_changes is not None
    for change in action.edit.document_changes:
        assert isinstance(change, types.TextDocumentEdit)
        if change.text_document.uri != uri:
            continue
        for edit in change.edits:
            assert isinstance(edit, types.TextEdit)
            start, end = edit.range.start, edit.range.end
            text = apply_edit(text, TextEdit(span_of(start, end), edit.new_text), "utf-16")
    return text


def span_of(start: types.Position, end: types.Position) -> Span:
    return Span((start.line, start.character), (end.line, end.character))


def codes(diagnostics: Sequence[types.Diagnostic]) -> List[str]:
    return sorted(str(d.code) for d in diagnostics)


# --- diagnostics ------------------------------------------------------------------------------------------------

@served
async def test_diagnostics_on_open_are_the_commands_findings(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"seed.py": SEED})
    open_document(client, uris["seed.py"], SEED)
    found = await published(client, uris["seed.py"], 1)
    assert codes(found) == ["MPP101"]
    diagnostic = found[0]
    assert diagnostic.source == "flake8-mpproxy"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    # the command: seed.py:5:5 (1-based); LSP: line 4, character 4, to the end of d["k"].append(4)
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (4, 4)
    assert (diagnostic.range.end.line, diagnostic.range.end.character) == (4, len('    d["k"].append(4)'))
    assert diagnostic.message.startswith("d['k'].append() mutates a copy returned by manager proxy 'd'")
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("docs/rules.md#mpp101-mutation-of-proxy-copy")
    command = subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", "seed.py"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert f"seed.py:5:5: MPP101 {diagnostic.message}" in command.stdout


@served
async def test_diagnostics_follow_unsaved_changes(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"seed.py": SEED})
    uri = uris["seed.py"]
    open_document(client, uri, SEED)
    assert codes(await published(client, uri, 1)) == ["MPP101"]
    fixed = SEED.replace('d["k"].append(4)', 'd["k"] += [4]')
    change_document(client, uri, fixed, 2)
    assert await published(client, uri, 2) == []
    # a burst of changes: the last one is what is published
    for version, text in ((3, SEED), (4, fixed), (5, SEED)):
        change_document(client, uri, text, version)
    assert codes(await published(client, uri, 5)) == ["MPP101"]
    assert (tmp_path / "seed.py").read_text() == SEED  # nothing written
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await published(client, uri, None, until=lambda found: not found) == []  # cleared on close


@served
async def test_columns_count_utf16_code_units(client: LanguageClient, tmp_path: Path):
    """A line with an emoji (2 UTF-16 units) and an accented letter (1) before the finding."""
    text = SEED.replace('    d["k"].append(4)', '    x = "é😀"; d["k"].append(4)')
    uris = project(tmp_path, {"seed.py": text})
    open_document(client, uris["seed.py"], text)
    found = await published(client, uris["seed.py"], 1)
    assert codes(found) == ["MPP101"]
    prefix = '    x = "é😀"; '
    assert found[0].range.start.character == len(prefix) + 1  # characters + 1 for the surrogate pair
    assert found[0].range.end.character == len(prefix + 'd["k"].append(4)') + 1


@served
async def test_an_unsaved_untitled_buffer_is_checked_alone(client: LanguageClient):
    uri = "untitled:Untitled-1"
    open_document(client, uri, SEED)
    assert codes(await published(client, uri, 1)) == ["MPP101"]


@served
async def test_configuration_is_the_commands(client: LanguageClient, tmp_path: Path):
    """per-file-ignores of the nearest [tool.flake8-mpproxy] table apply, as the command applies them."""
    uris = project(tmp_path, {"seed.py": SEED, "other.py": SEED})
    with (tmp_path / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.flake8-mpproxy]\nper-file-ignores = {"seed.py" = ["MPP101"]}\n')
    open_document(client, uris["seed.py"], SEED)
    open_document(client, uris["other.py"], SEED)
    assert await published(client, uris["seed.py"], 1) == []
    assert codes(await published(client, uris["other.py"], 1)) == ["MPP101"]


@served
async def test_a_syntax_error_is_one_error_diagnostic(client: LanguageClient, tmp_path: Path):
    text = SEED + "def broken(:\n"
    uris = project(tmp_path, {"seed.py": text})
    open_document(client, uris["seed.py"], text)
    found = await published(client, uris["seed.py"], 1)
    assert [(d.code, d.severity) for d in found] == [("invalid-syntax", types.DiagnosticSeverity.Error)]
    assert found[0].range.start.line == text.count("\n") - 1


# --- code actions -----------------------------------------------------------------------------------------------

@served
async def test_quick_fix_edit_removes_the_finding(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"seed.py": SEED})
    uri = uris["seed.py"]
    open_document(client, uri, SEED)
    found = await published(client, uri, 1)
    offered = await actions(client, uri, found)
    kinds = {(a.kind, a.title.split(":")[0]) for a in offered}
    assert (types.CodeActionKind.QuickFix, "Fix MPP101") in kinds
    fix = next(a for a in offered if a.title.startswith("Fix MPP101"))
    assert fix.is_preferred and list(fix.diagnostics or ()) == found
    assert fix.title == 'Fix MPP101: `d["k"] += [4]`'
    change = fix.edit.document_changes[0]
    assert change.text_document.version == 1
    assert len(change.edits) == 1 and change.edits[0].range.start.line == change.edits[0].range.end.line - 1 == 4
    new_text = applied(SEED, fix, uri)
    assert new_text == SEED.replace('d["k"].append(4)', 'd["k"] += [4]')
    change_document(client, uri, new_text, 2)
    assert await published(client, uri, 2) == []


@served
async def test_unsafe_fix_is_labelled_and_not_preferred(client: LanguageClient, tmp_path: Path):
    text = (ROOT / "examples" / "seed.py").read_text()
    uris = project(tmp_path, {"seed.py": text})
    uri = uris["seed.py"]
    open_document(client, uri, text)
    found = await published(client, uri, 1)
    assert codes(found) == ["MPP101", "MPP201", "MPP202"]
    mpp201 = [d for d in found if d.code == "MPP201"]
    offered = await actions(client, uri, mpp201, only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in offered if a.title.startswith("Fix MPP201"))
    assert "(unsafe)" in fix.title and not fix.is_preferred
    assert "MPP201" not in codes(await recheck(client, uri, applied(text, fix, uri), 2))


async def recheck(client: LanguageClient, uri: str, text: str, version: int) -> List[types.Diagnostic]:
    change_document(client, uri, text, version)
    return await published(client, uri, version)


@served
async def test_fix_all_applies_the_safe_fixes(client: LanguageClient, tmp_path: Path):
    text = (ROOT / "examples" / "seed.py").read_text()
    uris = project(tmp_path, {"seed.py": text})
    uri = uris["seed.py"]
    open_document(client, uri, text)
    await published(client, uri, 1)
    offered = await actions(client, uri, [], only=[types.CodeActionKind.SourceFixAll])
    assert [a.kind for a in offered] == ["source.fixAll.flake8-mpproxy"]
    # what `flake8-mpproxy --fix` does to the file: only the safe fix (MPP101); MPP201/MPP202 need --unsafe-fixes
    subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", "--fix", "seed.py"], cwd=tmp_path,
                   capture_output=True, check=False)
    assert applied(text, offered[0], uri) == (tmp_path / "seed.py").read_text() != text
    assert codes(await recheck(client, uri, applied(text, offered[0], uri), 2)) == ["MPP201", "MPP202"]


@served
async def test_noqa_action_places_the_comment_as_add_noqa_does(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"seed.py": SEED})
    uri = uris["seed.py"]
    open_document(client, uri, SEED)
    found = await published(client, uri, 1)
    offered = await actions(client, uri, found)
    noqa = next(a for a in offered if a.title == "Disable MPP101 for this line")
    assert noqa.kind == types.CodeActionKind.QuickFix and not noqa.is_preferred
    subprocess.run([sys.executable, "-m", "flake8_mpproxy", "--no-cache", "--add-noqa", "seed.py"], cwd=tmp_path,
                   capture_output=True, check=True)
    expected = (tmp_path / "seed.py").read_text()
    assert applied(SEED, noqa, uri) == expected
    assert '    d["k"].append(4)  # noqa: MPP101\n' in expected
    assert await recheck(client, uri, expected, 2) == []


# --- the project ------------------------------------------------------------------------------------------------

@served
async def test_cross_module_finding_follows_the_unsaved_caller(client: LanguageClient, tmp_path: Path):
    """workers.py never mentions multiprocessing: its MPP101 comes from main.py passing it a proxy. Editing
    main.py (unsaved) so that it passes a plain dict re-publishes workers.py without the finding."""
    uris = project(tmp_path, {"main.py": MAIN, "workers.py": WORKERS})
    open_document(client, uris["workers.py"], WORKERS)
    assert codes(await published(client, uris["workers.py"], 1)) == ["MPP101"]
    open_document(client, uris["main.py"], MAIN)
    await published(client, uris["main.py"], 1)
    change_document(client, uris["main.py"], MAIN_WITHOUT_PROXY, 2)
    assert await published(client, uris["workers.py"], 1, until=lambda found: not found) == []
    change_document(client, uris["main.py"], MAIN, 3)  # and back
    assert codes(await published(client, uris["workers.py"], 1, until=bool)) == ["MPP101"]


@served
async def test_closing_the_unsaved_caller_brings_back_what_is_on_disk(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"main.py": MAIN, "workers.py": WORKERS})
    open_document(client, uris["workers.py"], WORKERS)
    open_document(client, uris["main.py"], MAIN)
    assert codes(await published(client, uris["workers.py"], 1)) == ["MPP101"]
    change_document(client, uris["main.py"], MAIN_WITHOUT_PROXY, 2)
    assert await published(client, uris["workers.py"], 1, until=lambda found: not found) == []
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uris["main.py"])))  # the edit is dropped, never saved
    assert codes(await published(client, uris["workers.py"], 1, until=bool)) == ["MPP101"]


@served
async def test_cross_module_finding_follows_a_file_saved_by_another_program(client: LanguageClient,
                                                                              tmp_path: Path):
    """main.py is not open: written on disk, then reported by the client's file watcher."""
    uris = project(tmp_path, {"main.py": MAIN, "workers.py": WORKERS})
    open_document(client, uris["workers.py"], WORKERS)
    assert codes(await published(client, uris["workers.py"], 1)) == ["MPP101"]
    (tmp_path / "main.py").write_text(MAIN_WITHOUT_PROXY)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=uris["main.py"], type=types.FileChangeType.Changed)]))
    assert await published(client, uris["workers.py"], 1, until=lambda found: not found) == []
