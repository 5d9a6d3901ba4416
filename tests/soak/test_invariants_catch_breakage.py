"""Each soak invariant, broken on purpose on a small healthy fleet, is reported by its checker."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.kube.port import ObjectRef
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.weaviate.connector import edit_sim
from weavefn.runtime import build_runtime
from weavefn.weaviate.port import ReplicationKind

from tests.soak import invariants
from tests.soak.fleet import CANARY_SECRET, build_fleet
from tests.soak.invariants import Invariant, Violation
from tests.soak.soak import Captured

MOVER = "search/mover-000"
UPGRADER = "search/upgrader-003"


@pytest.fixture
def kube() -> LocalKube:
    clock = ManualClock(1_795_000_000.0)
    kube = LocalKube(clock=clock, ready_delay=0.0)
    build_fleet(kube, count=5, rng=random.Random(1))
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    for _ in range(3):
        runtime.service.reconcile()
        clock.advance(30.0)
    with edit_sim(kube, MOVER):
        pass  # Weaviate has answered at least once: its simulation is saved
    assert invariants.during_run(kube) == []
    assert invariants.no_secret_leaked(kube, [CANARY_SECRET]) == []
    return kube


def _status(kube: LocalKube, key: str) -> dict[str, Any]:
    namespace, name = key.split("/")
    return kube.get_cluster(namespace, name)


def scale_below_voters(kube: LocalKube) -> list[Violation]:
    namespace, name = MOVER.split("/")
    kube.patch_scale(namespace, name, 1)  # 3 voters, minReplicas 2
    return invariants.replica_bounds(kube)


def remove_node_holding_replicas(kube: LocalKube) -> list[Violation]:
    with edit_sim(kube, MOVER) as sim:
        views = [v for v in sim_views(sim) if not v.name.endswith("-0")]
        sim.sync_nodes(views)  # node 0 leaves with its shards still on it
    return invariants.no_data_lost(kube)


def sim_views(sim: Any) -> list[Any]:
    from weavefn.local.weaviate.state import PodNode

    return [PodNode(n.name, n.ready, n.version) for n in sim.state.nodes]


def move_without_operation(kube: LocalKube) -> list[Violation]:
    with edit_sim(kube, MOVER) as sim:
        collection = sim.state.collections[0]
        shard = collection.shards[0]
        target = next(n.name for n in sim.state.nodes if n.name not in shard.replicas)
        sim.replicate(
            collection=collection.name,
            shard=shard.name,
            source_node=shard.replicas[0],
            target_node=target,
            kind=ReplicationKind.MOVE,
        )
    return invariants.operations_described(kube)


def rollout_without_operation(kube: LocalKube) -> list[Violation]:
    namespace, name = UPGRADER.split("/")
    sts = kube.get(ObjectRef("apps/v1", "StatefulSet", namespace, name))
    assert sts is not None
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    kube.apply(sts, field_manager="someone-else")
    return invariants.operations_described(kube)


def upgrade_left_rolling_out(kube: LocalKube) -> list[Violation]:
    raw = _status(kube, UPGRADER)
    raw.setdefault("status", {})["operation"] = {
        "kind": "Upgrade",
        "phase": "RollingOut",
        "startedAt": "2026-11-18T00:00:00Z",
        "phaseStartedAt": "2026-11-18T00:00:00Z",
        "details": {"from": "1.26.9", "to": "1.27.3"},
    }
    kube.replace_cluster_status(raw)
    return invariants.upgrades_ended(kube, [UPGRADER])


def upgrade_failed_midway(kube: LocalKube) -> list[Violation]:
    raw = _status(kube, UPGRADER)
    raw.setdefault("status", {})["lastOperation"] = {
        "kind": "Upgrade",
        "phase": "Failed",
        "startedAt": "2026-11-18T00:00:00Z",
        "phaseStartedAt": "2026-11-18T00:00:00Z",
        "details": {"from": "1.25.0", "to": "1.26.9"},  # the image did move: pods changed
    }
    kube.replace_cluster_status(raw)
    return invariants.upgrades_ended(kube, [UPGRADER])


def operation_without_follow_up(kube: LocalKube) -> list[Violation]:
    raw = _status(kube, UPGRADER)
    raw.setdefault("status", {})["operation"] = {
        "kind": "Upgrade",
        "phase": "RollingOut",
        "startedAt": "2026-11-18T00:00:00Z",
        "phaseStartedAt": "2026-11-18T00:00:00Z",
        "details": {"from": "1.26.9", "to": "1.27.3"},
    }
    raw["status"]["nextCheckAt"] = "2026-11-18T00:00:10Z"  # recorded, but nothing queued
    kube.replace_cluster_status(raw)
    return invariants.follow_ups_due(kube)


def canary_in_an_event(kube: LocalKube) -> list[Violation]:
    kube.create_event(
        {
            "metadata": {"namespace": "search"},
            "regarding": {"kind": "WeaviateCluster", "namespace": "search", "name": "mover-000"},
            "reason": "Oops",
            "note": f"api key is {CANARY_SECRET}",
        }
    )
    return invariants.no_secret_leaked(kube, [CANARY_SECRET])


def canary_in_status(kube: LocalKube) -> list[Violation]:
    raw = _status(kube, MOVER)
    raw["status"]["conditions"][0]["message"] = f"key {CANARY_SECRET}"
    kube.replace_cluster_status(raw)
    return invariants.no_secret_leaked(kube, [CANARY_SECRET])


def canary_in_a_log_line(kube: LocalKube) -> list[Violation]:
    captured = Captured()
    logger = logging.getLogger("weavefn")
    logger.addHandler(captured)
    try:
        logger.warning("connecting", extra={"error": f"token={CANARY_SECRET}"})
    finally:
        logger.removeHandler(captured)
    return invariants.no_secret_leaked(kube, [CANARY_SECRET], texts=captured.lines)


BREAKAGES: dict[str, tuple[Callable[[LocalKube], list[Violation]], Invariant]] = {
    "scale-below-voters": (scale_below_voters, Invariant.REPLICA_BOUNDS),
    "node-removed-holding-replicas": (remove_node_holding_replicas, Invariant.NO_DATA_LOST),
    "move-running-without-operation": (move_without_operation, Invariant.OPERATION_DESCRIBED),
    "rollout-held-without-operation": (rollout_without_operation, Invariant.OPERATION_DESCRIBED),
    "upgrade-left-rolling-out": (upgrade_left_rolling_out, Invariant.UPGRADE_ENDED),
    "upgrade-failed-after-pods-changed": (upgrade_failed_midway, Invariant.UPGRADE_ENDED),
    "operation-without-follow-up": (operation_without_follow_up, Invariant.FOLLOW_UP_DUE),
    "canary-in-an-event": (canary_in_an_event, Invariant.NO_SECRET_LEAKED),
    "canary-in-status": (canary_in_status, Invariant.NO_SECRET_LEAKED),
    "canary-in-a-log-line": (canary_in_a_log_line, Invariant.NO_SECRET_LEAKED),
}


@pytest.mark.parametrize("name", list(BREAKAGES), ids=list(BREAKAGES))
def test_checker_reports_the_broken_invariant(kube: LocalKube, name: str) -> None:
    breakage, invariant = BREAKAGES[name]
    found = breakage(kube)
    assert found, f"{name} went unnoticed"
    assert {v.invariant for v in found} == {invariant}


def test_the_harness_edits_a_simulation_under_any_fault_rate() -> None:
    """The soak's own reads (seeding a simulation to inject a failure) never draw faults."""
    from weavefn.local.kube import Fault

    clock = ManualClock(1_795_000_000.0)
    kube = LocalKube(clock=clock, ready_delay=0.0)
    build_fleet(kube, count=5, rng=random.Random(1))
    build_runtime(
        local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC)
    ).service.reconcile()
    kube.reset_calls()
    kube.set_fault_rate(1.0, fault=Fault.CONFLICT)
    with edit_sim(kube, UPGRADER) as sim:  # never asked before: seeded from the pods now
        sim.fail_next_replication("injected")
    assert kube.calls == []
