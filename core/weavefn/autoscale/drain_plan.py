"""Scale-in decisions (pure): admit or refuse, place departing replicas, track each MOVE."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from weavefn.conditions import ConditionReason
from weavefn.model.units import Version
from weavefn.weaviate.port import (
    REPLICA_MOVEMENT_SINCE,
    ReplicationOp,
    ReplicationState,
    ShardingState,
)


def ordinal_key(node: str) -> tuple[str, int]:
    """Orders ``x-2`` before ``x-10``, as StatefulSet ordinals go."""
    match = re.match(r"^(.*?)(\d+)$", node)
    return (match[1], int(match[2])) if match else (node, -1)


@dataclass(frozen=True)
class Blocked:
    """Why a scale-in cannot happen now; the reason names the rule."""

    reason: ConditionReason
    message: str


def _too_old(version: str) -> bool:
    try:
        return Version.parse(version) < Version.parse(REPLICA_MOVEMENT_SINCE)
    except ValueError:
        return True  # an unreadable tag promises no replica movement


def admit_scale_in(
    *,
    current: int,
    requested: int,
    voters: int,
    min_replicas: int,
    versions: Iterable[str],
    movement_enabled: bool,
) -> int | Blocked:
    """The replica count a scale-in may go to, or why it may not happen at all."""
    floor = max(voters, min_replicas, 1)
    target = max(requested, floor)
    if target >= current:
        return Blocked(
            ConditionReason.REPLICA_FLOOR,
            f"scale-in to {requested} refused: {current} replicas is the floor "
            f"(Raft voters {voters}, minReplicas {min_replicas})",
        )
    seen = sorted(set(versions))
    old = [v for v in seen if _too_old(v)]
    if old or not seen:
        found = ", ".join(old) or "unknown"
        return Blocked(
            ConditionReason.VERSION_UNSUPPORTED,
            f"scale-in {current} -> {target} refused: Weaviate {found} cannot move replicas "
            f"(needs {REPLICA_MOVEMENT_SINCE}+ on every node)",
        )
    if not movement_enabled:
        return Blocked(
            ConditionReason.MOVEMENT_DISABLED,
            f"scale-in {current} -> {target} refused: replica movement is disabled "
            "(set spec.replication.replicaMovement: true)",
        )
    return target


@dataclass(frozen=True, order=True)
class Move:
    """One replica to MOVE from a node to another."""

    collection: str
    shard: str
    source: str
    target: str


def replica_loads(sharding: ShardingState, nodes: Iterable[str]) -> dict[str, int]:
    """How many replicas each of ``nodes`` holds."""
    loads = dict.fromkeys(nodes, 0)
    for coll in sharding.collections:
        for shard in coll.shards:
            for node in shard.replicas:
                if node in loads:
                    loads[node] += 1
    return loads


def holding(sharding: ShardingState, nodes: Iterable[str]) -> list[tuple[str, str, str]]:
    """(collection, shard, node) of every replica one of ``nodes`` still holds."""
    wanted = set(nodes)
    return [
        (coll.collection, shard.shard, node)
        for coll in sharding.collections
        for shard in coll.shards
        for node in shard.replicas
        if node in wanted
    ]


def plan_drain(
    sharding: ShardingState, *, remaining: Sequence[str], departing: Sequence[str]
) -> tuple[Move, ...] | Blocked:
    """MOVEs that empty ``departing`` onto ``remaining``, or why the rest cannot hold the data.

    Each shard keeps its replica count, no node gets a second replica of a shard, and each
    replica goes to the least-loaded eligible node (ties: lowest ordinal), so the same
    sharding state always gives the same plan.
    """
    rank = {node: i for i, node in enumerate(sorted(remaining, key=ordinal_key))}
    loads = replica_loads(sharding, remaining)
    leaving = set(departing)
    moves: list[Move] = []
    for coll in sorted(sharding.collections, key=lambda c: c.collection):
        for shard in sorted(coll.shards, key=lambda s: s.shard):
            holders = set(shard.replicas)
            for source in sorted(holders & leaving, key=ordinal_key):
                eligible = [n for n in rank if n not in holders]
                if not eligible:
                    return Blocked(
                        ConditionReason.INSUFFICIENT_NODES,
                        f"shard {shard.shard} of {coll.collection} has {len(holders)} replicas; "
                        f"only {len(rank)} node(s) would remain to hold them",
                    )
                target = min(eligible, key=lambda n: (loads[n], rank[n]))
                holders.add(target)
                loads[target] += 1
                moves.append(Move(coll.collection, shard.shard, source, target))
    return tuple(moves)


@dataclass(frozen=True)
class MovePolicy:
    max_in_flight: int = 4
    """MOVEs running at once: each copies a whole shard replica over the network."""
    max_attempts: int = 3


class MoveStage(StrEnum):
    PENDING = "Pending"
    STARTING = "Starting"
    """Written before the request: a crash here is resolved from the sharding state."""
    RUNNING = "Running"
    DONE = "Done"
    FAILED = "Failed"


@dataclass(frozen=True)
class MoveRecord:
    """A planned MOVE and where it stands; kept in status.operation.details."""

    move: Move
    stage: MoveStage = MoveStage.PENDING
    op_id: str | None = None
    state: str | None = None
    attempts: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "collection": self.move.collection,
            "shard": self.move.shard,
            "source": self.move.source,
            "target": self.move.target,
            "stage": str(self.stage),
            "attempts": self.attempts,
        }
        for key, value in (("id", self.op_id), ("state", self.state), ("error", self.error)):
            if value is not None:
                found[key] = value
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MoveRecord:
        move = Move(
            str(data["collection"]), str(data["shard"]), str(data["source"]), str(data["target"])
        )
        return cls(
            move,
            MoveStage(data["stage"]),
            data.get("id"),
            data.get("state"),
            int(data.get("attempts", 0)),
            data.get("error"),
        )


def failed_attempt(record: MoveRecord, error: str, *, max_attempts: int) -> MoveRecord:
    """A MOVE that was refused or ended CANCELLED: try again, or give up on it."""
    attempts = record.attempts + 1
    stage = MoveStage.FAILED if attempts >= max_attempts else MoveStage.PENDING
    return replace(record, stage=stage, op_id=None, attempts=attempts, error=error)


def observed(record: MoveRecord, op: ReplicationOp, *, max_attempts: int) -> MoveRecord:
    """The record after Weaviate reported its operation."""
    if op.state is ReplicationState.READY:
        return replace(record, stage=MoveStage.DONE, state=str(op.state), error=None)
    if op.state is ReplicationState.CANCELLED:
        failed = failed_attempt(record, op.error or "cancelled", max_attempts=max_attempts)
        return replace(failed, state=str(op.state))
    return replace(record, stage=MoveStage.RUNNING, state=str(op.state))


def settled(record: MoveRecord, sharding: ShardingState, *, max_attempts: int) -> MoveRecord:
    """A MOVE left STARTING by a crash: done if the placement shows it, otherwise retried."""
    replicas = sharding.replicas_of(record.move.collection, record.move.shard)
    if record.move.target in replicas and record.move.source not in replicas:
        return replace(record, stage=MoveStage.DONE, state=str(ReplicationState.READY))
    return failed_attempt(record, "interrupted before Weaviate answered", max_attempts=max_attempts)


def to_start(records: Sequence[MoveRecord], *, limit: int) -> list[int]:
    """Indexes of pending MOVEs to start now: within ``limit`` in flight, one per shard."""
    busy = {
        (r.move.collection, r.move.shard)
        for r in records
        if r.stage in (MoveStage.RUNNING, MoveStage.STARTING)
    }
    room = limit - len(busy)
    chosen: list[int] = []
    for index, record in enumerate(records):
        key = (record.move.collection, record.move.shard)
        if room <= 0:
            break
        if record.stage is MoveStage.PENDING and key not in busy:
            chosen.append(index)
            busy.add(key)
            room -= 1
    return chosen


def count_done(records: Iterable[MoveRecord]) -> int:
    return sum(1 for r in records if r.stage is MoveStage.DONE)


class DrainPhase(StrEnum):
    PLANNING = "Planning"
    MOVING = "Moving"
    VERIFYING = "Verifying"
    SHRINKING = "Shrinking"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True)
class DrainPolicy:
    moves: MovePolicy = field(default_factory=MovePolicy)
    max_rounds: int = 3
    """Plans per drain: a collection created on a departing node mid-drain needs another."""
    retry_after: timedelta = timedelta(minutes=15)
    """After a failed drain, scale-in waits this long before trying again."""


@dataclass(frozen=True)
class DrainState:
    """status.operation.details of a drain."""

    from_replicas: int
    to_replicas: int
    departing: tuple[str, ...]
    reason: str
    moves: tuple[MoveRecord, ...] = ()
    round: int = 1

    def details(self) -> dict[str, Any]:
        return {
            "fromReplicas": self.from_replicas,
            "toReplicas": self.to_replicas,
            "departing": list(self.departing),
            "reason": self.reason,
            "round": self.round,
            "moves": [m.to_dict() for m in self.moves],
        }

    @classmethod
    def of(cls, details: dict[str, Any]) -> DrainState:
        return cls(
            from_replicas=int(details["fromReplicas"]),
            to_replicas=int(details["toReplicas"]),
            departing=tuple(str(n) for n in details["departing"]),
            reason=str(details.get("reason", "")),
            moves=tuple(MoveRecord.from_dict(m) for m in details.get("moves", [])),
            round=int(details.get("round", 1)),
        )

    def progress(self) -> str:
        """``3/8 replicas, 5 -> 3 nodes`` for status and ``weavefn status``."""
        done = count_done(self.moves)
        return (
            f"{done}/{len(self.moves)} replicas, {self.from_replicas} -> {self.to_replicas} nodes"
        )
