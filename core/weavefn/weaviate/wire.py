"""Weaviate's REST JSON shapes: port values to JSON bodies and back, nothing else.

Decoders raise UnavailableError on an answer that is not the documented shape: a proxy error
page or a half-written body is a transient failure of the dependency, not bad user input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from weavefn.errors import UnavailableError
from weavefn.weaviate.port import (
    BackupInfo,
    BackupStatus,
    CollectionSharding,
    NodeInfo,
    NodeShard,
    NodeStatus,
    RaftNode,
    RaftState,
    RaftStatistics,
    ReplicationKind,
    ReplicationOp,
    ShardingState,
    ShardReplicas,
)

Json = dict[str, Any]


@contextmanager
def decoding(what: str) -> Iterator[None]:
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnavailableError(f"unexpected answer from Weaviate for {what}: {exc!r}") from None


def error_body(message: str) -> Json:
    return {"error": [{"message": message}]}


def error_message(body: Any) -> str:
    """Weaviate's own message from an error body (``{"error": [{"message"}]}`` or go-swagger's)."""
    if isinstance(body, dict):
        errors = body.get("error")
        if isinstance(errors, list):
            found = [str(e["message"]) for e in errors if isinstance(e, dict) and "message" in e]
            if found:
                return "; ".join(found)
        if "message" in body:
            return str(body["message"])
    return ""


# GET /v1/nodes?output=verbose


def encode_nodes(nodes: list[NodeInfo]) -> Json:
    out = []
    for node in nodes:
        entry: Json = {"name": node.name, "status": node.status.value}
        if node.status is not NodeStatus.UNAVAILABLE:
            entry["version"] = node.version
            entry["gitHash"] = ""
            entry["stats"] = {"shardCount": node.shard_count, "objectCount": node.object_count}
            entry["shards"] = [
                {
                    "name": s.name,
                    "class": s.collection,
                    "objectCount": s.object_count,
                    "vectorIndexingStatus": "READY",
                    "loaded": True,
                }
                for s in node.shards
            ] or None
        out.append(entry)
    return {"nodes": out}


def decode_nodes(body: Any) -> list[NodeInfo]:
    with decoding("GET /v1/nodes"):
        result = []
        for entry in body["nodes"]:
            stats = entry.get("stats") or {}
            shards = tuple(
                NodeShard(
                    collection=str(s["class"]),
                    name=str(s["name"]),
                    object_count=int(s.get("objectCount") or 0),
                )
                for s in entry.get("shards") or ()
            )
            result.append(
                NodeInfo(
                    name=str(entry["name"]),
                    status=NodeStatus(entry["status"]),
                    version=str(entry.get("version") or ""),
                    shard_count=int(stats.get("shardCount") or 0),
                    object_count=int(stats.get("objectCount") or 0),
                    shards=shards,
                )
            )
        return result


# GET /v1/cluster/statistics


def encode_statistics(stats: RaftStatistics) -> Json:
    out = []
    for node in stats.nodes:
        entry: Json = {"name": node.name, "status": node.status.value}
        if node.state is not None:
            entry.update(
                ready=node.ready,
                isVoter=node.is_voter,
                open=True,
                dbLoaded=node.ready,
                bootstrapped=True,
                leaderId=node.leader_id or "",
                raft={"state": node.state.value},
            )
        out.append(entry)
    return {"statistics": out, "synchronized": stats.synchronized}


def decode_statistics(body: Any) -> RaftStatistics:
    with decoding("GET /v1/cluster/statistics"):
        nodes = []
        for entry in body.get("statistics") or ():
            raft = entry.get("raft") or {}
            leader = entry.get("leaderId")
            nodes.append(
                RaftNode(
                    name=str(entry["name"]),
                    status=NodeStatus(entry["status"]),
                    ready=bool(entry.get("ready", False)),
                    is_voter=bool(entry.get("isVoter", False)),
                    state=RaftState(raft["state"]) if raft.get("state") else None,
                    leader_id=str(leader) if leader else None,
                )
            )
        synchronized = body.get("synchronized", False)
        if not isinstance(synchronized, bool):
            raise TypeError("synchronized is not a boolean")
        return RaftStatistics(synchronized=synchronized, nodes=tuple(nodes))


# /v1/backups/{backend}[/{id}[/restore]]


def encode_backup(info: BackupInfo, *, classes: bool = True) -> Json:
    """A backup's answer; the status endpoints (``GET .../{id}``, ``.../restore``) carry no
    classes, only the create and restore requests' answers do."""
    body: Json = {
        "id": info.id,
        "backend": info.backend,
        "path": info.path,
        "status": info.status.value,
    }
    if classes:
        body["classes"] = list(info.classes)
    if info.error:
        body["error"] = info.error
    return body


def decode_backup(body: Any, *, backend: str) -> BackupInfo:
    with decoding("a backup"):
        return BackupInfo(
            id=str(body["id"]),
            backend=str(body.get("backend") or backend),
            status=BackupStatus(body["status"]),
            classes=tuple(str(c) for c in body.get("classes") or ()),
            path=str(body.get("path") or ""),
            error=str(body["error"]) if body.get("error") else None,
        )


def restore_request(
    *, include: list[str] | None, exclude: list[str] | None, node_mapping: dict[str, str] | None
) -> Json:
    """The body of ``POST .../restore`` (BackupRestoreRequest): only what is asked for."""
    body: Json = {}
    if include:
        body["include"] = list(include)
    if exclude:
        body["exclude"] = list(exclude)
    if node_mapping:
        body["node_mapping"] = dict(node_mapping)
    return body


def encode_backup_list(infos: list[BackupInfo]) -> list[Json]:
    return [{"id": i.id, "status": i.status.value, "classes": list(i.classes)} for i in infos]


def decode_backup_list(body: Any, *, backend: str) -> list[BackupInfo]:
    with decoding("GET /v1/backups/{backend}"):
        if not isinstance(body, list):
            raise TypeError("expected a list of backups")
        return [decode_backup(item, backend=backend) for item in body]


# GET /v1/schema, GET /v1/replication/sharding-state


def encode_schema(collections: list[tuple[str, int, int]]) -> Json:
    """(name, replication factor, shard count) per collection."""
    return {
        "classes": [
            {
                "class": name,
                "replicationConfig": {"factor": factor},
                "shardingConfig": {"desiredCount": shards},
            }
            for name, factor, shards in collections
        ]
    }


def decode_collections(body: Any) -> list[str]:
    with decoding("GET /v1/schema"):
        return [str(c["class"]) for c in body.get("classes") or ()]


def encode_sharding(coll: CollectionSharding) -> Json:
    return {
        "shardingState": {
            "collection": coll.collection,
            "shards": [{"shard": s.shard, "replicas": list(s.replicas)} for s in coll.shards],
        }
    }


def decode_sharding(body: Any) -> CollectionSharding:
    with decoding("GET /v1/replication/sharding-state"):
        state = body["shardingState"]
        return CollectionSharding(
            collection=str(state["collection"]),
            shards=tuple(
                ShardReplicas(
                    shard=str(s["shard"]), replicas=tuple(str(r) for r in s.get("replicas") or ())
                )
                for s in state.get("shards") or ()
            ),
        )


def join_sharding(parts: list[CollectionSharding]) -> ShardingState:
    return ShardingState(collections=tuple(parts))


# /v1/replication/replicate


def replicate_request(
    *, collection: str, shard: str, source_node: str, target_node: str, kind: ReplicationKind
) -> Json:
    return {
        "collection": collection,
        "shard": shard,
        "sourceNode": source_node,
        "targetNode": target_node,
        "type": kind.value,
    }


def decode_replicate_id(body: Any) -> str:
    with decoding("POST /v1/replication/replicate"):
        return str(body["id"])


def encode_operation(op: ReplicationOp, *, started_ms: int = 0) -> Json:
    return {
        "id": op.id,
        "collection": op.collection,
        "shard": op.shard,
        "sourceNode": op.source_node,
        "targetNode": op.target_node,
        "type": op.kind.value,
        "status": {
            "state": str(op.state),
            "errors": [{"message": e, "whenErroredUnixMs": started_ms} for e in op.errors],
        },
        "uncancelable": False,
        "scheduledForCancel": False,
        "scheduledForDelete": False,
        "whenStartedUnixMs": started_ms,
    }


def decode_operation(body: Any) -> ReplicationOp:
    with decoding("GET /v1/replication/replicate/{id}"):
        status = body["status"]
        state = status["state"]
        if not isinstance(state, str) or not state:
            raise ValueError(f"state {state!r} is not a state name")
        # Every release with this API sends {message, whenErroredUnixMs} (openapi-specs/schema.json
        # ReplicationReplicateDetailsReplicaStatusError from v1.32.0); bare strings are tolerated.
        errors = tuple(
            str(e["message"]) if isinstance(e, dict) else str(e) for e in status.get("errors") or ()
        )
        return ReplicationOp(
            id=str(body["id"]),
            collection=str(body["collection"]),
            shard=str(body["shard"]),
            source_node=str(body["sourceNode"]),
            target_node=str(body["targetNode"]),
            kind=ReplicationKind(body["type"]),
            # Kept as sent: a release may add states (1.38 added INTEGRATING).
            state=state,
            errors=errors,
        )
