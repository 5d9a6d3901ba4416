"""The WeaviateApi port: what the core reads from and asks of one Weaviate cluster.

Results cross this boundary as frozen dataclasses. Errors cross it as weavefn errors:
UnavailableError (5xx, timeouts, unreadable answers), NotFoundError (404),
ReplicaMovementUnsupportedError (the replica movement API is missing or disabled),
TerminalError (any other refusal, carrying Weaviate's own message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from weavefn.errors import (
    ConflictError,
    FieldError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
    WeavefnError,
)
from weavefn.weaviate.releases import REPLICA_MOVEMENT_SINCE

# Weaviate's rule for backup ids: lowercase letters, digits, "_" and "-".
BACKUP_ID = re.compile(r"^[a-z0-9_-]+$")
# go-openapi's answer for a path the server does not route (middleware/router.go NotFound):
# a release before 1.32 has no /v1/replication/* at all.
_NO_ROUTE = re.compile(r"^path \S+ was not found$")
_MOVEMENT_OFF = (
    "replica movement is switched off on the answering node (REPLICA_MOVEMENT_ENABLED; "
    "REPLICA_MOVEMENT_DISABLED on 1.32.0-1.32.15 and 1.33.0-1.33.3)"
)


class ReplicaMovementUnsupportedError(TerminalError):
    """The cluster has no usable replica movement API (older than 1.32, or not enabled)."""


class NodeStatus(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNAVAILABLE = "UNAVAILABLE"
    TIMEOUT = "TIMEOUT"


class RaftState(StrEnum):
    LEADER = "Leader"
    FOLLOWER = "Follower"
    CANDIDATE = "Candidate"
    SHUTDOWN = "Shutdown"


class BackupStatus(StrEnum):
    STARTED = "STARTED"
    TRANSFERRING = "TRANSFERRING"
    TRANSFERRED = "TRANSFERRED"
    FINALIZING = "FINALIZING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELED = "CANCELED"

    @property
    def finished(self) -> bool:
        return self in (BackupStatus.SUCCESS, BackupStatus.FAILED, BackupStatus.CANCELED)


class ReplicationKind(StrEnum):
    MOVE = "MOVE"
    COPY = "COPY"


class ReplicationState(StrEnum):
    """The states weavefn knows (cluster/proto/api/shard_requests.go); Weaviate may add more,
    as 1.38 added INTEGRATING, so a ReplicationOp carries the state as text."""

    REGISTERED = "REGISTERED"
    HYDRATING = "HYDRATING"
    FINALIZING = "FINALIZING"
    INTEGRATING = "INTEGRATING"
    DEHYDRATING = "DEHYDRATING"
    READY = "READY"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in (ReplicationState.READY, ReplicationState.CANCELLED)


@dataclass(frozen=True)
class NodeShard:
    """One shard replica as a node reports it."""

    collection: str
    name: str
    object_count: int = 0


@dataclass(frozen=True)
class NodeInfo:
    """One member of the cluster, as ``GET /v1/nodes?output=verbose`` reports it."""

    name: str
    status: NodeStatus
    version: str = ""
    shard_count: int = 0
    object_count: int = 0
    shards: tuple[NodeShard, ...] = ()


@dataclass(frozen=True)
class RaftNode:
    """One node's view of the Raft cluster (``GET /v1/cluster/statistics``)."""

    name: str
    status: NodeStatus
    ready: bool = False
    is_voter: bool = False
    state: RaftState | None = None
    leader_id: str | None = None


@dataclass(frozen=True)
class RaftStatistics:
    synchronized: bool
    nodes: tuple[RaftNode, ...] = ()

    @property
    def leader(self) -> str | None:
        """The leader every healthy node agrees on, or None."""
        leaders = {n.leader_id for n in self.nodes if n.status is NodeStatus.HEALTHY}
        if len(leaders) == 1:
            return next(iter(leaders))
        return None


@dataclass(frozen=True)
class BackupInfo:
    """A backup (or restore) and where it stands."""

    id: str
    backend: str
    status: BackupStatus
    classes: tuple[str, ...] = ()
    path: str = ""
    error: str | None = None


@dataclass(frozen=True)
class ShardReplicas:
    shard: str
    replicas: tuple[str, ...]


@dataclass(frozen=True)
class CollectionSharding:
    collection: str
    shards: tuple[ShardReplicas, ...]


@dataclass(frozen=True)
class ShardingState:
    """Which nodes hold a replica of which shard, per collection."""

    collections: tuple[CollectionSharding, ...] = ()

    def replicas_on(self, node: str) -> list[tuple[str, str]]:
        """(collection, shard) of every replica the node holds."""
        return [
            (coll.collection, shard.shard)
            for coll in self.collections
            for shard in coll.shards
            if node in shard.replicas
        ]

    def replicas_of(self, collection: str, shard: str) -> tuple[str, ...]:
        for coll in self.collections:
            if coll.collection == collection:
                for entry in coll.shards:
                    if entry.shard == shard:
                        return entry.replicas
        return ()


@dataclass(frozen=True)
class ReplicationOp:
    """A replica movement operation (``GET /v1/replication/replicate/{id}``)."""

    id: str
    collection: str
    shard: str
    source_node: str
    target_node: str
    kind: ReplicationKind
    state: str
    """As Weaviate reports it; compares equal to the ReplicationState of the same name."""
    errors: tuple[str, ...] = ()

    @property
    def error(self) -> str | None:
        return self.errors[-1] if self.errors else None

    @property
    def finished(self) -> bool:
        """READY or CANCELLED; any other state, known or not, is still under way."""
        return self.state in (ReplicationState.READY, ReplicationState.CANCELLED)

    @property
    def known_state(self) -> bool:
        return self.state in ReplicationState.__members__


class WeaviateHealth(Protocol):
    """Membership, health and Raft agreement."""

    def nodes(self) -> list[NodeInfo]: ...

    def cluster_statistics(self) -> RaftStatistics: ...


class WeaviateBackups(Protocol):
    """Backups through a configured backup module (``filesystem``, ``s3``, ``gcs``, ``azure``)."""

    def create_backup(
        self, backend: str, backup_id: str, *, include: list[str] | None = None
    ) -> BackupInfo: ...

    def backup_status(self, backend: str, backup_id: str) -> BackupInfo: ...


class WeaviateRestores(Protocol):
    """Restoring a finished backup, and what a backend holds (the list needs 1.30.12, 1.31.5
    or 1.32+: ``releases.lists_backups``)."""

    def list_backups(self, backend: str) -> list[BackupInfo]: ...

    def restore_backup(
        self,
        backend: str,
        backup_id: str,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        node_mapping: dict[str, str] | None = None,
    ) -> BackupInfo:
        """Start restoring a finished backup's collections (``include`` or ``exclude`` some);
        ``node_mapping`` renames the backup's nodes to this cluster's."""
        ...

    def restore_status(self, backend: str, backup_id: str) -> BackupInfo:
        """The restore of ``backup_id`` running here, else the last one the backend records."""
        ...

    def cancel_restore(self, backend: str, backup_id: str) -> None:
        """Cancel the restore of ``backup_id`` running here: it ends CANCELED. Needs 1.36+
        (``releases.cancels_restores``); one already CANCELED is no error, a SUCCESS is (422)."""
        ...


class WeaviateReplication(Protocol):
    """Where shard replicas live, and moving them (Weaviate 1.32+)."""

    def collections(self) -> list[str]: ...

    def sharding_state(self, collection: str | None = None) -> ShardingState: ...

    def replicate(
        self,
        *,
        collection: str,
        shard: str,
        source_node: str,
        target_node: str,
        kind: ReplicationKind,
    ) -> str:
        """Start a MOVE or COPY; return the operation id."""
        ...

    def replication_operation(self, op_id: str) -> ReplicationOp: ...


class WeaviateShards(Protocol):
    """Shard status: shards go READONLY on a full disk and must be set back after growing it."""

    def set_shard_ready(self, collection: str, shard: str) -> None: ...


class WeaviateApi(
    WeaviateHealth,
    WeaviateBackups,
    WeaviateRestores,
    WeaviateReplication,
    WeaviateShards,
    Protocol,
):
    """Everything weavefn needs from one Weaviate cluster."""


def validate_backup_id(backup_id: str, *, path: str = "backup_id") -> None:
    if not BACKUP_ID.match(backup_id):
        raise InvalidInputError(
            [FieldError(path, f"{backup_id!r} must be lowercase letters, digits, '_' or '-'")],
            what="backup request",
        )


def require_names(**names: str) -> None:
    """Refuse empty names before they reach Weaviate, naming every offending field."""
    problems = [FieldError(field, "must not be empty") for field, v in names.items() if not v]
    if problems:
        raise InvalidInputError(problems, what="Weaviate request")


def replication_kind(kind: str) -> ReplicationKind:
    try:
        return ReplicationKind(kind)
    except ValueError:
        raise InvalidInputError(
            [FieldError("kind", f"{kind!r} is not one of MOVE, COPY")], what="Weaviate request"
        ) from None


def error_for_status(status: int, message: str, *, feature_gate: bool = False) -> WeavefnError:
    """Map one of Weaviate's HTTP refusals to a weavefn error.

    501 is how the replication handlers answer when movement is switched off
    (adapters/handlers/rest/replication/handlers_setup.go, setupUnimplementedHandlers). A 404
    is what it says, e.g. a collection that is gone (GET /v1/replication/sharding-state answers
    404 for an unknown collection); only on ``feature_gate`` requests, and only when it is the
    router's own "path ... was not found", does it mean the API does not exist (before 1.32).
    Retrying fixes neither of those, so they are terminal.
    """
    text = f"Weaviate answered {status}: {message}" if message else f"Weaviate answered {status}"
    if status == 501:
        return ReplicaMovementUnsupportedError(f"{text} ({_MOVEMENT_OFF})")
    if status == 404 and feature_gate and _NO_ROUTE.match(message):
        return ReplicaMovementUnsupportedError(
            f"{text} (no replica movement API: it needs Weaviate {REPLICA_MOVEMENT_SINCE}+)"
        )
    if status == 404:
        return NotFoundError(text)
    if status == 409:
        return ConflictError(text)
    if status == 429 or status >= 500:
        return UnavailableError(text)
    return TerminalError(text)
