"""WeaviateHttpApi: the WeaviateApi port over Weaviate's REST API, on the standard library.

Reaches Weaviate directly (``http://<svc>.<ns>.svc:8080``) or through the Kubernetes API
server's service proxy (``<apiserver>/api/v1/namespaces/<ns>/services/<svc>:8080/proxy``,
with the cluster's bearer token in ``headers``). The API server consumes its own
Authorization header, so behind the proxy a Weaviate API key cannot be passed along; when
both are given, ``headers`` win.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from weavefn.errors import NotFoundError, UnavailableError
from weavefn.weaviate import wire
from weavefn.weaviate.port import (
    BackupInfo,
    CollectionSharding,
    NodeInfo,
    RaftStatistics,
    ReplicationKind,
    ReplicationOp,
    ShardingState,
    error_for_status,
    replication_kind,
    require_names,
    validate_backup_id,
)

_MAX_MESSAGE = 300


class WeaviateHttpApi:
    """The real WeaviateApi. Every call is one bounded HTTP request; nothing is retried here."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._headers = {"Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._headers.update(headers or {})
        # Secrets that must never reach an error message, whatever the server echoes back.
        self._secrets = [s for s in (api_key, *(headers or {}).values()) if s and len(s) >= 4]
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"WeaviateHttpApi({self._base!r})"

    # WeaviateHealth

    def nodes(self) -> list[NodeInfo]:
        return wire.decode_nodes(self._call("GET", "/v1/nodes", query={"output": "verbose"}))

    def cluster_statistics(self) -> RaftStatistics:
        return wire.decode_statistics(self._call("GET", "/v1/cluster/statistics"))

    # WeaviateBackups

    def create_backup(
        self, backend: str, backup_id: str, *, include: list[str] | None = None
    ) -> BackupInfo:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        body: dict[str, Any] = {"id": backup_id}
        if include:
            body["include"] = list(include)
        answer = self._call("POST", f"/v1/backups/{_seg(backend)}", body=body)
        return wire.decode_backup(answer, backend=backend)

    def backup_status(self, backend: str, backup_id: str) -> BackupInfo:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        answer = self._call("GET", f"/v1/backups/{_seg(backend)}/{_seg(backup_id)}")
        return wire.decode_backup(answer, backend=backend)

    # WeaviateRestores

    def list_backups(self, backend: str) -> list[BackupInfo]:
        require_names(backend=backend)
        answer = self._call("GET", f"/v1/backups/{_seg(backend)}")
        return wire.decode_backup_list(answer, backend=backend)

    def restore_backup(
        self,
        backend: str,
        backup_id: str,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        node_mapping: dict[str, str] | None = None,
    ) -> BackupInfo:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        path = f"/v1/backups/{_seg(backend)}/{_seg(backup_id)}/restore"
        body = wire.restore_request(include=include, exclude=exclude, node_mapping=node_mapping)
        return wire.decode_backup(self._call("POST", path, body=body), backend=backend)

    def restore_status(self, backend: str, backup_id: str) -> BackupInfo:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        path = f"/v1/backups/{_seg(backend)}/{_seg(backup_id)}/restore"
        return wire.decode_backup(self._call("GET", path), backend=backend)

    def cancel_restore(self, backend: str, backup_id: str) -> None:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        self._call("DELETE", f"/v1/backups/{_seg(backend)}/{_seg(backup_id)}/restore")

    # WeaviateReplication

    def collections(self) -> list[str]:
        return wire.decode_collections(self._call("GET", "/v1/schema"))

    def sharding_state(self, collection: str | None = None) -> ShardingState:
        if collection is not None:
            return wire.join_sharding([self._sharding(collection)])
        parts = []
        for name in self.collections():
            try:
                parts.append(self._sharding(name))
            except NotFoundError:
                continue  # dropped since the schema was read: it holds no replica any more
        return wire.join_sharding(parts)

    def _sharding(self, collection: str) -> CollectionSharding:
        answer = self._call(
            "GET",
            "/v1/replication/sharding-state",
            query={"collection": collection},
            feature_gate=True,
        )
        return wire.decode_sharding(answer)

    def replicate(
        self,
        *,
        collection: str,
        shard: str,
        source_node: str,
        target_node: str,
        kind: ReplicationKind,
    ) -> str:
        require_names(
            collection=collection, shard=shard, source_node=source_node, target_node=target_node
        )
        body = wire.replicate_request(
            collection=collection,
            shard=shard,
            source_node=source_node,
            target_node=target_node,
            kind=replication_kind(kind),
        )
        answer = self._call("POST", "/v1/replication/replicate", body=body, feature_gate=True)
        return wire.decode_replicate_id(answer)

    def replication_operation(self, op_id: str) -> ReplicationOp:
        require_names(op_id=op_id)
        return wire.decode_operation(self._call("GET", f"/v1/replication/replicate/{_seg(op_id)}"))

    # WeaviateShards

    def set_shard_ready(self, collection: str, shard: str) -> None:
        require_names(collection=collection, shard=shard)
        path = f"/v1/schema/{_seg(collection)}/shards/{_seg(shard)}"
        self._call("PUT", path, body={"status": "READY"})

    # transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        feature_gate: bool = False,
    ) -> Any:
        url = self._base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = dict(self._headers)
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        what = f"{method} {path}"
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            message = self._message_of(exc)
            exc.close()
            raise error_for_status(exc.code, message, feature_gate=feature_gate) from None
        except http.client.HTTPException as exc:
            raise UnavailableError(f"Weaviate broke off its answer to {what}: {exc!r}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                raise UnavailableError(
                    f"Weaviate did not answer {what} within {self._timeout:g}s"
                ) from None
            raise UnavailableError(f"cannot reach Weaviate for {what}: {reason}") from None
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise UnavailableError(f"Weaviate answered {what} with malformed JSON") from None

    def _message_of(self, exc: urllib.error.HTTPError) -> str:
        try:
            raw = exc.read()
        except OSError:
            raw = b""
        try:
            message = wire.error_message(json.loads(raw))
        except ValueError:
            message = ""
        if not message:
            message = raw.decode("utf-8", "replace").strip() or str(exc.reason)
        return self._redact(message)[:_MAX_MESSAGE]

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _seg(value: str) -> str:
    """One URL path segment: a name with '/' or '?' must not change the endpoint."""
    return urllib.parse.quote(value, safe="")


if TYPE_CHECKING:
    from weavefn.weaviate.port import WeaviateApi

    def _conforms(api: WeaviateHttpApi) -> WeaviateApi:
        return api
