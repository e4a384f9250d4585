"""A small Language Server Protocol client over stdio, for tests.

JSON-RPC messages framed with ``Content-Length`` headers over the server's
stdin/stdout. A reader thread parses the server's output; it answers the
server's own requests (``workspace/configuration`` from ``settings``, the rest
with ``null``) and records ``textDocument/publishDiagnostics``. Every wait has a
timeout, and ``close()`` kills the process if it does not exit by itself.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import deque
from pathlib import Path


class LspError(RuntimeError):
    pass


class LspClient:
    def __init__(self, argv: list[str], settings: dict, cwd: str | Path | None = None):
        self.settings = settings  # section name -> value, served to workspace/configuration
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._next_id = 0
        self._responses: dict[int, dict] = {}
        self._publishes: list[tuple[float, str, list]] = []  # (monotonic time, uri, diagnostics)
        self.config_requests = 0
        self.log: deque[str] = deque(maxlen=200)  # window/logMessage and stderr, for failure reports
        self._threads = [threading.Thread(target=self._read_loop, daemon=True),
                         threading.Thread(target=self._drain_stderr, daemon=True)]
        for thread in self._threads:
            thread.start()

    # -- wire -------------------------------------------------------------------------------

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        with self._write_lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read_message(self) -> dict | None:
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                return None  # server exited
            line = line.strip()
            if not line:
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if length is None:
            raise LspError("message without Content-Length")
        body = self.proc.stdout.read(length)
        return json.loads(body) if len(body) == length else None

    def _read_loop(self) -> None:
        try:
            while (message := self._read_message()) is not None:
                self._dispatch(message)
        finally:
            with self._cond:
                self._cond.notify_all()

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self.log.append("stderr: " + line.decode(errors="replace").rstrip())

    def _dispatch(self, message: dict) -> None:
        method = message.get("method")
        if method is not None and "id" in message:  # a request from the server
            result = None
            if method == "workspace/configuration":
                with self._cond:
                    self.config_requests += 1
                    self._cond.notify_all()
                result = [self.settings.get(item.get("section")) for item in message["params"]["items"]]
            self._send({"id": message["id"], "result": result})
        elif method == "textDocument/publishDiagnostics":
            params = message["params"]
            with self._cond:
                self._publishes.append((time.monotonic(), params["uri"], params["diagnostics"]))
                self._cond.notify_all()
        elif method in ("window/logMessage", "window/showMessage"):
            self.log.append(f"{method}: {message['params'].get('message')}")
        elif method is None:  # a response to one of our requests
            with self._cond:
                self._responses[message["id"]] = message
                self._cond.notify_all()

    def _wait(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := predicate()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LspError(f"timed out after {timeout} s waiting for {what}\n" + self.tail())
                if self.proc.poll() is not None:
                    raise LspError(f"server exited ({self.proc.returncode}) while waiting for {what}\n"
                                   + self.tail())
                self._cond.wait(min(left, 0.1))
            return value

    def tail(self) -> str:
        return "server log:\n  " + "\n  ".join(self.log)

    # -- protocol ---------------------------------------------------------------------------

    def request(self, method: str, params: dict | None, timeout: float = 10.0):
        with self._cond:
            self._next_id += 1
            rid = self._next_id
        self._send({"id": rid, "method": method, **({} if params is None else {"params": params})})
        response = self._wait(lambda: self._responses.pop(rid, None), timeout, f"reply to {method}")
        if "error" in response:
            raise LspError(f"{method} failed: {response['error']}")
        return response.get("result")

    def notify(self, method: str, params: dict | None) -> None:
        self._send({"method": method, **({} if params is None else {"params": params})})

    def initialize(self, root: Path, timeout: float = 20.0) -> dict:
        result = self.request("initialize", {
            "processId": None,
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {
                "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": True}},
                "textDocument": {
                    "publishDiagnostics": {"relatedInformation": True},
                    "completion": {"completionItem": {"snippetSupport": True}},
                },
            },
        }, timeout)
        self.notify("initialized", {})
        # Validation waits for settings: see the server pull them before opening documents.
        self._wait(lambda: self.config_requests > 0, timeout, "workspace/configuration")
        return result

    def publish_count(self) -> int:
        with self._cond:
            return len(self._publishes)

    def diagnostics(self, uri: str, since: int, timeout: float = 10.0, quiet: float = 0.5) -> list[dict]:
        """The diagnostics of ``uri`` once a publish newer than ``since`` (a publish_count())
        arrived and none followed for ``quiet`` seconds."""
        def latest():
            return next((p for p in reversed(self._publishes[since:]) if p[1] == uri), None)

        deadline = time.monotonic() + timeout
        while True:
            stamp, _, diags = self._wait(latest, max(deadline - time.monotonic(), 0.01),
                                         f"diagnostics for {uri}")
            settle = stamp + quiet - time.monotonic()
            if settle > 0:
                time.sleep(settle)
            with self._cond:
                if latest()[0] == stamp:
                    return diags

    def open(self, uri: str, text: str, language: str = "yaml") -> int:
        """didOpen; returns the publish count to pass to diagnostics()."""
        since = self.publish_count()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": 1, "text": text}})
        return since

    def close(self, timeout: float = 5.0) -> None:
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout)
                self.notify("exit", None)
                self.proc.wait(timeout)
        except (LspError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout)
            for thread in self._threads:  # they end at EOF, now that the process is gone
                thread.join(timeout)
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()
                except OSError:
                    pass
