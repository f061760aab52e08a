"""Latency of ``flake8-mpproxy server``: from an edit (didChange) to the diagnostics of the edited document,
warm, in a generated project (benchmarks/project_tree.py: packages of 20 modules, 2 using managers and passing a
proxy to a worker module).

    python benchmarks/server_latency.py --files 200 --edits 10

Two rows, each the median of ``--edits`` edits after a warm-up: an edit of a module that uses a manager (a
comment line added, the findings unchanged), and an edit of that module that stops passing the proxy, timed to
the re-publication of the worker module (its cross-module finding from that module goes away, then comes
back). The times include
the server's debounce (``protocol.DEBOUNCE_SECONDS``). A plain JSON-RPC client over pipes: no pytest-lsp needed.
"""
from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import project_tree  # noqa: E402


class Client:
    """A minimal LSP client: writes requests and notifications, a thread reads what the server sends."""

    def __init__(self, command: List[str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.inbox: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            assert length is not None
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, method: str, params: Any, request: bool = False) -> Optional[int]:
        message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return message.get("id")

    def wait(self, accept: Any, timeout: float = 120.0) -> Dict[str, Any]:
        """The next message ``accept(message)`` holds for (the others are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            if accept(message):
                return message

    def diagnostics(self, uri: str, version: Optional[int] = None, check: Any = None) -> List[Any]:
        def accept(message: Dict[str, Any]) -> bool:
            params = message.get("params") or {}
            return message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri and \
                (version is None or params.get("version") == version) and \
                (check is None or check(params["diagnostics"]))
        return list(self.wait(accept)["params"]["diagnostics"])

    def close(self) -> None:
        request = self.send("shutdown", None, request=True)
        self.wait(lambda message: message.get("id") == request)
        self.send("exit", None)
        self.process.wait(30)


def measure(tree: Path, edits: int) -> Dict[str, float]:
    client = Client([sys.executable, "-m", "flake8_mpproxy", "server"], tree)
    request = client.send("initialize", {"processId": None, "rootUri": tree.as_uri(), "capabilities": {}},
                          request=True)
    client.wait(lambda message: message.get("id") == request)
    client.send("initialized", {})
    main = tree / "pkg0000" / "main_0.py"
    workers = tree / "pkg0000" / "workers.py"
    text = main.read_text()
    found = {}
    for path in (workers, main):
        client.send("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "python",
                                                              "version": 1, "text": path.read_text()}})
        found[path] = len(client.diagnostics(path.as_uri(), 1))
    assert found[workers], "the worker module has no cross-module finding to lose"
    version = 1
    own: List[float] = []
    for edit in range(edits + 2):  # (two warm-up edits)
        version += 1
        started = time.perf_counter()
        change(client, main, text + f"# edit {edit}\n", version)
        client.diagnostics(main.as_uri(), version)
        if edit >= 2:
            own.append(time.perf_counter() - started)
    cross: List[float] = []
    without = text.replace("shared = manager.dict(", "shared = dict(")
    assert without != text
    for edit in range(edits + 1):
        version += 1
        started = time.perf_counter()
        change(client, main, without if edit % 2 == 0 else text, version)
        expected = found[workers] - 1 if edit % 2 == 0 else found[workers]  # (main_1 still passes one)
        client.diagnostics(workers.as_uri(), check=lambda now: len(now) == expected)
        if edit >= 1:
            cross.append(time.perf_counter() - started)
    client.close()
    return {"own": statistics.median(own), "cross": statistics.median(cross)}


def change(client: Client, path: Path, text: str, version: int) -> None:
    client.send("textDocument/didChange", {"textDocument": {"uri": path.as_uri(), "version": version},
                                           "contentChanges": [{"text": text}]})


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mpp-server-") as tmp:
        tree = Path(tmp) / "tree"
        files, managers = project_tree.generate(tree, args.files)
        result = measure(tree, args.edits)
    print(f"{files} files ({managers} using managers), median of {args.edits} edits, warm:")
    print(f"  edited module re-published:           {result['own'] * 1000:.0f} ms")
    print(f"  worker module re-published (cross):   {result['cross'] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
