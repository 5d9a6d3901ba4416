"""Simulated replica movement: validation, progress over time and the moved replicas."""

from __future__ import annotations

from weavefn.local.weaviate.state import RefusalBody, SimOp, SimRefusal, SimState, SimTiming
from weavefn.weaviate import releases
from weavefn.weaviate.port import ReplicationKind, ReplicationOp, ReplicationState


def state_at(
    elapsed: float,
    *,
    timing: SimTiming,
    kind: ReplicationKind,
    failure: str | None,
    integrating: bool = False,
) -> ReplicationState:
    """Where an operation stands ``elapsed`` seconds after it was registered.

    REGISTERED, HYDRATING, FINALIZING, then on 1.38+ INTEGRATING, then DEHYDRATING for a MOVE,
    READY (cluster/replication/consumer.go: processFinalizingOp, processIntegratingOp).
    """
    phases = [
        (ReplicationState.REGISTERED, timing.replication_registered_s),
        (ReplicationState.HYDRATING, timing.replication_hydrating_s),
    ]
    if failure is None:
        phases.append((ReplicationState.FINALIZING, timing.replication_finalizing_s))
        if integrating:
            phases.append((ReplicationState.INTEGRATING, timing.replication_integrating_s))
        if kind is ReplicationKind.MOVE:
            phases.append((ReplicationState.DEHYDRATING, timing.replication_dehydrating_s))
    for phase, duration in phases:
        if elapsed < duration:
            return phase
        elapsed -= duration
    return ReplicationState.CANCELLED if failure is not None else ReplicationState.READY


def advance(state: SimState, now: float) -> None:
    """Settle every operation that has finished by ``now``; a finished MOVE drops its source."""
    for op in state.ops:
        if op.final is not None:
            continue
        phase = _phase(state, op, now)
        if phase is ReplicationState.CANCELLED:
            cancel(op, op.failure or "cancelled")
        elif phase is ReplicationState.READY:
            op.final = phase
            _apply(state, op)


def cancel(op: SimOp, reason: str) -> None:
    op.final = ReplicationState.CANCELLED
    op.errors.append(reason)


def _phase(state: SimState, op: SimOp, now: float) -> ReplicationState:
    return state_at(
        now - op.started_at,
        timing=state.timing,
        kind=op.kind,
        failure=op.failure,
        integrating=op.integrating,
    )


def view(state: SimState, op: SimOp, now: float) -> ReplicationOp:
    phase = op.final or _phase(state, op, now)
    return ReplicationOp(
        id=op.id,
        collection=op.collection,
        shard=op.shard,
        source_node=op.source,
        target_node=op.target,
        kind=op.kind,
        state=phase,
        errors=tuple(op.errors),
    )


def find(state: SimState, op_id: str) -> SimOp:
    for op in state.ops:
        if op.id == op_id:
            return op
    # "Shard replica operation not found.": a 404 without a body (openapi-specs/schema.json)
    raise SimRefusal(404, f"replication operation {op_id!r} not found", body=RefusalBody.EMPTY)


def start(
    state: SimState,
    *,
    now: float,
    collection: str,
    shard: str,
    source: str,
    target: str,
    kind: ReplicationKind,
) -> str:
    coll = state.collection(collection)
    if coll is None:
        raise SimRefusal(422, f"collection {collection!r} does not exist")
    entry = coll.shard(shard)
    if entry is None:
        raise SimRefusal(422, f"shard {shard!r} does not exist in collection {collection!r}")
    for node in (source, target):
        if state.node(node) is None:
            raise SimRefusal(422, f"node {node!r} is not a member of the cluster")
    if source not in entry.replicas:
        raise SimRefusal(422, f"node {source!r} holds no replica of shard {shard!r}")
    if target in entry.replicas:
        raise SimRefusal(422, f"node {target!r} already holds a replica of shard {shard!r}")
    busy = [
        op
        for op in state.ops
        if op.final is None and (op.collection, op.shard) == (collection, shard)
    ]
    if busy:
        raise SimRefusal(422, f"shard {shard!r} already has replication operation {busy[0].id}")
    op = SimOp(
        id=state.next_id(),
        collection=collection,
        shard=shard,
        source=source,
        target=target,
        kind=kind,
        started_at=now,
        failure=state.next_replication_failure,
        integrating=all(
            releases.at_least(n.version, releases.INTEGRATING_SINCE) for n in state.nodes
        ),
    )
    state.next_replication_failure = None
    state.ops.append(op)
    return op.id


def _apply(state: SimState, op: SimOp) -> None:
    coll = state.collection(op.collection)
    entry = coll.shard(op.shard) if coll else None
    if entry is None:
        cancel(op, f"shard {op.shard!r} of {op.collection!r} no longer exists")
        return
    if op.target not in entry.replicas:
        entry.replicas.append(op.target)
    if op.kind is ReplicationKind.MOVE and op.source in entry.replicas:
        entry.replicas.remove(op.source)
