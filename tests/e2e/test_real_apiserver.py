"""Reconcile, scale-out, drain, volume growth, upgrade and rollback on a real API server.

Every pass runs as a function does: ``kubeconfig:PATH`` holding the token of a ServiceAccount
bound to the ClusterRole of infra/k8s/rbac.yaml (a missing grant is a 403 that fails the pass),
Weaviate reached only through the API server's service proxy. Between passes the test is the
kubelet: it binds pods, reports them Running and Ready (or stuck in ImagePullBackOff) and
removes the ones the controllers deleted; a fake Weaviate listens on each pod's own IP.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from weavefn.kube.port import ObjectRef
from weavefn.kube.real import RealKube

from tests.e2e.real_cluster import NAME, Scenario

SELECTOR = (
    f"app.kubernetes.io/component=database,app.kubernetes.io/instance={NAME},"
    "app.kubernetes.io/name=weaviate"
)


def manifest(namespace: str, *, replicas: int, version: str = "1.32.5", **spec: Any) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": NAME, "namespace": namespace},
        "spec": {
            "version": version,
            "replicas": replicas,
            "storage": {"size": "1Gi"},
            "replication": {"factor": 2, "replicaMovement": True},
            "autoScaling": {"enabled": False},
            **spec,
        },
    }


def create(scenario: Scenario, replicas: int, **spec: Any) -> None:
    scenario.apply(manifest(scenario.namespace, replicas=replicas, **spec))
    first = scenario.reconcile()
    assert first.ok, first
    assert any(a.startswith("Created: created ") for a in first.actions)
    scenario.passes_until(
        lambda: scenario.running(replicas, "1.32.5"), what=f"{replicas}/{replicas} Running"
    )
    scenario.sim.add_collection("Articles", shards=3, replication_factor=2)
    scenario.sim.add_collection("Products", shards=2, replication_factor=2)


def test_create_scale_out_and_drain_through_spec_replicas(scenario: Scenario) -> None:
    create(scenario, 2)
    scale = scenario.admin.get_cluster_scale(scenario.namespace, NAME)
    assert scale["status"] == {"replicas": 2, "selector": SELECTOR}, "an HPA can target it"
    assert scale["spec"] == {"replicas": 2}

    scenario.apply(manifest(scenario.namespace, replicas=3))
    reports = scenario.passes_until(
        lambda: scenario.running(3, "1.32.5"), what="the scale-out to 3"
    )
    assert "ScaledUp: scaled 2 -> 3: spec.replicas is 3" in reports[0].actions
    managers = {
        (e["manager"], e.get("subresource", "")): e
        for e in scenario.statefulset()["metadata"]["managedFields"]
    }
    assert "f:replicas" in managers[("weavefn-scaler", "scale")]["fieldsV1"]["f:spec"]

    scenario.apply(manifest(scenario.namespace, replicas=2))
    reports = scenario.passes_until(
        lambda: scenario.statefulset()["spec"]["replicas"] == 2 and scenario.running(2, "1.32.5"),
        what="the drain and shrink to 2",
    )
    actions = [a for r in reports for a in r.actions]
    assert any(a.startswith("ScaledDown: scaled 3 -> 2 after moving") for a in actions), actions
    last = scenario.status()["lastOperation"]
    assert (last["kind"], last["phase"]) == ("ScaleInDrain", "Succeeded")
    assert scenario.sim.lost_replicas() == [], "search-2 left holding no shard replica"
    served = {name: len(server.requests) for name, server in scenario.weaviate.servers.items()}
    assert sum(served.values()) > 0, "Weaviate was reached through the service proxy"


def test_volume_growth_recreates_the_statefulset_without_a_failed_pass(
    scenario: Scenario, real_kube: RealKube
) -> None:
    # Claims must be bound to be resized: a static PV per claim, bound by the real PV binder.
    real_kube.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": f"grow-{scenario.namespace}"},
            "provisioner": "kubernetes.io/no-provisioner",
            "allowVolumeExpansion": True,
        }
    )
    storage_class = f"grow-{scenario.namespace}"
    for ordinal in range(2):
        real_kube.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"{scenario.namespace}-{ordinal}"},
                "spec": {
                    "capacity": {"storage": "5Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": storage_class,
                    "hostPath": {"path": f"/tmp/{scenario.namespace}-{ordinal}"},
                    "claimRef": {
                        "namespace": scenario.namespace,
                        "name": f"weaviate-data-{NAME}-{ordinal}",
                    },
                },
            }
        )
    storage = {"size": "1Gi", "storageClassName": storage_class}
    create(scenario, 2, storage=storage)
    scenario.settle(
        lambda: all(
            c.get("status", {}).get("phase") == "Bound"
            for c in real_kube.list_pvcs(scenario.namespace, {"app.kubernetes.io/instance": NAME})
        ),
        what="the claims to bind",
    )
    old = scenario.statefulset()["metadata"]["uid"]
    pods = {n: p["metadata"]["uid"] for n, p in scenario.pods().items()}

    grown = {**storage, "size": "2Gi"}
    scenario.apply(manifest(scenario.namespace, replicas=2, storage=grown))
    reports = scenario.passes_until(
        lambda: (
            "operation" not in scenario.status()
            and (scenario.status().get("lastOperation") or {}).get("kind") == "VolumeExpansion"
        ),
        what="the volume expansion",
    )

    assert all(r.ok and r.phase != "Degraded" for r in reports), reports
    assert not any("ApplyFailed" in a for r in reports for a in r.actions)
    sts = scenario.statefulset()
    assert sts["metadata"]["uid"] != old
    template = sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]
    assert template["storage"] == "2Gi"
    claims = real_kube.list_pvcs(scenario.namespace, {"app.kubernetes.io/instance": NAME})
    assert {c["spec"]["resources"]["requests"]["storage"] for c in claims} == {"2Gi"}
    scenario.settle(
        lambda: all(
            sts["metadata"]["uid"] in {r["uid"] for r in p["metadata"].get("ownerReferences", [])}
            for p in scenario.pods().values()
        ),
        what="the new StatefulSet to adopt the pods",
    )
    assert {n: p["metadata"]["uid"] for n, p in scenario.pods().items()} == pods, "no restart"


def test_upgrade_then_a_rollback_from_a_pod_that_cannot_pull_its_image(
    scenario: Scenario,
) -> None:
    backup = {"type": "aws", "region": "us-east-1", "aws": {"backup": {"bucket": "backups"}}}
    create(scenario, 2, cloudProvider=backup)

    scenario.apply(manifest(scenario.namespace, replicas=2, version="1.32.6", cloudProvider=backup))
    reports = scenario.passes_until(
        lambda: (
            scenario.running(2, "1.32.6")
            and (scenario.status().get("lastOperation") or {}).get("phase") == "Succeeded"
        ),
        what="the upgrade to 1.32.6",
    )
    actions = [a for r in reports for a in r.actions]
    assert any("backup" in a.lower() for a in actions), actions
    assert scenario.status()["lastOperation"]["kind"] == "Upgrade"

    scenario.kubelet.failing_images.add(":1.33.1")
    scenario.apply(manifest(scenario.namespace, replicas=2, version="1.33.1", cloudProvider=backup))
    reports = scenario.passes_until(
        lambda: (
            scenario.running(2, "1.32.6")
            and (scenario.status().get("lastOperation") or {}).get("phase") == "RolledBack"
        ),
        what="the rollback to 1.32.6",
    )
    # An image that cannot be pulled never heals: the rollback starts as soon as a pass sees
    # it, without the clock moving towards the 10-minute step timeout.
    assert scenario.clock.skipped == timedelta(0)
    started = [a for r in reports for a in r.actions if a.startswith("RollbackStarted:")]
    assert len(started) == 1, started
    assert f"{NAME}-1 cannot start:" in started[0], "one pod at a time: the top one first"
    assert "ImagePullBackOff" in started[0] or "ErrImagePull" in started[0]
    error = scenario.status()["lastOperation"]["details"]["error"]
    assert "cannot start" in error and "after 10m" not in error
    images = {c["image"] for c in scenario.statefulset()["spec"]["template"]["spec"]["containers"]}
    assert any(i.endswith(":1.32.6") for i in images)
    assert scenario.admin.get(ObjectRef("apps/v1", "StatefulSet", scenario.namespace, NAME))
