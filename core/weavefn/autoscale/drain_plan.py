"""Scale-in decisions (pure): admit or refuse, place departing replicas, a drain's state."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from weavefn.autoscale.moves import Move, MovePolicy, MoveRecord, count_done
from weavefn.conditions import ConditionReason
from weavefn.model.operations import DrainDetails, DrainOperation, DrainPhase, Operation
from weavefn.model.units import Version
from weavefn.weaviate.port import ShardingState
from weavefn.weaviate.releases import REPLICA_MOVEMENT_SINCE


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
class DrainPolicy:
    moves: MovePolicy = field(default_factory=MovePolicy)
    max_rounds: int = 3
    """Plans per drain: a collection created on a departing node mid-drain needs another."""
    retry_after: timedelta = timedelta(minutes=15)
    """After a failed drain, scale-in waits this long before trying again."""


@dataclass(frozen=True)
class DrainState:
    """Where a drain stands; round-trips through DrainDetails in status."""

    from_replicas: int
    to_replicas: int
    departing: tuple[str, ...]
    reason: str
    moves: tuple[MoveRecord, ...] = ()
    round: int = 1

    def details(self) -> DrainDetails:
        return DrainDetails(
            from_replicas=self.from_replicas,
            to_replicas=self.to_replicas,
            departing=list(self.departing),
            reason=self.reason,
            round=self.round,
            moves=[m.details() for m in self.moves],
        )

    @classmethod
    def of(cls, details: DrainDetails) -> DrainState:
        return cls(
            from_replicas=details.from_replicas,
            to_replicas=details.to_replicas,
            departing=tuple(details.departing),
            reason=details.reason,
            moves=tuple(MoveRecord.of(m) for m in details.moves),
            round=details.round,
        )

    def progress(self) -> str:
        """``3/8 replicas, 5 -> 3 nodes`` for status and ``weavefn status``."""
        done = count_done(self.moves)
        return (
            f"{done}/{len(self.moves)} replicas, {self.from_replicas} -> {self.to_replicas} nodes"
        )


def retry_at(last: Operation | None, *, policy: DrainPolicy) -> datetime | None:
    """When scale-in may try again after a failed drain; None when nothing holds it back."""
    if not isinstance(last, DrainOperation) or last.phase is not DrainPhase.FAILED:
        return None
    try:
        ended = datetime.fromisoformat(last.phase_started_at)
    except ValueError:
        return None
    return ended + policy.retry_after
