"""A local HTTP server that answers like a Kubernetes API server and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None
    delay: float = 0.0


@dataclass
class ApiServer:
    """Canned answers by (method, path); without one, writes echo their body and reads 404."""

    url: str = ""
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(
        self, method: str, path: str, status: int, body: Any = None, *, delay: float = 0.0
    ) -> None:
        self.answers[(method, path)] = Answer(status, body, delay)

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def respond(self, request: Recorded) -> Answer:
        self.requests.append(request)
        canned = self.answers.get((request.method, request.path))
        if canned is not None:
            return canned
        if request.method in ("PUT", "PATCH", "POST") and isinstance(request.body, dict):
            echoed = {
                **request.body,
                "metadata": {**request.body.get("metadata", {}), "resourceVersion": "2"},
            }
            return Answer(201 if request.method == "POST" else 200, echoed)
        if request.method == "DELETE":
            return Answer(200, {"kind": "Status", "status": "Success"})
        return Answer(404, status_body(404, "NotFound", "not found"))


def status_body(
    code: int, reason: str, message: str, causes: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if causes is not None:
        body["details"] = {"causes": causes}
    return body


def _handler(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else None,
            )
            answer = server.respond(request)
            if answer.delay:
                server.release.wait(answer.delay)
            if isinstance(answer.body, str):
                payload = answer.body.encode()  # a proxy's page, not JSON
            else:
                payload = json.dumps(answer.body).encode() if answer.body is not None else b""
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test)

        do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_api_server() -> Iterator[ApiServer]:
    server = ApiServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
