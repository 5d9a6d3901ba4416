"""A fake Weaviate over real HTTP: routes Weaviate's REST endpoints to a shared EmbeddedWeaviate.

Only HTTP plumbing lives here (routing, JSON, status codes, API-key check); every answer comes
from EmbeddedWeaviate and is rendered with weavefn.weaviate.wire. One server stands for one node.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from weavefn.local.weaviate.cluster import EmbeddedWeaviate, SimRefusal
from weavefn.local.weaviate.state import RefusalBody
from weavefn.weaviate import wire
from weavefn.weaviate.port import ReplicationKind

Json = dict[str, Any]
_LOCKS: weakref.WeakKeyDictionary[EmbeddedWeaviate, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_for(sim: EmbeddedWeaviate) -> threading.RLock:
    """One lock per simulation: the servers of all its nodes take turns on it."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(sim, threading.RLock())


@dataclass(frozen=True)
class _Request:
    params: dict[str, str]
    query: dict[str, str]
    body: Any


Handler = Callable[["FakeWeaviate", _Request], tuple[int, Any]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def _route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        _ROUTES.append((method, re.compile(f"^{regex}$"), handler))
        return handler

    return register


class FakeWeaviate:
    """One Weaviate node (default 127.0.0.1, any port); ``with FakeWeaviate(sim, node="weaviate-0") as fake:``."""

    def __init__(
        self,
        sim: EmbeddedWeaviate,
        *,
        node: str | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.sim = sim
        self.node = node
        self.api_key = api_key
        self.host, self.port = host, port
        """Where to listen: a pod's own loopback IP and 8080 behind a real service proxy."""
        self.delay = 0.0
        """Seconds to stall before each answer (timeouts); released by stop()."""
        self.requests: list[tuple[str, str]] = []
        self._lock = _lock_for(sim)
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Weaviate is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeWeaviate:
        server = ThreadingHTTPServer((self.host, self.port), _RequestHandler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._released.clear()
        # A short poll keeps stop() quick: shutdown() waits for the next poll.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeWeaviate:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        """Answer one request: (status, JSON body)."""
        split = urllib.parse.urlsplit(target)
        self.requests.append((method, split.path))
        if self.delay:
            self._released.wait(self.delay)
        if self.api_key is not None and headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"code": 401, "message": "unauthorized: missing or invalid api key"}
        allowed = False
        for verb, pattern, handler in _ROUTES:
            match = pattern.match(split.path)
            if match is None:
                continue
            allowed = True
            if verb != method:
                continue
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                return 400, wire.error_body("request body is not JSON")
            query = dict(urllib.parse.parse_qsl(split.query))
            params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            with self._lock:
                try:
                    return handler(self, _Request(params, query, body))
                except SimRefusal as refusal:
                    return refusal.status, _refusal_body(refusal)
        if allowed:
            return 405, {"code": 405, "message": f"method {method} is not allowed"}
        return 404, {"code": 404, "message": f"path {split.path} was not found"}


class _RequestHandler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        fake: FakeWeaviate = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body = fake.handle(self.command, self.path, self.headers, raw)
        payload = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (a timeout test); nothing left to answer

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_cluster(
    sim: EmbeddedWeaviate, *, api_key: str | None = None
) -> Iterator[dict[str, FakeWeaviate]]:
    """One started FakeWeaviate per node of the simulation, keyed by node name."""
    fakes = {n.name: FakeWeaviate(sim, node=n.name, api_key=api_key) for n in sim.state.nodes}
    try:
        for fake in fakes.values():
            fake.start()
        yield fakes
    finally:
        for fake in fakes.values():
            fake.stop()


def _refusal_body(refusal: SimRefusal) -> Any:
    """The body Weaviate sends with the refusal: its ErrorResponse, nothing, or the router's."""
    if refusal.body is RefusalBody.EMPTY:
        return None
    if refusal.body is RefusalBody.ROUTE:
        return {"code": refusal.status, "message": refusal.message}
    return wire.error_body(refusal.message)


def _field(body: Any, name: str) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise SimRefusal(422, f"{name} is required")
    return value


@_route("GET", "/v1/nodes")
def _nodes(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    nodes = fake.sim.nodes(via=fake.node)
    if req.query.get("output") != "verbose":
        nodes = [replace(n, shards=()) for n in nodes]
    return 200, wire.encode_nodes(nodes)


@_route("GET", "/v1/cluster/statistics")
def _statistics(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    return 200, wire.encode_statistics(fake.sim.cluster_statistics(via=fake.node))


@_route("POST", "/v1/backups/{backend}")
def _create_backup(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    include = req.body.get("include") if isinstance(req.body, dict) else None
    info = fake.sim.create_backup(
        req.params["backend"], _field(req.body, "id"), include=include or None, via=fake.node
    )
    return 200, wire.encode_backup(info)


@_route("GET", "/v1/backups/{backend}")
def _list_backups(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    return 200, wire.encode_backup_list(fake.sim.list_backups(req.params["backend"], via=fake.node))


@_route("GET", "/v1/backups/{backend}/{id}")
def _backup_status(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    info = fake.sim.backup_status(req.params["backend"], req.params["id"], via=fake.node)
    return 200, wire.encode_backup(info, classes=False)


@_route("POST", "/v1/backups/{backend}/{id}/restore")
def _restore(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    body = req.body if isinstance(req.body, dict) else {}
    info = fake.sim.restore_backup(
        req.params["backend"],
        req.params["id"],
        include=_names(body, "include"),
        exclude=_names(body, "exclude"),
        node_mapping=body.get("node_mapping") or None,
        via=fake.node,
    )
    return 200, wire.encode_backup(info)


def _names(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is not None and not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        raise SimRefusal(422, f"{key} must be a list of class names")
    return value or None


@_route("GET", "/v1/backups/{backend}/{id}/restore")
def _restore_status(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    info = fake.sim.restore_status(req.params["backend"], req.params["id"], via=fake.node)
    return 200, wire.encode_backup(info, classes=False)


@_route("DELETE", "/v1/backups/{backend}/{id}/restore")
def _cancel_restore(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    fake.sim.cancel_restore(req.params["backend"], req.params["id"], via=fake.node)
    return 204, None


@_route("GET", "/v1/schema")
def _schema(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    return 200, wire.encode_schema(fake.sim.collections(via=fake.node))


@_route("PUT", "/v1/schema/{collection}/shards/{shard}")
def _shard_status(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    if _field(req.body, "status") != "READY":
        raise SimRefusal(422, "only READY can be set on a shard here")
    fake.sim.set_shard_ready(req.params["collection"], req.params["shard"], via=fake.node)
    return 200, {"status": "READY"}


@_route("GET", "/v1/replication/sharding-state")
def _sharding(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    collection = req.query.get("collection")
    if not collection:
        raise SimRefusal(400, "the collection query parameter is required")
    return 200, wire.encode_sharding(fake.sim.sharding_state(collection, via=fake.node))


@_route("POST", "/v1/replication/replicate")
def _replicate(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    kind = req.body.get("type", "COPY") if isinstance(req.body, dict) else "COPY"
    if kind not in ReplicationKind.__members__:
        raise SimRefusal(422, f"type must be MOVE or COPY, not {kind!r}")
    op_id = fake.sim.replicate(
        collection=_field(req.body, "collection"),
        shard=_field(req.body, "shard"),
        source_node=_field(req.body, "sourceNode"),
        target_node=_field(req.body, "targetNode"),
        kind=ReplicationKind(kind),
        via=fake.node,
    )
    return 200, {"id": op_id}


@_route("GET", "/v1/replication/replicate/{id}")
def _operation(fake: FakeWeaviate, req: _Request) -> tuple[int, Any]:
    op = fake.sim.replication_operation(req.params["id"], via=fake.node)
    return 200, wire.encode_operation(op)
