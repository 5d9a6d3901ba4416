"""Drain and rebalance plans, scale-in admission and MOVE bookkeeping, as tables."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from weavefn.autoscale.drain_plan import Blocked, admit_scale_in, plan_drain
from weavefn.autoscale.moves import (
    Move,
    MovePolicy,
    MoveRecord,
    observed,
    settled,
    starting,
    to_start,
)
from weavefn.autoscale.rebalance import plan_rebalance
from weavefn.conditions import ConditionReason
from weavefn.model.operations import MoveStage
from weavefn.weaviate.port import (
    CollectionSharding,
    ReplicationKind,
    ReplicationOp,
    ReplicationState,
    ShardingState,
    ShardReplicas,
)

Placement = dict[str, dict[str, list[str]]]


def sharding(placement: Placement) -> ShardingState:
    return ShardingState(
        tuple(
            CollectionSharding(coll, tuple(ShardReplicas(s, tuple(r)) for s, r in shards.items()))
            for coll, shards in placement.items()
        )
    )


def nodes(count: int) -> list[str]:
    return [f"w-{i}" for i in range(count)]


def applied(placement: Placement, moves: tuple[Move, ...]) -> Placement:
    after = {c: {s: list(r) for s, r in shards.items()} for c, shards in placement.items()}
    for move in moves:
        replicas = after[move.collection][move.shard]
        replicas[replicas.index(move.source)] = move.target
    return after


@dataclass(frozen=True)
class DrainCase:
    placement: Placement
    keep: int
    total: int
    expect: tuple[tuple[str, str, str, str], ...] | ConditionReason


DRAIN_CASES = {
    "rf1-one-departing-node": DrainCase(
        {"A": {"s1": ["w-2"], "s2": ["w-0"], "s3": ["w-1"]}},
        keep=2,
        total=3,
        expect=(("A", "s1", "w-2", "w-0"),),
    ),
    "rf1-two-departing-spread-over-the-rest": DrainCase(
        {"A": {"s1": ["w-3"], "s2": ["w-4"], "s3": ["w-3"]}},
        keep=3,
        total=5,
        expect=(("A", "s1", "w-3", "w-0"), ("A", "s2", "w-4", "w-1"), ("A", "s3", "w-3", "w-2")),
    ),
    "rf2-target-avoids-the-other-replica": DrainCase(
        {"A": {"s1": ["w-0", "w-2"], "s2": ["w-1", "w-2"]}},
        keep=2,
        total=3,
        expect=(("A", "s1", "w-2", "w-1"), ("A", "s2", "w-2", "w-0")),
    ),
    "rf3-five-to-three": DrainCase(
        {"A": {"s1": ["w-2", "w-3", "w-4"], "s2": ["w-0", "w-1", "w-4"]}},
        keep=3,
        total=5,
        expect=(("A", "s1", "w-3", "w-0"), ("A", "s1", "w-4", "w-1"), ("A", "s2", "w-4", "w-2")),
    ),
    "uneven-placement-fills-the-emptiest-first": DrainCase(
        {
            "A": {"s1": ["w-0"], "s2": ["w-0"], "s3": ["w-1"], "s4": ["w-3"], "s5": ["w-3"]},
            "B": {"s1": ["w-0"], "s2": ["w-3"]},
        },
        keep=3,
        total=4,
        expect=(("A", "s4", "w-3", "w-2"), ("A", "s5", "w-3", "w-1"), ("B", "s2", "w-3", "w-2")),
    ),
    "nothing-on-departing-nodes": DrainCase(
        {"A": {"s1": ["w-0", "w-1"]}}, keep=2, total=4, expect=()
    ),
    "refused-rf3-with-two-nodes-left": DrainCase(
        {"A": {"s1": ["w-0", "w-1", "w-2"]}},
        keep=2,
        total=3,
        expect=ConditionReason.INSUFFICIENT_NODES,
    ),
    "refused-rf2-with-one-node-left": DrainCase(
        {"A": {"s1": ["w-0", "w-2"], "s2": ["w-1", "w-2"]}},
        keep=1,
        total=3,
        expect=ConditionReason.INSUFFICIENT_NODES,
    ),
}


@pytest.mark.parametrize("case", DRAIN_CASES.values(), ids=DRAIN_CASES.keys())
def test_drain_plan(case: DrainCase) -> None:
    everyone = nodes(case.total)
    remaining, departing = everyone[: case.keep], everyone[case.keep :]

    plan = plan_drain(sharding(case.placement), remaining=remaining, departing=departing)

    if isinstance(case.expect, ConditionReason):
        assert isinstance(plan, Blocked) and plan.reason is case.expect
        assert f"only {case.keep} node(s) would remain" in plan.message
        return
    assert not isinstance(plan, Blocked), plan
    assert [(m.collection, m.shard, m.source, m.target) for m in plan] == list(case.expect)
    after = applied(case.placement, plan)
    for coll, shards in after.items():
        for shard, replicas in shards.items():
            assert len(replicas) == len(case.placement[coll][shard]), "replication factor kept"
            assert len(set(replicas)) == len(replicas), "two replicas on one node"
            assert not set(replicas) & set(departing), "a departing node still holds data"


def test_drain_plan_ignores_input_order() -> None:
    placement = {
        f"C{c}": {f"s{s}": [f"w-{(c + s + j) % 6}" for j in range(2)] for s in range(5)}
        for c in range(4)
    }
    shuffled_items = list(placement.items())
    random.Random(7).shuffle(shuffled_items)
    shuffled = {c: dict(reversed(list(shards.items()))) for c, shards in shuffled_items}

    first = plan_drain(sharding(placement), remaining=nodes(4), departing=["w-4", "w-5"])
    second = plan_drain(sharding(shuffled), remaining=nodes(4)[::-1], departing=["w-5", "w-4"])

    every_replica = [n for shards in placement.values() for r in shards.values() for n in r]
    assert first == second and not isinstance(first, Blocked)
    assert len(first) == sum(1 for n in every_replica if n in ("w-4", "w-5"))


@st.composite
def clusters(draw: st.DrawFn) -> tuple[Placement, int, int]:
    total = draw(st.integers(2, 7))
    keep = draw(st.integers(1, total - 1))
    factor = draw(st.integers(1, total))
    placement = {
        f"C{c}": {
            f"s{s}": draw(st.permutations(nodes(total)))[:factor]
            for s in range(draw(st.integers(1, 4)))
        }
        for c in range(draw(st.integers(1, 3)))
    }
    return placement, keep, total


@settings(max_examples=150, deadline=None)
@given(clusters())
def test_every_drain_plan_keeps_the_data_safe(cluster: tuple[Placement, int, int]) -> None:
    placement, keep, total = cluster
    remaining, departing = nodes(total)[:keep], nodes(total)[keep:]

    plan = plan_drain(sharding(placement), remaining=remaining, departing=departing)

    widest = max(len(r) for shards in placement.values() for r in shards.values())
    if widest > keep:
        assert isinstance(plan, Blocked)
        return
    assert not isinstance(plan, Blocked)
    after = applied(placement, plan)
    for coll, shards in after.items():
        for shard, replicas in shards.items():
            assert len(set(replicas)) == len(replicas) == len(placement[coll][shard])
            assert set(replicas) <= set(remaining)
    moved = Counter((m.collection, m.shard) for m in plan)
    for (coll, shard), count in moved.items():
        assert count == len(set(placement[coll][shard]) & set(departing))


@dataclass(frozen=True)
class AdmitCase:
    requested: int
    expect: int | ConditionReason
    current: int = 5
    voters: int = 3
    min_replicas: int = 1
    versions: tuple[str, ...] = ("1.32.5",)
    movement: bool = True


ADMIT_CASES = {
    "allowed": AdmitCase(requested=4, expect=4),
    "clamped-to-voters": AdmitCase(requested=1, expect=3),
    "clamped-to-min-replicas": AdmitCase(requested=2, min_replicas=4, expect=4),
    "at-voter-floor": AdmitCase(requested=2, current=3, expect=ConditionReason.REPLICA_FLOOR),
    "weaviate-1-31": AdmitCase(
        requested=4, versions=("1.32.5", "1.31.9"), expect=ConditionReason.VERSION_UNSUPPORTED
    ),
    "unreadable-version": AdmitCase(
        requested=4, versions=("latest",), expect=ConditionReason.VERSION_UNSUPPORTED
    ),
    "no-version-known": AdmitCase(
        requested=4, versions=(), expect=ConditionReason.VERSION_UNSUPPORTED
    ),
    "movement-disabled": AdmitCase(
        requested=4, movement=False, expect=ConditionReason.MOVEMENT_DISABLED
    ),
}


@pytest.mark.parametrize("case", ADMIT_CASES.values(), ids=ADMIT_CASES.keys())
def test_scale_in_admission(case: AdmitCase) -> None:
    found = admit_scale_in(
        current=case.current,
        requested=case.requested,
        voters=case.voters,
        min_replicas=case.min_replicas,
        versions=case.versions,
        movement_enabled=case.movement,
    )

    if isinstance(case.expect, ConditionReason):
        assert isinstance(found, Blocked) and found.reason is case.expect
    else:
        assert found == case.expect


MOVE = Move("A", "s1", "w-3", "w-0")


def op(state: ReplicationState, error: str | None = None) -> ReplicationOp:
    return ReplicationOp(
        "op-1", "A", "s1", "w-3", "w-0", ReplicationKind.MOVE, state, (error,) if error else ()
    )


PROGRESS_CASES = {
    "hydrating-keeps-running": (MoveRecord(MOVE, MoveStage.RUNNING, "op-1"), op(ReplicationState.HYDRATING), MoveStage.RUNNING, 0),
    "ready-is-done": (MoveRecord(MOVE, MoveStage.RUNNING, "op-1"), op(ReplicationState.READY), MoveStage.DONE, 0),
    "cancelled-is-retried": (MoveRecord(MOVE, MoveStage.RUNNING, "op-1"), op(ReplicationState.CANCELLED, "disk full"), MoveStage.PENDING, 1),
    "cancelled-too-often-fails": (MoveRecord(MOVE, MoveStage.RUNNING, "op-1", attempts=2), op(ReplicationState.CANCELLED, "disk full"), MoveStage.FAILED, 3),
}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "report", "stage", "attempts"), PROGRESS_CASES.values(), ids=PROGRESS_CASES.keys()
)
def test_move_progress(
    record: MoveRecord, report: ReplicationOp, stage: MoveStage, attempts: int
) -> None:
    after = observed(record, report, max_attempts=3)

    assert (after.stage, after.attempts) == (stage, attempts)
    assert MoveRecord.of(after.details()) == after
    if stage in (MoveStage.PENDING, MoveStage.FAILED):
        assert after.op_id is None and after.error == "disk full"


T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("replicas", "seconds_later", "stage", "attempts"),
    [
        (("w-0", "w-1"), 10, MoveStage.DONE, 0),
        (("w-3", "w-1"), 10, MoveStage.STARTING, 0),
        (("w-3", "w-1"), 300, MoveStage.PENDING, 1),
    ],
    ids=["landed-after-the-crash", "may-still-be-running", "never-landed-is-retried"],
)
def test_interrupted_move_is_settled_from_placement(
    replicas: tuple[str, ...], seconds_later: int, stage: MoveStage, attempts: int
) -> None:
    record = starting(MoveRecord(MOVE), T0)

    after = settled(
        MoveRecord.of(record.details()),
        sharding({"A": {"s1": list(replicas)}}),
        now=T0 + timedelta(seconds=seconds_later),
        policy=MovePolicy(),
    )

    assert (after.stage, after.attempts) == (stage, attempts)


def test_moves_start_one_per_shard_within_the_limit() -> None:
    records = [
        MoveRecord(Move("A", "s1", "w-3", "w-0"), MoveStage.RUNNING, "op-1"),
        MoveRecord(Move("A", "s1", "w-4", "w-1")),
        MoveRecord(Move("A", "s2", "w-3", "w-1")),
        MoveRecord(Move("A", "s3", "w-4", "w-2")),
        MoveRecord(Move("A", "s4", "w-4", "w-0")),
    ]

    assert to_start(records, limit=3) == [2, 3]
    assert to_start(records, limit=1) == []


@dataclass(frozen=True)
class RebalanceCase:
    placement: Placement
    total: int
    limit: int
    expect: tuple[tuple[str, str, str, str], ...]


REBALANCE_CASES = {
    "new-empty-nodes-get-replicas": RebalanceCase(
        {"A": {"s1": ["w-0", "w-1"], "s2": ["w-1", "w-2"], "s3": ["w-2", "w-0"]}},
        total=5,
        limit=4,
        expect=(("A", "s1", "w-0", "w-3"), ("A", "s2", "w-1", "w-4")),
    ),
    "bounded-per-pass": RebalanceCase(
        {"A": {f"s{i}": ["w-0"] for i in range(6)}},
        total=3,
        limit=2,
        expect=(("A", "s0", "w-0", "w-1"), ("A", "s1", "w-0", "w-2")),
    ),
    "balanced-plans-nothing": RebalanceCase(
        {"A": {"s1": ["w-0", "w-1"], "s2": ["w-1", "w-2"], "s3": ["w-2", "w-0"]}},
        total=3,
        limit=4,
        expect=(),
    ),
}


@pytest.mark.parametrize("case", REBALANCE_CASES.values(), ids=REBALANCE_CASES.keys())
def test_rebalance_plan(case: RebalanceCase) -> None:
    plan = plan_rebalance(sharding(case.placement), nodes=nodes(case.total), limit=case.limit)

    assert [(m.collection, m.shard, m.source, m.target) for m in plan] == list(case.expect)
    for shards in applied(case.placement, plan).values():
        for replicas in shards.values():
            assert len(set(replicas)) == len(replicas)
