"""Replica MOVEs against Weaviate for drains and rebalancing: poll, settle, start (I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from weavefn.autoscale.drain_plan import (
    MovePolicy,
    MoveRecord,
    MoveStage,
    failed_attempt,
    observed,
    settled,
    to_start,
)
from weavefn.errors import NotFoundError, RetryableError, TerminalError
from weavefn.reconcile.context import ClusterContext
from weavefn.weaviate.port import ReplicationKind, ReplicationState, WeaviateApi

ApiFor = Callable[[ClusterContext], WeaviateApi]
"""The WeaviateApi of the cluster a pass is about."""


def run_moves(
    api: WeaviateApi,
    records: Sequence[MoveRecord],
    *,
    policy: MovePolicy,
    save: Callable[[tuple[MoveRecord, ...]], None],
) -> tuple[MoveRecord, ...]:
    """One pass over the MOVEs: learn how the running ones stand, then start the next ones.

    ``save`` writes the records; it is called before any MOVE request so that a crash in the
    middle leaves them STARTING, which the next pass resolves from the sharding state.
    """
    found = _polled(api, records, policy=policy)
    if any(r.stage is MoveStage.FAILED for r in found):
        return tuple(found)  # the caller gives up; nothing new is started
    chosen = to_start(found, limit=policy.max_in_flight)
    if not chosen:
        return tuple(found)
    for index in chosen:
        found[index] = replace(found[index], stage=MoveStage.STARTING)
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
    api: WeaviateApi, records: Sequence[MoveRecord], *, policy: MovePolicy
) -> list[MoveRecord]:
    found = list(records)
    for index, record in enumerate(found):
        if record.stage is MoveStage.RUNNING and record.op_id:
            try:
                op = api.replication_operation(record.op_id)
            except NotFoundError as exc:
                found[index] = failed_attempt(record, str(exc), max_attempts=policy.max_attempts)
            else:
                found[index] = observed(record, op, max_attempts=policy.max_attempts)
    if any(r.stage is MoveStage.STARTING for r in found):
        sharding = api.sharding_state()
        found = [
            settled(r, sharding, max_attempts=policy.max_attempts)
            if r.stage is MoveStage.STARTING
            else r
            for r in found
        ]
    return found


def _started(api: WeaviateApi, record: MoveRecord, *, policy: MovePolicy) -> MoveRecord:
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
        return failed_attempt(record, str(exc), max_attempts=policy.max_attempts)
    return replace(
        record,
        stage=MoveStage.RUNNING,
        op_id=op_id,
        state=str(ReplicationState.REGISTERED),
        error=None,
    )
