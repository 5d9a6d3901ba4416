"""Reconcile, scale-out, drain, volume growth, upgrade, rollback, restore and its cancel on a real API server.

Every pass runs as a function does: ``kubeconfig:PATH`` holding the token of a ServiceAccount
bound to the ClusterRole of infra/k8s/rbac.yaml (a missing grant is a 403 that fails the pass),
Weaviate reached only through the API server's service proxy. Between passes the test is the
kubelet: it binds pods, reports them Running and Ready (or stuck in ImagePullBackOff) and
removes the ones the controllers deleted; a fake Weaviate listens on each pod's own IP.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from weavefn.kube.port import ObjectRef
from weavefn.kube.real import RealKube
from weavefn.lifecycle.backup import request_backup
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import BackupFailure
from weavefn.runtime import build_runtime, open_backend
from weavefn.service import Service
from weavefn.triggers.model import RestoreRequest
from weavefn.weaviate.port import BackupStatus

from tests.e2e.real_cluster import FAST, NAME, Scenario
from tests.support.kubelet import Kubelet

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


def create(scenario: Scenario, replicas: int, *, version: str = "1.32.5", **spec: Any) -> None:
    scenario.apply(manifest(scenario.namespace, replicas=replicas, version=version, **spec))
    first = scenario.reconcile()
    assert first.ok, first
    assert any(a.startswith("Created: created ") for a in first.actions)
    scenario.passes_until(
        lambda: scenario.running(replicas, version), what=f"{replicas}/{replicas} Running"
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


def _shards(sim: EmbeddedWeaviate, collection: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    found = sim.state.collection(collection)
    assert found is not None, f"{collection} is not there"
    return {s.name: (s.objects, tuple(s.replicas)) for s in found.shards}


def test_restore_a_dropped_collection_then_create_a_cluster_from_the_backup(
    scenario: Scenario, real_kube: RealKube, kubelet: Kubelet, kubeconfig: Path
) -> None:
    backup = {"type": "aws", "region": "us-east-1", "aws": {"backup": {"bucket": "backups"}}}
    create(scenario, 2, version="1.36.2", cloudProvider=backup)
    before = {c: _shards(scenario.sim, c) for c in ("Articles", "Products")}
    with open_backend(f"kubeconfig:{scenario.kubeconfig}") as backend:
        backup_id = request_backup(
            backend.kube, namespace=scenario.namespace, name=NAME, now=scenario.clock()
        )
    scenario.passes_until(
        lambda: scenario.status()["backups"][-1]["status"] == "SUCCESS", what="the backup"
    )
    scenario.sim.drop_collection("Products")

    # as the signed /restore route does: check, record, one pass; then the schedule's passes
    request = RestoreRequest(
        cluster=scenario.key, backup=backup_id, event_id="e2e", include=("Products",)
    )
    scenario.act()
    with open_backend(f"kubeconfig:{scenario.kubeconfig}") as backend:
        service: Service = build_runtime(backend, clock=scenario.clock).service
        outcome = service.restore(request, deadline=time.monotonic() + 20)
    assert outcome.ok, outcome
    scenario.passes_until(
        lambda: (scenario.status().get("lastOperation") or {}).get("kind") == "Restore",
        what="the restore",
    )
    last = scenario.status()["lastOperation"]
    assert last["phase"] == "Succeeded", last
    assert {c: _shards(scenario.sim, c) for c in before} == before

    # one that hangs is given up after 2 hours and cancelled on Weaviate (1.36+): a DELETE
    # through the service proxy, which the ClusterRole must grant
    scenario.sim.drop_collection("Products")
    scenario.sim.fail_next_restore(BackupFailure.STUCK)
    with open_backend(f"kubeconfig:{scenario.kubeconfig}") as backend:
        service = build_runtime(backend, clock=scenario.clock).service
        hung = RestoreRequest(
            cluster=scenario.key, backup=backup_id, event_id="e2e-hung", include=("Products",)
        )
        assert service.restore(hung, deadline=time.monotonic() + 20).ok
    assert scenario.status()["operation"]["details"]["weaviateStatus"] == "STARTED"
    scenario.clock.skipped += timedelta(minutes=121)
    scenario.passes_until(
        # the first restore Succeeded; both may have started within the same second
        lambda: scenario.status()["lastOperation"]["phase"] != "Succeeded",
        what="the hung restore given up",
    )
    given_up = scenario.status()["lastOperation"]
    assert given_up["phase"] == "Failed", given_up
    assert "given up, and Weaviate's restore cancelled" in given_up["message"]
    seen = scenario.sim.restore_status("s3", backup_id)
    assert (seen.status, seen.error) == (BackupStatus.CANCELED, "restore canceled by user")
    scenario.sim.add_collection("Products", shards=2, replication_factor=2)

    # a new cluster, created from that backup once its pods are Ready
    copy = Scenario(
        admin=real_kube,
        kubelet=kubelet,
        namespace=scenario.namespace,
        name="copy",
        sim=EmbeddedWeaviate(timing=FAST, storage=scenario.sim.storage),
        kubeconfig=kubeconfig,
        clock=scenario.clock,
    )
    try:
        mapping = {f"{NAME}-{i}": f"copy-{i}" for i in range(2)}
        spec = manifest(scenario.namespace, replicas=2, version="1.36.2", cloudProvider=backup)
        spec["metadata"]["name"] = "copy"
        spec["spec"]["restoreFrom"] = {"backend": "s3", "id": backup_id, "nodeMapping": mapping}
        copy.apply(spec)
        copy.passes_until(
            lambda: (copy.status().get("lastOperation") or {}).get("kind") == "Restore",
            what="the restore into the new cluster",
        )
        assert copy.status()["lastOperation"]["phase"] == "Succeeded"
        assert copy.status()["restoredFrom"]["id"] == backup_id
        assert {c: _shards(copy.sim, c) for c in before} == {
            c: {s: (n, tuple(mapping[r] for r in nodes)) for s, (n, nodes) in v.items()}
            for c, v in before.items()
        }
    finally:
        copy.stop()
