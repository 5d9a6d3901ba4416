"""The local cluster behind HTTP: the REST paths RealKube calls, answered by a LocalKube.

So the real client path (the official kubernetes client, RealKube, JSON on the wire) can run
against the local cluster in another process, and that process's memory stays out of the
function's. Only what RealKube sends is served: lists (labelSelector, limit, continue), gets,
server-side apply, merge patches of scale, spec and PVC size, status PUT, Event POST, DELETE.
Errors are Status objects with the codes the API server uses (404, 409, 410, 422, 503).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from weavefn.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
    WeavefnError,
)
from weavefn.kube.paging import ListExpiredError
from weavefn.kube.port import LabelSelector, ObjectRef
from weavefn.kube.real_paths import PLURALS
from weavefn.local.kube import LocalKube

Obj = dict[str, Any]
KINDS = {plural: kind for kind, plural in PLURALS.items()} | {"podtemplates": "PodTemplate"}
_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$"
)
_SET = re.compile(r"^\s*(?P<key>[^\s!=]+)\s+in\s+\((?P<values>[^)]*)\)\s*$")


def _dumps(obj: Obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def parse_selector(text: str) -> LabelSelector | None:
    """``a=b,c in (x,y)`` -> {"a": "b", "c": frozenset({"x", "y"})}."""
    found: dict[str, str | frozenset[str]] = {}
    for part in re.split(r",(?![^(]*\))", text):
        if not part.strip():
            continue
        matched = _SET.match(part)
        if matched:
            found[matched["key"]] = frozenset(v.strip() for v in matched["values"].split(","))
        else:
            key, _, value = part.partition("=")
            found[key.strip()] = value.strip()
    return found or None


def status(code: int, reason: str, message: str, **extra: Any) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": extra.pop("metadata", {}),
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
        **extra,
    }


def error_answer(exc: WeavefnError) -> tuple[int, Obj]:
    if isinstance(exc, ListExpiredError):
        meta = {"continue": exc.continue_token} if exc.continue_token else {}
        return 410, status(410, "Expired", str(exc), metadata=meta)
    if isinstance(exc, NotFoundError):
        return 404, status(404, "NotFound", str(exc))
    if isinstance(exc, ConflictError):
        return 409, status(409, "Conflict", str(exc))
    if isinstance(exc, InvalidInputError):
        causes = [{"field": e.path, "message": e.message} for e in exc.errors]
        return 422, status(422, "Invalid", str(exc), details={"causes": causes})
    if isinstance(exc, UnavailableError):
        return 503, status(503, "ServiceUnavailable", str(exc))
    return 500, status(500, "InternalError", str(exc))


class KubeHttp:
    """Routes one request to the LocalKube; returns (status code, JSON body)."""

    def __init__(self, kube: LocalKube) -> None:
        self.kube = kube
        self._encoded: dict[tuple[str, str], bytes] = {}
        """Each stored object's JSON by (uid, resourceVersion): objects are never edited."""

    def handle(
        self, method: str, url: str, body: Any, content_type: str
    ) -> tuple[int, Obj | bytes]:
        parts = urlsplit(url)
        matched = _PATH.match(parts.path)
        if matched is None:
            return 404, status(404, "NotFound", f"no route {parts.path}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        api_version = matched["core"] or f"{matched['group']}/{matched['version']}"
        kind = KINDS.get(matched["plural"], matched["plural"])
        namespace, name, sub = matched["ns"], matched["name"], matched["sub"]
        name = unquote(name) if name else None
        try:
            return 200, self._route(
                method,
                api_version=api_version,
                kind=kind,
                namespace=namespace,
                name=name,
                sub=sub,
                query=query,
                body=body,
                content_type=content_type,
            )
        except WeavefnError as exc:
            return error_answer(exc)

    def _route(  # noqa: PLR0911 # one branch per REST call RealKube makes
        self,
        method: str,
        *,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str | None,
        sub: str | None,
        query: dict[str, str],
        body: Any,
        content_type: str,
    ) -> Obj | bytes:
        kube = self.kube
        if method == "GET" and name is None:
            return self._list(api_version, kind, namespace, query)
        assert name is not None
        ref = ObjectRef(api_version, kind, namespace, name)
        if method == "GET" and sub == "scale":
            if kind == "WeaviateCluster":
                return kube.get_cluster_scale(namespace or "", name)
            scale = kube.get_scale(namespace or "", name)
            return {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "resourceVersion": scale.resource_version,
                },
                "spec": {"replicas": scale.replicas},
            }
        if method == "GET":
            found = kube.get(ref)
            if found is None:
                raise NotFoundError(f'{kind} "{name}" not found')
            return found
        if method == "PATCH" and "apply-patch" in content_type:
            manager = query.get("fieldManager", "weavefn")
            force = query.get("force") == "true"
            return kube.apply(body, field_manager=manager, force=force)
        if method == "PATCH" and sub == "scale":
            version = (body.get("metadata") or {}).get("resourceVersion")
            scale = kube.patch_scale(
                namespace or "", name, int(body["spec"]["replicas"]), resource_version=version
            )
            return {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "resourceVersion": scale.resource_version,
                },
                "spec": {"replicas": scale.replicas},
            }
        if method == "PATCH" and kind == "WeaviateCluster":
            version = (body.get("metadata") or {}).get("resourceVersion") or ""
            return kube.patch_cluster_spec(
                namespace or "", name, body.get("spec") or {}, resource_version=version
            )
        if method == "PATCH" and kind == "PersistentVolumeClaim":
            size = body["spec"]["resources"]["requests"]["storage"]
            return kube.patch_pvc_size(namespace or "", name, size)
        if method == "PUT" and sub == "status":
            return kube.replace_cluster_status(body)
        if method == "DELETE":
            left = kube.delete(ref, propagation=(body or {}).get("propagationPolicy", "Background"))
            return left if left is not None else {"kind": "Status", "status": "Success"}
        raise NotFoundError(f"{method} {kind} {sub or ''} is not served here")

    def _list(
        self, api_version: str, kind: str, namespace: str | None, query: dict[str, str]
    ) -> bytes:
        page = self.kube.serve_page(
            api_version,
            kind,
            namespace=namespace,
            selector=parse_selector(query.get("labelSelector", "")),
            limit=int(query.get("limit") or 0),
            continue_token=query.get("continue") or None,
        )
        meta: Obj = {"resourceVersion": page.resource_version}
        if page.continue_token:
            meta["continue"] = page.continue_token
        if page.remaining is not None:
            meta["remainingItemCount"] = page.remaining
        head = {"kind": f"{kind}List", "apiVersion": api_version, "metadata": meta}
        items = b",".join(self._encode(o) for o in page.items)
        return _dumps(head)[:-1] + b',"items":[' + items + b"]}"

    def _encode(self, obj: Obj) -> bytes:
        meta = obj["metadata"]
        key = (str(meta.get("uid")), str(meta.get("resourceVersion")))
        found = self._encoded.get(key)
        if found is None:
            found = self._encoded[key] = _dumps(obj)
        return found

    def calls(self, *, reset: bool) -> Obj:
        """The call counts of the local cluster (``/_local/calls``; DELETE resets them)."""
        counts = {"reads": self.kube.reads, "writes": self.kube.writes}
        if reset:
            self.kube.reset_calls()
        return counts

    def create_event(self, body: Obj) -> Obj:
        self.kube.create_event(body)
        return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    router: KubeHttp
    latency: float

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        if self.latency:
            time.sleep(self.latency)
        if self.path.startswith("/_local/calls"):
            code, answer = 200, self.router.calls(reset=self.command == "DELETE")
        elif self.command == "POST" and self.path.rstrip("/").endswith("/events"):
            try:
                code, answer = 201, self.router.create_event(body)
            except WeavefnError as exc:
                code, answer = error_answer(exc)
        else:
            code, answer = self.router.handle(
                self.command, self.path, body, self.headers.get("Content-Type", "")
            )
        data = answer if isinstance(answer, bytes) else _dumps(answer)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # the base class names it so
        return


def make_server(kube: LocalKube, *, latency: float = 0.0, port: int = 0) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"router": KubeHttp(kube), "latency": latency})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


@contextmanager
def serving(kube: LocalKube, *, latency: float = 0.0) -> Iterator[str]:
    """Serve ``kube`` on a free loopback port in a thread; yields its URL."""
    server = make_server(kube, latency=latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
