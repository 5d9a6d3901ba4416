"""Reconcile on the local cluster: create, converge, repair drift, survive faults, grow volumes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import Fault, LocalKube, ManualClock, Verb
from weavefn.local.metrics import local_registry
from weavefn.service import Service

from tests.functional.conftest import example, storage_class

NS, NAME = "weaviate", "production"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)


def status(kube: LocalKube) -> dict[str, Any]:
    found: dict[str, Any] = kube.get_cluster(NS, NAME).get("status", {})
    return found


def conditions(kube: LocalKube) -> dict[str, str]:
    return {c["type"]: c["status"] for c in status(kube).get("conditions", [])}


@pytest.fixture
def production(kube: LocalKube) -> dict[str, Any]:
    kube.apply(storage_class("fast-ssd", expandable=True))
    kube.apply_cluster(example("production-aws.yaml"))
    return kube.get_cluster(NS, NAME)


def test_creates_a_running_cluster_from_scratch(kube: LocalKube, service: Service, production):
    report = service.reconcile()

    assert report.ok, report.clusters
    sts = kube.get(STS)
    assert sts is not None and sts["spec"]["replicas"] == 3
    assert len(kube.list_pods(NS, {"app.kubernetes.io/instance": NAME})) == 3
    for kind, name in [
        ("Service", NAME),
        ("Service", f"{NAME}-headless"),
        ("PodDisruptionBudget", NAME),
        ("ConfigMap", f"{NAME}-config"),
    ]:
        api = "policy/v1" if kind == "PodDisruptionBudget" else "v1"
        assert kube.get(ObjectRef(api, kind, NS, name)) is not None, kind
    current = status(kube)
    assert current["phase"] == "Running"
    assert current["readyReplicas"] == 3 and current["replicas"] == 3
    assert current["currentVersion"] == "1.27.0"
    assert current["voters"] == [f"{NAME}-0", f"{NAME}-1", f"{NAME}-2"]
    assert current["observedGeneration"] == production["metadata"]["generation"]
    assert conditions(kube)["Ready"] == "True"
    assert any(e["reason"] == "Created" for e in kube.list_events(NS))


def test_status_carries_the_selector_the_scale_subresource_points_at(kube, service, production):
    service.reconcile()

    selector = (
        "app.kubernetes.io/component=database,app.kubernetes.io/instance=production,"
        "app.kubernetes.io/name=weaviate"
    )
    assert status(kube)["selector"] == selector
    # What an HPA, KEDA or VPA reads: the CRD's labelSelectorPath is .status.selector.
    scale = kube.get_cluster_scale(NS, NAME)
    assert scale["status"] == {"replicas": 3, "selector": selector}
    pods = kube.list_pods(NS, dict(p.split("=") for p in selector.split(",")))
    assert sorted(p["metadata"]["name"] for p in pods) == [f"{NAME}-{i}" for i in range(3)]


def test_second_reconcile_makes_no_writes(kube: LocalKube, service: Service, production):
    service.reconcile()
    kube.reset_calls()

    report = service.reconcile()

    assert report.ok
    assert kube.writes == 0, [c for c in kube.calls if not c.verb.is_read]
    assert report.clusters[f"{NS}/{NAME}"].actions == ()


def test_creation_waits_for_pods_before_running(kube: LocalKube, clock: ManualClock, now):
    slow = LocalKube(clock=clock, ready_delay=30.0)
    slow.apply_cluster(example("minimal.yaml"))
    service = Service(slow, clock=now)
    service.reconcile()
    (cluster,) = slow.list_clusters()
    assert cluster["status"]["phase"] == "Creating"
    assert {c["type"]: c["status"] for c in cluster["status"]["conditions"]}["Ready"] == "False"

    clock.advance(31)
    service.reconcile()

    (cluster,) = slow.list_clusters()
    assert cluster["status"]["phase"] == "Running"


@pytest.mark.parametrize(
    "vandalise",
    [
        pytest.param(
            lambda k: k.delete(ObjectRef("v1", "Service", NS, NAME)), id="service-deleted"
        ),
        pytest.param(
            lambda k: k.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": NAME, "namespace": NS},
                    "spec": {"ports": [{"name": "http", "port": 9999, "targetPort": 8080}]},
                },
                field_manager="kubectl",
                force=True,
            ),
            id="service-port-edited",
        ),
        pytest.param(
            lambda k: k.delete(ObjectRef("policy/v1", "PodDisruptionBudget", NS, NAME)),
            id="pdb-deleted",
        ),
    ],
)
def test_drift_is_repaired(kube: LocalKube, service: Service, production, vandalise):
    # a hand edit of the pod template is repaired by a rollout: test_template_rollout.py
    service.reconcile()
    before = copy.deepcopy(kube.get(STS))
    vandalise(kube)

    report = service.reconcile()

    assert report.ok
    assert report.clusters[f"{NS}/{NAME}"].actions, "the repair should be reported"
    kube.reset_calls()
    service.reconcile()
    assert kube.writes == 0, "after the repair the cluster is converged"
    assert kube.get(STS)["spec"]["replicas"] == before["spec"]["replicas"]
    svc = kube.get(ObjectRef("v1", "Service", NS, NAME))
    assert {p["port"] for p in svc["spec"]["ports"]} >= {8080, 50051}


def test_reconcile_never_resets_replicas_set_by_scaling(kube, service, production):
    service.reconcile()
    kube.patch_scale(NS, NAME, 5)

    service.reconcile()

    assert kube.get(STS)["spec"]["replicas"] == 5
    assert len(kube.list_pods(NS, {"app.kubernetes.io/instance": NAME})) == 5


def test_status_conflict_is_retried(kube: LocalKube, service: Service, production):
    kube.add_fault(Fault.CONFLICT, verb=Verb.UPDATE, kind="WeaviateCluster", times=1)

    report = service.reconcile()

    assert report.ok, report.clusters
    assert status(kube)["phase"] == "Running"


def test_persistent_faults_degrade_then_recover(kube: LocalKube, service: Service, production):
    kube.add_fault(Fault.UNAVAILABLE, verb=Verb.APPLY, times=50)

    report = service.reconcile()

    result = report.clusters[f"{NS}/{NAME}"]
    assert not result.ok and result.retryable
    assert status(kube)["phase"] == "Degraded"
    assert (
        "unavailable"
        in {c["type"]: c for c in status(kube)["conditions"]}["Degraded"]["message"].lower()
    )
    kube.clear_faults()

    assert service.reconcile().ok
    assert status(kube)["phase"] == "Running"
    assert conditions(kube)["Degraded"] == "False"


def test_invalid_spec_is_reported_and_nothing_is_touched(kube: LocalKube, service: Service):
    bad = example("minimal.yaml")
    bad["spec"]["version"] = "latest"
    bad["spec"]["replicas"] = 0
    kube.apply_cluster(bad)
    namespace = bad["metadata"].get("namespace", "default")

    report = service.reconcile()

    assert not report.ok
    (cluster,) = kube.list_clusters()
    invalid = {c["type"]: c for c in cluster["status"]["conditions"]}["InvalidSpec"]
    assert invalid["status"] == "True"
    assert "spec.version" in invalid["message"] and "spec.replicas" in invalid["message"]
    assert cluster["status"]["phase"] == "Invalid"
    assert kube.list_objects("apps/v1", "StatefulSet", namespace=namespace) == []
    assert kube.list_objects("v1", "Service", namespace=namespace) == []


def test_storage_growth_expands_claims_and_recreates_the_statefulset(kube, service, production):
    service.reconcile()
    pods_before = {
        p["metadata"]["name"]: p["metadata"]["uid"]
        for p in kube.list_pods(NS, {"app.kubernetes.io/instance": NAME})
    }
    kube.patch_scale(NS, NAME, 4)
    service.reconcile()
    grown = copy.deepcopy(kube.get_cluster(NS, NAME))
    grown["spec"]["storage"]["size"] = "200Gi"
    kube.apply_cluster({k: grown[k] for k in ("apiVersion", "kind", "metadata", "spec")})

    report = service.reconcile()

    assert report.ok, report.clusters
    claims = kube.list_pvcs(NS, {"app.kubernetes.io/instance": NAME})
    assert len(claims) == 4
    assert {c["spec"]["resources"]["requests"]["storage"] for c in claims} == {"200Gi"}
    sts = kube.get(STS)
    assert (
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        == "200Gi"
    )
    assert sts["spec"]["replicas"] == 4, "re-creation keeps the scaled replica count"
    pods_after = {
        p["metadata"]["name"]: p["metadata"]["uid"]
        for p in kube.list_pods(NS, {"app.kubernetes.io/instance": NAME})
    }
    assert all(pods_after[name] == uid for name, uid in pods_before.items()), "no pod restarted"
    current = status(kube)
    assert "operation" not in current
    assert current["lastOperation"]["kind"] == "VolumeExpansion"
    kube.reset_calls()
    service.reconcile()
    assert kube.writes == 0


def test_storage_growth_waits_for_the_collector_over_passes_without_failing(
    kube, now, clock, production
):
    # The garbage collector has not released the old StatefulSet by the end of the pass (no
    # time passes here while the pass waits): the operation stays in flight, nothing fails.
    service = Service(kube, clock=now, metrics=local_registry(kube.extras), pause=lambda _: None)
    service.reconcile()
    grown = copy.deepcopy(kube.get_cluster(NS, NAME))
    grown["spec"]["storage"]["size"] = "200Gi"
    kube.apply_cluster({k: grown[k] for k in ("apiVersion", "kind", "metadata", "spec")})

    first = service.reconcile()

    assert first.ok, first.clusters
    report = first.clusters[f"{NS}/{NAME}"]
    assert "waiting for the garbage collector to release the old StatefulSet's pods" in (
        report.actions
    )
    current = status(kube)
    assert current["operation"]["phase"] == "RecreatingStatefulSet"
    assert {c["type"]: c["status"] for c in current["conditions"]}["Degraded"] == "False"
    assert not any(e["reason"] == "ApplyFailed" for e in kube.list_events(NS))
    assert kube.get(STS)["metadata"]["deletionTimestamp"]

    clock.advance(1)
    second = service.reconcile()

    assert second.ok, second.clusters
    sts = kube.get(STS)
    assert "deletionTimestamp" not in sts["metadata"]
    assert (
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        == "200Gi"
    )
    assert "operation" not in status(kube)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"size": "50Gi"}, "ShrinkRefused", id="shrink"),
        pytest.param({"storageClassName": "other"}, "StorageClassChangeRefused", id="class-change"),
    ],
)
def test_storage_changes_that_cannot_be_made_are_refused(kube, service, production, change, reason):
    service.reconcile()
    edited = copy.deepcopy(kube.get_cluster(NS, NAME))
    edited["spec"]["storage"].update(change)
    kube.apply_cluster({k: edited[k] for k in ("apiVersion", "kind", "metadata", "spec")})
    sts_before = kube.get(STS)["spec"]["volumeClaimTemplates"]

    service.reconcile()

    storage = {c["type"]: c for c in status(kube)["conditions"]}["StorageResizable"]
    assert storage["status"] == "False" and storage["reason"] == reason
    assert kube.get(STS)["spec"]["volumeClaimTemplates"] == sts_before
    assert any(e["reason"] == "StorageChangeRefused" for e in kube.list_events(NS))


def test_growth_refused_when_the_storage_class_cannot_expand(kube, service):
    kube.apply(storage_class("fast-ssd", expandable=False))
    kube.apply_cluster(example("production-aws.yaml"))
    service.reconcile()
    grown = copy.deepcopy(kube.get_cluster(NS, NAME))
    grown["spec"]["storage"]["size"] = "200Gi"
    kube.apply_cluster({k: grown[k] for k in ("apiVersion", "kind", "metadata", "spec")})

    service.reconcile()

    storage = {c["type"]: c for c in status(kube)["conditions"]}["StorageResizable"]
    assert storage["reason"] == "ExpansionNotSupported"
    claims = kube.list_pvcs(NS, {"app.kubernetes.io/instance": NAME})
    assert {c["spec"]["resources"]["requests"]["storage"] for c in claims} == {"100Gi"}


def test_a_pass_renders_the_statefulset_once(
    kube: LocalKube, service: Service, production, monkeypatch: pytest.MonkeyPatch
):
    from weavefn import render

    service.reconcile()  # created and running: the next pass is a steady one
    rendered: list[dict[str, Any]] = []
    real = render.render_statefulset

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        rendered.append(real(*args, **kwargs))
        return rendered[-1]

    monkeypatch.setattr(render, "render_statefulset", counted)
    service.reconcile()

    assert len(rendered) == 1
