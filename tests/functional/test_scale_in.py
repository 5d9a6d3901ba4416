"""Scale-in on the local cluster with a Weaviate served over HTTP: drain, shrink, refuse, resume."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import LoadModel, local_registry
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import PodNode
from weavefn.model.resource import PAUSED_REPLICAS_ANNOTATION
from weavefn.service import Service
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.weaviate.port import WeaviateApi

from tests.support.fake_weaviate import fake_cluster

NS, NAME = "weaviate", "search"
KEY = f"{NS}/{NAME}"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)
MOVE_SECONDS = 10.0  # a simulated MOVE takes 9 s: one pass every 10 s sees each one finish


def manifest(
    *,
    version: str = "1.32.5",
    replicas: int = 5,
    movement: bool = True,
    min_replicas: int = 3,
    rebalance: bool = False,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": NAME, "namespace": NS, "annotations": annotations or {}},
        "spec": {
            "version": version,
            "replicas": replicas,
            "storage": {"size": "10Gi"},
            "replication": {"factor": 2, "replicaMovement": movement},
            "autoScaling": {
                "enabled": True,
                "minReplicas": min_replicas,
                "maxReplicas": 5,
                "targetCPU": 70,
                "rebalance": rebalance,
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}},
            },
        },
    }


def node_views(pods: list[dict[str, Any]]) -> list[PodNode]:
    """What Weaviate's membership follows: the pods, their readiness and image tags."""
    views = []
    for pod in pods:
        ready = any(
            c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"]
        )
        image = pod["spec"]["containers"][0]["image"]
        views.append(PodNode(pod["metadata"]["name"], ready, image.rpartition(":")[2]))
    return views


class SimConnector:
    """The tests' WeaviateConnector: membership from the pods a pass saw, answers over HTTP."""

    def __init__(self, sim: EmbeddedWeaviate, url: str) -> None:
        self.sim = sim
        self.url = url

    def for_cluster(self, cluster: Any, live_pods: list[dict[str, Any]]) -> WeaviateApi:
        if live_pods:
            self.sim.sync_nodes(node_views(live_pods))
        return WeaviateHttpApi(self.url, timeout=5.0)


@dataclass
class Rig:
    kube: LocalKube
    clock: ManualClock
    sim: EmbeddedWeaviate
    service: Service
    load: LoadModel
    url: str

    def run(self, passes: int = 1) -> None:
        for _ in range(passes):
            self.service.reconcile()
            self.clock.advance(MOVE_SECONDS)

    def run_until_idle(self, *, limit: int = 30, before: Callable[[], None] | None = None) -> int:
        """Passes until no operation is in flight; how many it took."""
        for count in range(1, limit + 1):
            if before is not None:
                before()
            self.run()
            if self.status().get("operation") is None:
                return count
        raise AssertionError(f"still busy after {limit} passes: {self.status()['operation']}")

    def sync(self) -> None:
        """Weaviate membership after the pods the StatefulSet now has."""
        self.sim.sync_nodes(
            node_views(self.kube.list_pods(NS, {"app.kubernetes.io/instance": NAME}))
        )

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = self.kube.get_cluster(NS, NAME).get("status", {})
        return found

    def condition(self, kind: str) -> dict[str, Any]:
        return next(c for c in self.status()["conditions"] if c["type"] == kind)

    def events(self, reason: str) -> list[dict[str, Any]]:
        return [e for e in self.kube.list_events(NS) if e["reason"] == reason]

    def replicas(self) -> int:
        sts = self.kube.get(STS)
        assert sts is not None
        return int(sts["spec"]["replicas"])

    def placement(self) -> dict[tuple[str, str], list[str]]:
        return {
            (coll.name, shard.name): sorted(shard.replicas)
            for coll in self.sim.state.collections
            for shard in coll.shards
        }

    def on(self, *nodes: str) -> int:
        return sum(len(set(r) & set(nodes)) for r in self.placement().values())


@contextmanager
def rig(
    kube: LocalKube, clock: ManualClock, now: Callable[[], datetime], **spec: Any
) -> Iterator[Rig]:
    """A running cluster whose Weaviate holds 3 collections x 3 shards x 2 replicas."""
    kube.apply_cluster(manifest(**spec))
    load = LoadModel(kube.extras)
    load.set(KEY, cpu=70)  # on target: nothing to scale yet
    metrics = local_registry(kube.extras)
    Service(kube, clock=now, metrics=metrics, workers=1).reconcile()
    clock.advance(1)
    pods = kube.list_pods(NS, {"app.kubernetes.io/instance": NAME})
    version = spec.get("version", "1.32.5")
    sim = EmbeddedWeaviate.seeded(
        sorted(p["metadata"]["name"] for p in pods),
        collections=3,
        shards_per_collection=3,
        replication_factor=2,
        seed=11,
        version=version,
        clock=clock,
    )
    sim.set_replica_movement(spec.get("movement", True))
    with fake_cluster(sim) as fakes:
        url = fakes[f"{NAME}-0"].url
        service = Service(
            kube, clock=now, metrics=metrics, workers=1, weaviate=SimConnector(sim, url)
        )
        yield Rig(kube, clock, sim, service, load, url)


DEPARTING = (f"{NAME}-3", f"{NAME}-4")
KEEPING = (f"{NAME}-0", f"{NAME}-1", f"{NAME}-2")


def assert_data_safe(rig: Rig) -> None:
    assert rig.sim.lost_replicas() == []
    for shard, replicas in rig.placement().items():
        assert len(replicas) == len(set(replicas)) == 2, shard


def test_scale_in_drains_then_shrinks_over_several_passes(kube, clock, now) -> None:
    with rig(kube, clock, now) as r:
        to_move = r.on(*DEPARTING)
        r.load.set(KEY, cpu=30)  # 5 nodes at 30% of a 70% target: 3 nodes are enough

        r.run()

        operation = r.status()["operation"]
        assert (operation["kind"], operation["phase"]) == ("ScaleInDrain", "Moving")
        assert re.fullmatch(rf"0/{to_move} replicas, 5 -> 3 nodes", operation["message"])
        assert operation["details"]["departing"] == list(DEPARTING)
        assert r.replicas() == 5 and len(r.events("DrainStarted")) == 1

        r.run()

        assert r.status()["operation"]["message"].startswith("4/")
        assert r.condition("AutoscalingActive")["reason"] == "WaitingForOperation"
        assert r.replicas() == 5
        r.run_until_idle()

        assert r.replicas() == 3
        assert r.on(*DEPARTING) == 0, "the departing nodes were empty when they went"
        last = r.status()["lastOperation"]
        assert (last["kind"], last["phase"]) == ("ScaleInDrain", "Succeeded")
        assert r.status()["autoscaling"]["scaleEvents"][-1]["change"] == -2
        assert len(r.events("ScaledDown")) == 1
        r.sync()  # the pods are gone: Weaviate forgets the nodes, and whatever they held
        assert {n.name for n in r.sim.state.nodes} == set(KEEPING)
        assert_data_safe(r)
        assert r.condition("ScaleInBlocked")["status"] == "False"


def test_a_drain_on_1_38_passes_through_integrating(kube, clock, now) -> None:
    # 1.38 added INTEGRATING (cluster/proto/api/shard_requests.go); the drain must wait it out.
    with rig(kube, clock, now, version="1.38.2") as r:
        r.load.set(KEY, cpu=30)
        r.service.reconcile()  # the drain starts its first MOVEs
        clock.advance(8.5)  # registered 1 s + hydrating 5 s + finalizing 2 s: integrating now
        r.service.reconcile()
        states = {m.get("state") for m in r.status()["operation"]["details"]["moves"]}
        assert "INTEGRATING" in states

        r.run_until_idle()

        assert r.replicas() == 3
        assert r.status()["lastOperation"]["phase"] == "Succeeded"
        assert_data_safe(r)


def test_a_collection_dropped_mid_drain_is_skipped_not_failed(kube, clock, now) -> None:
    with rig(kube, clock, now) as r:
        r.load.set(KEY, cpu=30)
        r.service.reconcile()  # MOVEs planned for every collection, the first ones started
        planned = {m["collection"] for m in r.status()["operation"]["details"]["moves"]}
        dropped = sorted(planned)[0]
        r.sim.state.collections = [c for c in r.sim.state.collections if c.name != dropped]

        r.run_until_idle()

        last = r.status()["lastOperation"]
        assert (last["kind"], last["phase"]) == ("ScaleInDrain", "Succeeded"), last["message"]
        gone = [m for m in last["details"]["moves"] if m["collection"] == dropped]
        assert gone and all(m["stage"] == "Gone" for m in gone)
        assert r.replicas() == 3
        r.sync()
        assert_data_safe(r)


def test_a_failed_move_is_retried(kube, clock, now) -> None:
    with rig(kube, clock, now) as r:
        r.load.set(KEY, cpu=30)
        r.sim.fail_next_replication("target disk is full")

        r.run_until_idle()

        assert r.replicas() == 3
        moves = r.status()["lastOperation"]["details"]["moves"]
        retried = [m for m in moves if m["attempts"] == 1]
        assert len(retried) == 1 and retried[0]["stage"] == "Done"
        r.sync()
        assert_data_safe(r)


def test_a_move_that_keeps_failing_aborts_without_shrinking(kube, clock, now) -> None:
    with rig(kube, clock, now) as r:
        r.load.set(KEY, cpu=30)
        before = r.placement()

        r.run_until_idle(before=lambda: r.sim.fail_next_replication("target disk is full"))

        assert r.replicas() == 5
        blocked = r.condition("ScaleInBlocked")
        assert (blocked["status"], blocked["reason"]) == ("True", "DrainFailed")
        assert "target disk is full" in blocked["message"]
        assert r.status()["lastOperation"]["phase"] == "Failed"
        assert len(r.events("DrainFailed")) == 1
        failed = next(
            m for m in r.status()["lastOperation"]["details"]["moves"] if m["stage"] == "Failed"
        )
        assert failed["attempts"] == 3
        shard = (failed["collection"], failed["shard"])
        assert r.placement()[shard] == before[shard], "the failed replica stays where it was"
        assert_data_safe(r)

        r.run(3)  # no new drain right after a failed one

        assert len(r.events("DrainStarted")) == 1 and r.replicas() == 5


def test_movement_switched_off_mid_drain_aborts_without_shrinking(kube, clock, now) -> None:
    with rig(kube, clock, now) as r:
        r.load.set(KEY, cpu=30)
        r.run()
        assert r.status()["operation"]["phase"] == "Moving"

        r.sim.set_replica_movement(False)
        r.run()

        blocked = r.condition("ScaleInBlocked")
        assert (blocked["status"], blocked["reason"]) == ("True", "DrainFailed")
        # 1.32.5 reads REPLICA_MOVEMENT_DISABLED (usecases/config/environment.go up to 1.32.15)
        assert "REPLICA_MOVEMENT_DISABLED" in blocked["message"]
        assert r.status().get("operation") is None and r.replicas() == 5
        assert_data_safe(r)


@pytest.mark.parametrize(
    "case",
    [("1.31.9", True, "ReplicaMovementUnsupported"), ("1.32.5", False, "ReplicaMovementDisabled")],
    ids=["weaviate-1.31", "movement-disabled"],
)
def test_scale_in_is_refused_without_replica_movement(
    kube, clock, now, case: tuple[str, bool, str]
) -> None:
    version, movement, reason = case
    with rig(kube, clock, now, version=version, movement=movement) as r:
        r.load.set(KEY, cpu=30)
        before = r.placement()

        r.run(3)

        blocked = r.condition("ScaleInBlocked")
        assert (blocked["status"], blocked["reason"]) == ("True", reason)
        assert len(r.events("ScaleInBlocked")) == 1
        assert r.replicas() == 5 and r.status().get("operation") is None
        assert r.placement() == before and r.sim.state.ops == []


class CrashAfterFirstMove:
    """A connector whose function dies right after Weaviate accepted the first MOVE."""

    def __init__(self, inner: SimConnector) -> None:
        self.inner = inner

    def for_cluster(self, cluster: Any, live_pods: list[dict[str, Any]]) -> WeaviateApi:
        api = self.inner.for_cluster(cluster, live_pods)
        replicate = api.replicate

        def crashing(**kwargs: Any) -> str:
            replicate(**kwargs)
            raise RuntimeError("the function was killed")

        api.replicate = crashing  # type: ignore[method-assign]
        return api


def test_a_drain_survives_a_crash_mid_pass(kube, clock, now) -> None:
    with rig(kube, clock, now) as r:
        r.load.set(KEY, cpu=30)
        metrics = local_registry(kube.extras)
        crashing = Service(
            kube,
            clock=now,
            metrics=metrics,
            workers=1,
            weaviate=CrashAfterFirstMove(SimConnector(r.sim, r.url)),
        )

        report = crashing.reconcile()
        clock.advance(MOVE_SECONDS)

        assert not report.ok and len(r.sim.state.ops) == 1
        stored = r.status()["operation"]["details"]["moves"]
        assert [m["stage"] for m in stored].count("Starting") == 4
        # A fresh invocation: nothing but the stored status carries over.
        r.service = Service(
            kube, clock=now, metrics=metrics, workers=1, weaviate=SimConnector(r.sim, r.url)
        )
        r.run_until_idle(limit=40)

        assert r.replicas() == 3
        assert all(op.final is not None and not op.errors for op in r.sim.state.ops)
        first = r.sim.state.ops[0]
        same = [
            op for op in r.sim.state.ops if (op.shard, op.source) == (first.shard, first.source)
        ]
        assert len(same) == 1, "the move that landed during the crash was not sent again"
        r.sync()
        assert_data_safe(r)


def test_no_scale_in_below_the_raft_voters(kube, clock, now) -> None:
    with rig(kube, clock, now, min_replicas=1) as r:
        assert r.status()["voters"] == list(KEEPING)
        pinned = {PAUSED_REPLICAS_ANNOTATION: "1"}
        kube.apply_cluster(manifest(min_replicas=1, annotations=pinned))

        r.run_until_idle()

        assert r.replicas() == 3
        r.run(3)
        blocked = r.condition("ScaleInBlocked")
        assert (blocked["status"], blocked["reason"]) == ("True", "AtReplicaFloor")
        assert "Raft voters 3" in blocked["message"]
        assert len(r.events("ScaleInBlocked")) == 1 and r.replicas() == 3
        assert_data_safe(r)
