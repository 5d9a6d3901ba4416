"""The simulated Weaviate cluster's state: plain records, their JSON form and placement rules.

Everything here is data and pure functions; behaviour over time lives in backups.py,
replication.py and the EmbeddedWeaviate facade (cluster.py).
"""

from __future__ import annotations

import random
import re
import string
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.weaviate.port import BackupStatus, ReplicationKind, ReplicationState

_OP_NAMESPACE = uuid.UUID("5b0a1f6e-8f0e-4d6b-9a61-0c7f1c3e2d10")
STATE_FORMAT = 1


class RefusalBody(StrEnum):
    """What Weaviate sends with a refusal."""

    ERRORS = "errors"
    """``{"error": [{"message"}]}``, the usual ErrorResponse."""
    EMPTY = "empty"
    """Nothing: the handler's responder has no payload (e.g. sharding-state 404, every 501 of
    a switched-off replication API)."""
    ROUTE = "route"
    """go-openapi's router: ``{"code": 404, "message": "path ... was not found"}``."""


class SimRefusal(Exception):
    """The simulated cluster refuses a request exactly as Weaviate would: status, message and
    the shape of the body it sends (``message`` is for people when the body has none)."""

    def __init__(self, status: int, message: str, *, body: RefusalBody = RefusalBody.ERRORS):
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body

    @property
    def sent_message(self) -> str:
        """The message a client reads: the body's, or the status line's reason phrase."""
        if self.body is RefusalBody.EMPTY:
            return HTTPStatus(self.status).phrase
        return self.message


class BackupFailure(StrEnum):
    STUCK = "stuck"
    """Stays in STARTED forever, as backups (and restores) do after a node restart."""
    FAILED = "failed"
    """Ends FAILED right after STARTED."""


@dataclass(frozen=True)
class PodNode:
    """A node as the orchestrator sees it: pod name, Ready condition, image tag."""

    name: str
    ready: bool
    version: str
    replica_movement: bool | None = None
    """Whether the node's release, with the pod's environment, serves replica movement;
    None when the environment is not known (the cluster-wide switch then decides)."""


@dataclass(frozen=True)
class SimTiming:
    """How long each simulated phase lasts, in seconds of the injected clock."""

    backup_started_s: float = 2.0
    backup_transferring_s: float = 5.0
    restore_started_s: float = 1.0
    restore_transferring_s: float = 5.0
    replication_registered_s: float = 1.0
    replication_hydrating_s: float = 5.0
    replication_finalizing_s: float = 2.0
    replication_integrating_s: float = 1.0
    """Only on 1.38 and later, which have the INTEGRATING state."""
    replication_dehydrating_s: float = 1.0


@dataclass(frozen=True)
class LostReplica:
    """A replica that was on a node when the node left the cluster."""

    collection: str
    shard: str
    node: str
    last_copy: bool
    """True when no other replica of the shard survived: the shard's data is gone."""


@dataclass
class SimNode:
    name: str
    version: str
    ready: bool = True
    healthy: bool = True
    replica_movement: bool | None = None


@dataclass
class SimShard:
    name: str
    replicas: list[str]
    objects: int = 0
    status: str = "READY"


@dataclass
class SimCollection:
    name: str
    factor: int
    shards: list[SimShard] = field(default_factory=list)

    def shard(self, name: str) -> SimShard | None:
        return next((s for s in self.shards if s.name == name), None)


@dataclass
class SimBackup:
    """A backup or restore this cluster runs; what the backend holds is in ``storage.py``."""

    id: str
    backend: str
    started_at: float
    snapshot: list[SimCollection]
    restore: bool = False
    failure: BackupFailure | None = None
    final: BackupStatus | None = None
    error: str | None = None
    location: str = ""
    """Where the backend keeps it (``s3://bucket/path``), as the nodes' settings say."""
    node_mapping: dict[str, str] = field(default_factory=dict)
    """A restore's renaming of the backup's nodes to this cluster's."""

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.snapshot)


@dataclass
class SimOp:
    id: str
    collection: str
    shard: str
    source: str
    target: str
    kind: ReplicationKind
    started_at: float
    failure: str | None = None
    final: ReplicationState | None = None
    errors: list[str] = field(default_factory=list)
    integrating: bool = False
    """Started on a cluster of 1.38+ nodes: it passes through INTEGRATING."""


@dataclass
class SimState:
    """Everything the simulated cluster remembers; JSON-serializable through to_dict."""

    timing: SimTiming = field(default_factory=SimTiming)
    nodes: list[SimNode] = field(default_factory=list)
    voters: list[str] = field(default_factory=list)
    collections: list[SimCollection] = field(default_factory=list)
    backups: list[SimBackup] = field(default_factory=list)
    ops: list[SimOp] = field(default_factory=list)
    lost: list[LostReplica] = field(default_factory=list)
    backends: list[str] = field(default_factory=lambda: ["filesystem", "s3", "gcs", "azure"])
    """The backup modules the nodes enable (ENABLE_MODULES), by backend name."""
    locations: dict[str, str] = field(default_factory=dict)
    """Backend -> where it writes (bucket and path from the nodes' settings); unset: shared."""
    local_storage: dict[str, Any] = field(default_factory=dict)
    """The filesystem backend's backups: on the nodes' own disks, seen by no other cluster."""
    replica_movement_enabled: bool = True
    """Replica movement on the nodes whose own environment is not known."""
    raft_desynchronized: bool = False
    next_backup_failure: BackupFailure | None = None
    next_restore_failure: BackupFailure | None = None
    next_replication_failure: str | None = None
    counter: int = 0

    def node(self, name: str) -> SimNode | None:
        return next((n for n in self.nodes if n.name == name), None)

    def collection(self, name: str) -> SimCollection | None:
        return next((c for c in self.collections if c.name == name), None)

    def next_id(self) -> str:
        self.counter += 1
        return str(uuid.uuid5(_OP_NAMESPACE, str(self.counter)))


def state_to_dict(state: SimState) -> dict[str, Any]:
    data = asdict(state)
    data["format"] = STATE_FORMAT
    return data


def state_from_dict(data: dict[str, Any]) -> SimState:
    try:
        return _state_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(
            [FieldError("weaviate", f"unreadable simulated cluster state: {exc!r}")],
            what="saved state",
        ) from None


def _collection(c: dict[str, Any]) -> SimCollection:
    return SimCollection(
        name=c["name"], factor=int(c["factor"]), shards=[SimShard(**s) for s in c["shards"]]
    )


def _state_from_dict(data: dict[str, Any]) -> SimState:
    if data.get("format") != STATE_FORMAT:
        raise ValueError(f"format {data.get('format')!r} is not {STATE_FORMAT}")
    backups = [
        SimBackup(
            id=b["id"],
            backend=b["backend"],
            started_at=float(b["started_at"]),
            snapshot=[_collection(c) for c in b["snapshot"]],
            restore=bool(b["restore"]),
            failure=BackupFailure(b["failure"]) if b["failure"] else None,
            final=BackupStatus(b["final"]) if b["final"] else None,
            error=b["error"],
            location=str(b.get("location", "")),
            node_mapping=dict(b.get("node_mapping") or {}),
        )
        for b in data["backups"]
    ]
    ops = [
        SimOp(
            id=o["id"],
            collection=o["collection"],
            shard=o["shard"],
            source=o["source"],
            target=o["target"],
            kind=ReplicationKind(o["kind"]),
            started_at=float(o["started_at"]),
            failure=o["failure"],
            final=ReplicationState(o["final"]) if o["final"] else None,
            errors=list(o["errors"]),
            integrating=bool(o.get("integrating", False)),
        )
        for o in data["ops"]
    ]
    failure = data["next_backup_failure"]
    restore_failure = data.get("next_restore_failure")
    return SimState(
        timing=SimTiming(**data["timing"]),
        nodes=[SimNode(**n) for n in data["nodes"]],
        voters=list(data["voters"]),
        collections=[_collection(c) for c in data["collections"]],
        backups=backups,
        ops=ops,
        lost=[LostReplica(**lr) for lr in data["lost"]],
        backends=list(data["backends"]),
        locations=dict(data.get("locations") or {}),
        local_storage=dict(data.get("local_storage") or {}),
        replica_movement_enabled=bool(data["replica_movement_enabled"]),
        raft_desynchronized=bool(data["raft_desynchronized"]),
        next_backup_failure=BackupFailure(failure) if failure else None,
        next_restore_failure=BackupFailure(restore_failure) if restore_failure else None,
        next_replication_failure=data["next_replication_failure"],
        counter=int(data["counter"]),
    )


def default_voters(nodes: list[str]) -> list[str]:
    """The lowest ordinals: 1 voter below 3 nodes, 3 from 3, 5 from 10."""
    count = 1 if len(nodes) < 3 else 3 if len(nodes) < 10 else 5
    return sorted(nodes, key=natural_key)[:count]


def natural_key(name: str) -> tuple[str, int]:
    """Orders ``weaviate-2`` before ``weaviate-10``."""
    match = re.match(r"^(.*?)(\d+)$", name)
    return (match[1], int(match[2])) if match else (name, -1)


def place(nodes: list[str], *, shards: int, factor: int, offset: int) -> list[list[str]]:
    """Replica nodes per shard: consecutive nodes from a rotating start, never one node twice."""
    if factor > len(nodes):
        raise InvalidInputError(
            [FieldError("replication_factor", f"{factor} exceeds the {len(nodes)} node(s)")],
            what="simulated collection",
        )
    return [
        [nodes[(offset + index + j) % len(nodes)] for j in range(factor)] for index in range(shards)
    ]


def shard_name(rng: random.Random) -> str:
    """Weaviate names shards with 12 random letters and digits."""
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))
