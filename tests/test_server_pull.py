"""``flake8-mpproxy server`` with a client that pulls diagnostics (``textDocument/diagnostic``, LSP 3.17): nothing
is pushed to it; each pull answers the document's current text, an unchanged report when nothing changed, and a
change that may move another document's findings asks the client to pull again
(``workspace/diagnostic/refresh``). A real client (pytest-lsp) over stdio, as in tests/test_server.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import List, Optional

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")  # (Python 3.10+)
from lsprotocol import types  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402

from .test_server import MAIN, MAIN_WITHOUT_PROXY, SEED, TIMEOUT, WORKERS, change_document, codes, open_document, \
    project, server_config, start_session  # noqa: E402

served = pytest.mark.asyncio(loop_scope="module")


def make_client() -> LanguageClient:
    """pytest-lsp's client, counting the server's requests to pull again and keeping what is pushed."""
    from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
    from pygls.protocol import default_converter

    client = LanguageClient(converter_factory=default_converter)
    client.refreshes = 0  # type: ignore[attr-defined]
    client.pushed = []  # type: ignore[attr-defined]

    def refresh(client: LanguageClient, params: None) -> None:
        client.refreshes += 1  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.pushed.append(params.uri)  # type: ignore[attr-defined]

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, types.WORKSPACE_DIAGNOSTIC_REFRESH: refresh,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    return client


@pytest_lsp.fixture(scope="module", config=server_config(make_client))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities(related_document_support=False)),
        workspace=types.WorkspaceClientCapabilities(
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]))
    result = await start_session(lsp_client, tmp_path_factory, capabilities)
    assert result.capabilities.diagnostic_provider is not None
    yield
    await lsp_client.shutdown_session()


async def pull(client: LanguageClient, uri: str, previous: Optional[str] = None) -> types.DocumentDiagnosticReport:
    return await asyncio.wait_for(client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous)), TIMEOUT)


async def refreshed(client: LanguageClient, after: int) -> None:
    """Wait until the server has asked the client to pull again (more than ``after`` times in all)."""
    async def wait() -> None:
        while client.refreshes <= after:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
    await asyncio.wait_for(wait(), TIMEOUT)


def items(report: types.DocumentDiagnosticReport) -> List[types.Diagnostic]:
    assert isinstance(report, (types.RelatedFullDocumentDiagnosticReport, types.FullDocumentDiagnosticReport))
    return list(report.items)


@served
async def test_a_pull_answers_the_findings_and_nothing_is_pushed(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"seed.py": SEED})
    open_document(client, uris["seed.py"], SEED)
    first = await pull(client, uris["seed.py"])
    assert codes(items(first)) == ["MPP101"]
    assert items(first)[0].range.start.line == 4
    again = await pull(client, uris["seed.py"], first.result_id)
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport) and again.result_id == first.result_id
    change_document(client, uris["seed.py"], SEED.replace('d["k"].append(4)', 'd["k"] += [4]'), 2)
    fixed = await pull(client, uris["seed.py"], first.result_id)
    assert items(fixed) == [] and fixed.result_id != first.result_id
    await asyncio.sleep(0.2)  # (a push would have arrived by now)
    assert uris["seed.py"] not in client.pushed  # type: ignore[attr-defined]


@served
async def test_a_change_of_the_caller_asks_to_pull_the_worker_again(client: LanguageClient, tmp_path: Path):
    """workers.py's MPP101 comes from main.py: editing main.py (unsaved) asks the client to pull again, and the
    worker's pull then answers without the finding."""
    uris = project(tmp_path, {"main.py": MAIN, "workers.py": WORKERS})
    open_document(client, uris["workers.py"], WORKERS)
    open_document(client, uris["main.py"], MAIN)
    assert codes(items(await pull(client, uris["workers.py"]))) == ["MPP101"]
    before = client.refreshes  # type: ignore[attr-defined]
    change_document(client, uris["main.py"], MAIN_WITHOUT_PROXY, 2)
    await refreshed(client, before)
    assert items(await pull(client, uris["workers.py"])) == []
    before = client.refreshes  # type: ignore[attr-defined]
    change_document(client, uris["main.py"], MAIN, 3)
    await refreshed(client, before)
    assert codes(items(await pull(client, uris["workers.py"]))) == ["MPP101"]


@served
async def test_a_document_the_client_never_opened_gets_an_empty_report(client: LanguageClient, tmp_path: Path):
    uris = project(tmp_path, {"seed.py": SEED})
    assert items(await pull(client, uris["seed.py"])) == []
