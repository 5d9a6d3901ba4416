"""Simulated backups and replica movements progress over time as Weaviate's do."""

from __future__ import annotations

import pytest
from weavefn.errors import InvalidInputError, NotFoundError, TerminalError
from weavefn.local.weaviate.api import EmbeddedWeaviateApi
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import BackupFailure, PodNode, SimTiming
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.weaviate.port import (
    BackupStatus,
    ReplicaMovementUnsupportedError,
    ReplicationKind,
    ReplicationState,
)

from tests.support.fake_weaviate import FakeWeaviate

from .conftest import NODES, ManualClock

B, R, H, F, D = (
    BackupStatus,
    ReplicationState.REGISTERED,
    ReplicationState.HYDRATING,
    ReplicationState.FINALIZING,
    ReplicationState.DEHYDRATING,
)
READY, CANCELLED = ReplicationState.READY, ReplicationState.CANCELLED
# Seconds after the start at which each test looks (conftest TIMING: 2 s started, 5 s transferring).
BACKUP_TIMES = [0, 1.9, 2, 6.9, 7, 600]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (None, [B.STARTED, B.STARTED, B.TRANSFERRING, B.TRANSFERRING, B.SUCCESS, B.SUCCESS]),
        (BackupFailure.STUCK, [B.STARTED] * 6),
        (BackupFailure.FAILED, [B.STARTED, B.STARTED, B.FAILED, B.FAILED, B.FAILED, B.FAILED]),
    ],
    ids=["succeeds", "stuck-in-started", "fails"],
)
def test_backup_progression(
    sim: EmbeddedWeaviate,
    clock: ManualClock,
    failure: BackupFailure | None,
    expected: list[BackupStatus],
) -> None:
    api = EmbeddedWeaviateApi(sim)
    if failure:
        sim.fail_next_backup(failure)
    start = clock.now
    api.create_backup("s3", "b1")

    seen = []
    for at in BACKUP_TIMES:
        clock.now = start + at
        seen.append(api.backup_status("s3", "b1").status)

    assert seen == expected
    final = api.backup_status("s3", "b1")
    assert (final.error is not None) is (failure is BackupFailure.FAILED)


def test_a_stuck_backup_blocks_the_next_one(sim: EmbeddedWeaviate, clock: ManualClock) -> None:
    api = EmbeddedWeaviateApi(sim)
    sim.fail_next_backup(BackupFailure.STUCK)
    api.create_backup("s3", "stuck")
    clock.advance(3600)

    with pytest.raises(TerminalError, match="'stuck' already in progress"):
        api.create_backup("s3", "second")


@pytest.mark.parametrize(
    ("backend", "backup_id", "include", "error", "message"),
    [
        ("s3", "dup", None, TerminalError, "already exists"),
        ("dropbox", "b2", None, TerminalError, "did you enable the right module"),
        ("s3", "b2", ["Nope"], TerminalError, "'Nope' does not exist"),
        ("s3", "UPPER", None, InvalidInputError, "backup_id"),
        ("filesystem", "b2", None, TerminalError, "not viable for backing up a node cluster"),
    ],
    ids=[
        "duplicate-id",
        "unknown-backend",
        "unknown-collection",
        "invalid-id",
        "filesystem-on-three-nodes",
    ],
)
def test_backup_refusals(
    *,
    sim: EmbeddedWeaviate,
    clock: ManualClock,
    backend: str,
    backup_id: str,
    include: list[str] | None,
    error: type[Exception],
    message: str,
) -> None:
    api = EmbeddedWeaviateApi(sim)
    api.create_backup("s3", "dup")
    clock.advance(60)

    with pytest.raises(error, match=message):
        api.create_backup(backend, backup_id, include=include)


def test_backup_needs_every_node_holding_its_shards(sim: EmbeddedWeaviate) -> None:
    sim.sync_nodes([PodNode(n, n != "weaviate-1", "1.32.2") for n in NODES])

    with pytest.raises(TerminalError, match="'weaviate-1' is not available"):
        EmbeddedWeaviateApi(sim).create_backup("s3", "partial")


def _first_shard(sim: EmbeddedWeaviate) -> tuple[str, str, str]:
    shard = sim.state.collections[0].shards[0]
    target = next(n for n in NODES if n not in shard.replicas)
    return shard.name, shard.replicas[0], target


MOVE_TIMES = [0, 0.5, 1, 5.9, 6, 7.9, 8, 8.9, 9, 600]


@pytest.mark.parametrize(
    ("kind", "failure", "expected", "source_keeps", "target_gets"),
    [
        (ReplicationKind.MOVE, None, [R, R, H, H, F, F, D, D, READY, READY], False, True),
        (ReplicationKind.COPY, None, [R, R, H, H, F, F, READY, READY, READY, READY], True, True),
        (ReplicationKind.MOVE, "disk full", [R, R, H, H] + [CANCELLED] * 6, True, False),
    ],
    ids=["move", "copy", "move-fails"],
)
def test_replica_movement_progression(
    *,
    sim: EmbeddedWeaviate,
    clock: ManualClock,
    kind: ReplicationKind,
    failure: str | None,
    expected: list[ReplicationState],
    source_keeps: bool,
    target_gets: bool,
) -> None:
    api = EmbeddedWeaviateApi(sim)
    shard, source, target = _first_shard(sim)
    if failure:
        sim.fail_next_replication(failure)
    start = clock.now
    op_id = api.replicate(
        collection="Collection1", shard=shard, source_node=source, target_node=target, kind=kind
    )

    seen = []
    for at in MOVE_TIMES:
        clock.now = start + at
        seen.append(api.replication_operation(op_id).state)
        replicas = api.sharding_state("Collection1").replicas_of("Collection1", shard)
        if seen[-1] is not READY:
            assert source in replicas  # data stays where it was until the operation is done

    assert seen == expected
    assert (source in replicas, target in replicas) == (source_keeps, target_gets)
    assert api.replication_operation(op_id).errors == ((failure,) if failure else ())
    assert sim.lost_replicas() == []


@pytest.mark.parametrize(
    ("versions", "enabled", "via"),
    [
        (["1.31.4"] * 3, True, None),
        (["1.32.0", "1.32.0", "1.31.4"], True, None),
        (["1.32.0", "1.32.0", "1.31.4"], True, "weaviate-2"),
        (["1.32.0"] * 3, False, None),
    ],
    ids=["all-below-1.32", "mid-upgrade-oldest-decides", "old-node-answers", "disabled"],
)
def test_replica_movement_refused(
    sim: EmbeddedWeaviate, versions: list[str], enabled: bool, via: str | None
) -> None:
    sim.sync_nodes([PodNode(n, True, v) for n, v in zip(NODES, versions, strict=True)])
    sim.set_replica_movement(enabled)
    shard, source, target = _first_shard(sim)

    with pytest.raises(ReplicaMovementUnsupportedError):
        EmbeddedWeaviateApi(sim, node=via).replicate(
            collection="Collection1",
            shard=shard,
            source_node=source,
            target_node=target,
            kind=ReplicationKind.COPY,
        )


def test_the_new_node_answering_allows_movement_mid_upgrade(sim: EmbeddedWeaviate) -> None:
    sim.sync_nodes(
        [PodNode(n, True, v) for n, v in zip(NODES, ["1.32.0", "1.32.0", "1.31.4"], strict=True)]
    )
    shard, source, target = _first_shard(sim)

    op_id = EmbeddedWeaviateApi(sim, node="weaviate-0").replicate(
        collection="Collection1",
        shard=shard,
        source_node=source,
        target_node=target,
        kind=ReplicationKind.COPY,
    )

    assert op_id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target_node", "holder", "already holds a replica"),
        ("target_node", "weaviate-9", "not a member"),
        ("source_node", "spare", "holds no replica"),
        ("shard", "missing", "does not exist"),
        ("collection", "Nope", "does not exist"),
    ],
    ids=[
        "target-has-shard",
        "unknown-target",
        "source-lacks-shard",
        "unknown-shard",
        "unknown-collection",
    ],
)
def test_replicate_refusals(sim: EmbeddedWeaviate, field: str, value: str, message: str) -> None:
    shard, source, target = _first_shard(sim)
    holders = sim.state.collections[0].shards[0].replicas
    request = {
        "collection": "Collection1",
        "shard": shard,
        "source_node": source,
        "target_node": target,
    }
    request[field] = {"holder": holders[1], "spare": target}.get(value, value)

    with pytest.raises(TerminalError, match=message):
        EmbeddedWeaviateApi(sim).replicate(**request, kind=ReplicationKind.MOVE)


def test_one_operation_per_shard_at_a_time(sim: EmbeddedWeaviate) -> None:
    api = EmbeddedWeaviateApi(sim)
    shard, source, target = _first_shard(sim)
    api.replicate(
        collection="Collection1",
        shard=shard,
        source_node=source,
        target_node=target,
        kind=ReplicationKind.COPY,
    )

    with pytest.raises(TerminalError, match="already has replication operation"):
        api.replicate(
            collection="Collection1",
            shard=shard,
            source_node=source,
            target_node=target,
            kind=ReplicationKind.MOVE,
        )


def test_a_target_that_leaves_cancels_the_move(sim: EmbeddedWeaviate, clock: ManualClock) -> None:
    api = EmbeddedWeaviateApi(sim)
    shard, source, target = _first_shard(sim)
    op_id = api.replicate(
        collection="Collection1",
        shard=shard,
        source_node=source,
        target_node=target,
        kind=ReplicationKind.MOVE,
    )
    clock.advance(2)

    sim.sync_nodes([PodNode(n, True, "1.32.2") for n in NODES if n != target])
    clock.advance(60)

    op = api.replication_operation(op_id)
    assert op.state is CANCELLED
    assert op.error is not None and target in op.error
    assert source in api.sharding_state("Collection1").replicas_of("Collection1", shard)


def test_unknown_operation_is_not_found(sim: EmbeddedWeaviate) -> None:
    with pytest.raises(NotFoundError):
        EmbeddedWeaviateApi(sim).replication_operation("nope")


def test_durations_are_configurable(clock: ManualClock) -> None:
    sim = EmbeddedWeaviate.seeded(
        NODES,
        collections=1,
        shards_per_collection=1,
        replication_factor=1,
        seed=2,
        clock=clock,
        timing=SimTiming(backup_started_s=0, backup_transferring_s=0.5),
    )
    api = EmbeddedWeaviateApi(sim)
    api.create_backup("s3", "quick")
    clock.advance(0.5)

    assert api.backup_status("s3", "quick").status is BackupStatus.SUCCESS


@pytest.mark.parametrize(
    ("version", "kind", "integrating"),
    [
        pytest.param("1.37.14", ReplicationKind.MOVE, False, id="1.37-never"),
        pytest.param("1.38.0", ReplicationKind.MOVE, True, id="1.38-move"),
        pytest.param("1.38.0", ReplicationKind.COPY, True, id="1.38-copy"),
    ],
)
def test_integrating_is_reported_from_1_38(
    *,
    sim: EmbeddedWeaviate,
    servers: dict[str, FakeWeaviate],
    clock: ManualClock,
    version: str,
    kind: ReplicationKind,
    integrating: bool,
) -> None:
    """Over HTTP, as a client polls: FINALIZING, then INTEGRATING on 1.38+, then the rest."""
    sim.sync_nodes([PodNode(n, True, version) for n in NODES])
    api = WeaviateHttpApi(servers["weaviate-0"].url)
    shard, source, target = _first_shard(sim)
    op_id = api.replicate(
        collection="Collection1", shard=shard, source_node=source, target_node=target, kind=kind
    )
    seen: list[str] = []
    for _ in range(40):
        state = api.replication_operation(op_id).state
        if not seen or seen[-1] != state:
            seen.append(state)
        clock.advance(0.5)
    after_finalizing = seen[seen.index("FINALIZING") + 1]
    assert (after_finalizing == "INTEGRATING") is integrating
    assert seen[-1] == "READY"
