"""Replica MOVEs for drains and rebalancing: status records, pure transitions, run_moves (I/O)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from weavefn.errors import NotFoundError, RetryableError, TerminalError
from weavefn.model.operations import MoveDetails, MoveStage
from weavefn.reconcile.context import ClusterContext
from weavefn.weaviate.port import (
    ReplicationKind,
    ReplicationOp,
    ReplicationState,
    ShardingState,
    WeaviateHealth,
    WeaviateReplication,
)


class MovingApi(WeaviateHealth, WeaviateReplication, Protocol):
    """What drains and rebalances ask of Weaviate: who serves, where replicas are, moving them."""


ApiFor = Callable[[ClusterContext], MovingApi]
"""The Weaviate of the cluster a pass is about."""

log = logging.getLogger("weavefn")
_UNKNOWN_STATES: set[str] = set()
_UNKNOWN_LOCK = threading.Lock()


def _note_unknown_state(op: ReplicationOp) -> None:
    """Log a replication state weavefn does not know, once per process and state."""
    if op.known_state:
        return
    with _UNKNOWN_LOCK:
        if op.state in _UNKNOWN_STATES:
            return
        _UNKNOWN_STATES.add(op.state)
    log.warning(
        "Weaviate reports replication state %r, unknown to weavefn: treated as in progress "
        "until READY or CANCELLED",
        op.state,
    )


@dataclass(frozen=True, order=True)
class Move:
    """One replica to MOVE from a node to another."""

    collection: str
    shard: str
    source: str
    target: str


@dataclass(frozen=True)
class MovePolicy:
    max_in_flight: int = 4
    """MOVEs running at once: each copies a whole shard replica over the network."""
    max_attempts: int = 3
    starting_grace: timedelta = timedelta(minutes=2)
    """How long a MOVE whose request was cut off may still land before it is retried."""


SETTLED = (MoveStage.DONE, MoveStage.GONE)
"""The stages in which a MOVE needs nothing more."""


@dataclass(frozen=True)
class MoveRecord:
    """A planned MOVE and where it stands; kept in status.operation as MoveDetails."""

    move: Move
    stage: MoveStage = MoveStage.PENDING
    op_id: str | None = None
    state: str | None = None
    attempts: int = 0
    error: str | None = None
    since: str | None = None
    """When the record went STARTING (RFC 3339)."""

    def details(self) -> MoveDetails:
        return MoveDetails(
            collection=self.move.collection,
            shard=self.move.shard,
            source=self.move.source,
            target=self.move.target,
            stage=self.stage,
            attempts=self.attempts,
            op_id=self.op_id,
            state=self.state,
            error=self.error,
            since=self.since,
        )

    @classmethod
    def of(cls, details: MoveDetails) -> MoveRecord:
        move = Move(details.collection, details.shard, details.source, details.target)
        return cls(
            move,
            details.stage,
            details.op_id,
            details.state,
            details.attempts,
            details.error,
            details.since,
        )


def failed_attempt(record: MoveRecord, error: str, *, max_attempts: int) -> MoveRecord:
    """A MOVE that was refused or ended CANCELLED: try again, or give up on it."""
    attempts = record.attempts + 1
    stage = MoveStage.FAILED if attempts >= max_attempts else MoveStage.PENDING
    return replace(record, stage=stage, op_id=None, attempts=attempts, error=error)


def observed(record: MoveRecord, op: ReplicationOp, *, max_attempts: int) -> MoveRecord:
    """The record after Weaviate reported its operation; only READY and CANCELLED end it."""
    if op.state == ReplicationState.READY:
        return replace(record, stage=MoveStage.DONE, state=str(op.state), error=None)
    if op.state == ReplicationState.CANCELLED:
        failed = failed_attempt(record, op.error or "cancelled", max_attempts=max_attempts)
        return replace(failed, state=str(op.state))
    return replace(record, stage=MoveStage.RUNNING, state=str(op.state))


def starting(record: MoveRecord, now: datetime) -> MoveRecord:
    return replace(record, stage=MoveStage.STARTING, since=now.strftime("%Y-%m-%dT%H:%M:%SZ"))


def settled(
    record: MoveRecord, sharding: ShardingState, *, now: datetime, policy: MovePolicy
) -> MoveRecord:
    """A MOVE whose request may or may not have reached Weaviate (a crash, a lost answer).

    Done once the placement shows it; while it may still be running, it waits (a second
    request would be refused for the busy shard); after the grace period it is retried.
    """
    replicas = sharding.replicas_of(record.move.collection, record.move.shard)
    if record.move.target in replicas and record.move.source not in replicas:
        return replace(record, stage=MoveStage.DONE, state=str(ReplicationState.READY))
    try:
        since = datetime.fromisoformat(record.since or "")
    except ValueError:
        since = None
    if since is not None and now - since < policy.starting_grace:
        return record
    return failed_attempt(
        record, "interrupted before Weaviate answered", max_attempts=policy.max_attempts
    )


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


def run_moves(
    api: WeaviateReplication,
    records: Sequence[MoveRecord],
    *,
    policy: MovePolicy,
    now: datetime,
    save: Callable[[tuple[MoveRecord, ...]], None],
) -> tuple[MoveRecord, ...]:
    """One pass over the MOVEs: learn how the running ones stand, then start the next ones.

    ``save`` writes the records; it is called before any MOVE request so that a crash in the
    middle leaves them STARTING, which the next pass resolves from the sharding state.
    """
    found = _polled(api, records, policy=policy, now=now)
    if any(r.stage is MoveStage.FAILED for r in found):
        return tuple(found)  # the caller gives up; nothing new is started
    chosen = to_start(found, limit=policy.max_in_flight)
    if not chosen:
        return tuple(found)
    for index in chosen:
        found[index] = starting(found[index], now)
    save(tuple(found))
    for position, index in enumerate(chosen):
        try:
            found[index] = _started(api, found[index], policy=policy)
        except RetryableError:
            # This one may have reached Weaviate (a lost answer): it stays STARTING, to be
            # settled from the sharding state. The rest were never sent.
            for later in chosen[position + 1 :]:
                found[later] = replace(found[later], stage=MoveStage.PENDING)
            break
    return tuple(found)


def _polled(
    api: WeaviateReplication, records: Sequence[MoveRecord], *, policy: MovePolicy, now: datetime
) -> list[MoveRecord]:
    found = list(records)
    for index, record in enumerate(found):
        if record.stage is MoveStage.RUNNING and record.op_id:
            try:
                op = api.replication_operation(record.op_id)
            except NotFoundError as exc:
                found[index] = failed_attempt(record, str(exc), max_attempts=policy.max_attempts)
            else:
                _note_unknown_state(op)
                found[index] = observed(record, op, max_attempts=policy.max_attempts)
    if any(r.stage is MoveStage.STARTING for r in found):
        sharding = api.sharding_state()
        found = [
            settled(r, sharding, now=now, policy=policy) if r.stage is MoveStage.STARTING else r
            for r in found
        ]
    return found


def _dropped(api: WeaviateReplication, move: Move) -> bool:
    """Whether the move's shard no longer exists (its collection dropped since planning)."""
    sharding = api.sharding_state()
    return not any(
        coll.collection == move.collection and any(s.shard == move.shard for s in coll.shards)
        for coll in sharding.collections
    )


def _started(api: WeaviateReplication, record: MoveRecord, *, policy: MovePolicy) -> MoveRecord:
    move = record.move
    try:
        op_id = api.replicate(
            collection=move.collection,
            shard=move.shard,
            source_node=move.source,
            target_node=move.target,
            kind=ReplicationKind.MOVE,
        )
    except TerminalError as exc:
        if _dropped(api, move):
            return replace(record, stage=MoveStage.GONE, op_id=None, state=None, error=None)
        return failed_attempt(record, str(exc), max_attempts=policy.max_attempts)
    return replace(
        record,
        stage=MoveStage.RUNNING,
        op_id=op_id,
        state=str(ReplicationState.REGISTERED),
        error=None,
    )
