"""The simulated cluster: seeding, membership, data loss, health, Raft and persistence."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from weavefn.errors import InvalidInputError, UnavailableError
from weavefn.local.weaviate.api import EmbeddedWeaviateApi
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.connector import node_views
from weavefn.local.weaviate.state import LostReplica, PodNode
from weavefn.model.resource import parse_cluster
from weavefn.render import render_statefulset
from weavefn.weaviate.port import (
    BackupStatus,
    NodeStatus,
    ReplicaMovementUnsupportedError,
    ReplicationKind,
    ReplicationState,
)

from .conftest import NODES, TIMING, ManualClock

FIVE = [f"weaviate-{i}" for i in range(5)]


def _views(
    names: list[str], *, down: tuple[str, ...] = (), version: str = "1.32.2"
) -> list[PodNode]:
    return [PodNode(n, n not in down, version) for n in names]


def test_seeding_is_deterministic_and_never_doubles_a_replica() -> None:
    def placement(seed: int) -> list[list[str]]:
        sim = EmbeddedWeaviate.seeded(
            FIVE, collections=3, shards_per_collection=4, replication_factor=3, seed=seed
        )
        return [s.replicas for c in sim.state.collections for s in c.shards]

    first = placement(11)

    assert first == placement(11)
    assert all(len(set(replicas)) == 3 for replicas in first)
    assert len(first) == 12
    # Spread: with 36 replicas over 5 nodes, none holds more than its fair share plus a shard.
    counts = Counter(node for replicas in first for node in replicas)
    assert max(counts.values()) - min(counts.values()) <= 3


def test_replication_factor_above_node_count_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        EmbeddedWeaviate.seeded(
            NODES[:2], collections=1, shards_per_collection=1, replication_factor=3, seed=1
        )

    assert [e.path for e in caught.value.errors] == ["replication_factor"]


def test_adding_nodes_moves_no_data(sim: EmbeddedWeaviate) -> None:
    before = EmbeddedWeaviateApi(sim).sharding_state()

    sim.sync_nodes(_views(FIVE))

    api = EmbeddedWeaviateApi(sim)
    assert api.sharding_state() == before
    fresh = [n for n in api.nodes() if n.name in ("weaviate-3", "weaviate-4")]
    assert [(n.status, n.shard_count) for n in fresh] == [(NodeStatus.HEALTHY, 0)] * 2
    assert sim.lost_replicas() == []


def test_removing_a_node_that_holds_replicas_loses_them(sim: EmbeddedWeaviate) -> None:
    held = EmbeddedWeaviateApi(sim).sharding_state().replicas_on("weaviate-2")
    assert held

    sim.sync_nodes(_views(NODES[:2]))

    lost = sim.lost_replicas()
    assert sorted((r.collection, r.shard) for r in lost) == sorted(held)
    assert {r.node for r in lost} == {"weaviate-2"}
    # Factor 2: every shard kept its other replica.
    assert not any(r.last_copy for r in lost)


def test_a_drained_node_leaves_without_loss(sim: EmbeddedWeaviate, clock: ManualClock) -> None:
    api = EmbeddedWeaviateApi(sim)
    for collection, shard in api.sharding_state().replicas_on("weaviate-2"):
        replicas = api.sharding_state(collection).replicas_of(collection, shard)
        target = next(n for n in NODES[:2] if n not in replicas)
        api.replicate(
            collection=collection,
            shard=shard,
            source_node="weaviate-2",
            target_node=target,
            kind=ReplicationKind.MOVE,
        )
        clock.advance(60)
    assert api.sharding_state().replicas_on("weaviate-2") == []

    sim.sync_nodes(_views(NODES[:2]))

    assert sim.lost_replicas() == []


def test_a_node_that_is_not_ready_keeps_its_data_but_is_unavailable(sim: EmbeddedWeaviate) -> None:
    held = EmbeddedWeaviateApi(sim).sharding_state().replicas_on("weaviate-1")

    sim.sync_nodes(_views(NODES, down=("weaviate-1",)))

    api = EmbeddedWeaviateApi(sim)
    assert api.nodes()[1].status is NodeStatus.UNAVAILABLE
    assert api.sharding_state().replicas_on("weaviate-1") == held
    assert sim.lost_replicas() == []
    with pytest.raises(UnavailableError):
        EmbeddedWeaviateApi(sim, node="weaviate-1").nodes()


def test_no_ready_node_means_weaviate_is_unavailable(sim: EmbeddedWeaviate) -> None:
    sim.sync_nodes(_views(NODES, down=tuple(NODES)))

    with pytest.raises(UnavailableError, match="no Weaviate node is ready"):
        EmbeddedWeaviateApi(sim).cluster_statistics()


@pytest.mark.parametrize(
    ("down", "unhealthy", "desync", "synchronized", "leader"),
    [
        ((), None, False, True, "weaviate-0"),
        (("weaviate-0",), None, False, False, "weaviate-1"),
        (("weaviate-0", "weaviate-1"), None, False, False, None),
        (("weaviate-4",), None, False, False, "weaviate-0"),
        ((), "weaviate-3", False, False, "weaviate-0"),
        ((), None, True, False, "weaviate-0"),
    ],
    ids=[
        "all-up",
        "leader-voter-down",
        "quorum-lost",
        "non-voter-down",
        "node-unhealthy",
        "injected-desync",
    ],
)
def test_raft_synchronization(
    *,
    clock: ManualClock,
    down: tuple[str, ...],
    unhealthy: str | None,
    desync: bool,
    synchronized: bool,
    leader: str | None,
) -> None:
    sim = EmbeddedWeaviate.seeded(
        FIVE, collections=1, shards_per_collection=2, replication_factor=1, seed=3, clock=clock
    )
    assert sim.state.voters == ["weaviate-0", "weaviate-1", "weaviate-2"]
    sim.sync_nodes(_views(FIVE, down=down))
    if unhealthy:
        sim.set_node_healthy(unhealthy, False)
    sim.set_raft_synchronized(not desync)

    stats = EmbeddedWeaviateApi(sim).cluster_statistics()

    assert stats.synchronized is synchronized
    assert stats.leader == leader
    assert {n.name for n in stats.nodes if n.status is NodeStatus.UNAVAILABLE} == set(down)


def test_state_survives_a_json_round_trip_mid_operation(
    sim: EmbeddedWeaviate, clock: ManualClock
) -> None:
    api = EmbeddedWeaviateApi(sim)
    shard = api.sharding_state("Collection2").collections[0].shards[1]
    target = next(n for n in NODES if n not in shard.replicas)
    op_id = api.replicate(
        collection="Collection2",
        shard=shard.shard,
        source_node=shard.replicas[0],
        target_node=target,
        kind=ReplicationKind.MOVE,
    )
    api.create_backup("gcs", "before-restart")
    sim.set_node_healthy("weaviate-1", False)
    clock.advance(3)

    # the bucket is not the cluster's state: it outlives the process
    restored = EmbeddedWeaviate.from_dict(
        json.loads(json.dumps(sim.to_dict())), clock=clock, storage=sim.storage
    )
    again = EmbeddedWeaviateApi(restored)

    assert restored.to_dict() == sim.to_dict()
    assert again.replication_operation(op_id).state is ReplicationState.HYDRATING
    assert again.backup_status("gcs", "before-restart").status is BackupStatus.TRANSFERRING
    assert again.nodes() == api.nodes()
    clock.advance(60)
    assert again.replication_operation(op_id).state is ReplicationState.READY
    assert target in again.sharding_state("Collection2").replicas_of("Collection2", shard.shard)
    assert restored.state.timing == TIMING


def test_unreadable_saved_state_names_what_is_wrong() -> None:
    with pytest.raises(InvalidInputError, match="simulated cluster state"):
        EmbeddedWeaviate.from_dict({"format": 1, "nodes": "nope"})


def test_lost_replica_marks_the_last_copy(clock: ManualClock) -> None:
    sim = EmbeddedWeaviate.seeded(
        NODES, collections=1, shards_per_collection=3, replication_factor=1, seed=5, clock=clock
    )
    only = sim.state.collections[0].shards[0]
    holder = only.replicas[0]

    sim.sync_nodes(_views([n for n in NODES if n != holder]))

    assert LostReplica("Collection1", only.name, holder, last_copy=True) in sim.lost_replicas()


def test_a_voter_that_left_keeps_raft_unsynchronized(clock: ManualClock) -> None:
    sim = EmbeddedWeaviate.seeded(
        FIVE, collections=1, shards_per_collection=1, replication_factor=1, seed=3, clock=clock
    )

    sim.sync_nodes(_views([n for n in FIVE if n != "weaviate-2"]))

    stats = EmbeddedWeaviateApi(sim).cluster_statistics()
    assert {n.status for n in stats.nodes} == {NodeStatus.HEALTHY}
    assert stats.leader == "weaviate-0"
    assert stats.synchronized is False


def _pods_for(
    version: str, *, movement: bool, extra_env: list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Weaviate pods as the StatefulSet's template makes them, Ready."""
    spec = {
        "version": version,
        "replicas": 3,
        "storage": {"size": "10Gi"},
        "replication": {"factor": 2, "replicaMovement": movement},
        "env": extra_env or [],
    }
    raw = {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": "weaviate"},
    }
    cluster = parse_cluster({**raw, "spec": spec})
    template = render_statefulset(cluster, voters=["weaviate-0"])["spec"]["template"]
    return [
        {
            "metadata": {"name": name},
            "spec": template["spec"],
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
        for name in NODES
    ]


@pytest.mark.parametrize(
    ("version", "movement", "extra_env", "served"),
    [
        pytest.param("1.32.5", True, None, True, id="1.32.5-on"),
        pytest.param("1.32.5", False, None, False, id="1.32.5-off-by-disabled"),
        pytest.param(
            "1.32.5",
            False,
            [{"name": "REPLICA_MOVEMENT_DISABLED", "value": "false"}],
            True,
            id="1.32.5-user-env-wins",
        ),
        pytest.param("1.33.1", False, None, False, id="1.33.1-off"),
        pytest.param("1.33.4", True, None, True, id="1.33.4-on-by-enabled"),
        pytest.param("1.34.2", False, None, False, id="1.34.2-off"),
        pytest.param(
            "1.34.2",
            False,
            [{"name": "REPLICA_MOVEMENT_DISABLED", "value": "false"}],
            False,
            id="1.34.2-ignores-disabled",
        ),
    ],
)
def test_each_node_reads_the_movement_switch_of_its_release(
    version: str, movement: bool, extra_env: list[dict[str, str]] | None, served: bool
) -> None:
    sim = EmbeddedWeaviate.seeded(
        NODES, collections=1, shards_per_collection=2, replication_factor=2, seed=3, version=version
    )
    # The cluster-wide fallback says the opposite: the pods' own environment must decide.
    sim.set_replica_movement(not served)
    sim.sync_nodes(node_views(_pods_for(version, movement=movement, extra_env=extra_env)))
    api = EmbeddedWeaviateApi(sim)
    if served:
        assert api.sharding_state().collections
    else:
        with pytest.raises(ReplicaMovementUnsupportedError, match="501"):
            api.sharding_state()
