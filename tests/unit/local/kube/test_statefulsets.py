"""The simulated StatefulSet controller and kubelet: pods, readiness, rollouts, PVCs, deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from weavefn.errors import ConflictError, InvalidInputError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import LocalKube, ManualClock

from tests.unit.local.kube.manifests import NS, SELECTOR, images, ready, statefulset, storage_class

STS = ObjectRef("apps/v1", "StatefulSet", NS, "docs")
OLD = "cr.weaviate.io/semitechnologies/weaviate:1.27.3"
NEW = "cr.weaviate.io/semitechnologies/weaviate:1.28.2"


def status(kube: LocalKube) -> dict[str, Any]:
    found = kube.get(STS)
    assert found is not None
    return dict(found["status"])


def pods(kube: LocalKube) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in kube.list_pods(NS, SELECTOR)}


def uids(kube: LocalKube) -> dict[str, str]:
    return {name: p["metadata"]["uid"] for name, p in pods(kube).items()}


@pytest.fixture
def slow(clock: ManualClock) -> LocalKube:
    """Pods take 30 s to become Ready."""
    return LocalKube(clock=clock, ready_delay=30)


def _rename_service(sts: dict[str, Any]) -> None:
    sts["spec"]["serviceName"] = "renamed"


def _grow_volumes(sts: dict[str, Any]) -> None:
    sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "20Gi"


def _change_selector(sts: dict[str, Any]) -> None:
    sts["spec"]["selector"]["matchLabels"]["tier"] = "db"
    sts["spec"]["template"]["metadata"]["labels"]["tier"] = "db"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_grow_volumes, id="volume-size"),
        pytest.param(_rename_service, id="service-name"),
        pytest.param(_change_selector, id="selector"),
    ],
)
def test_forbidden_statefulset_update_is_422_on_spec(
    kube: LocalKube, change: Callable[[dict[str, Any]], None]
) -> None:
    kube.apply(statefulset())
    changed = statefulset()
    change(changed)
    with pytest.raises(InvalidInputError, match="Forbidden: updates to statefulset spec") as caught:
        kube.apply(changed)
    # As the API server does: one error on spec, naming what may change (not the field).
    assert [e.path for e in caught.value.errors] == ["spec"]
    assert kube.get(STS)["metadata"]["generation"] == 1  # type: ignore[index]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"replicas": 5}, id="replicas"),
        pytest.param({"image": NEW}, id="template"),
        pytest.param({"partition": 2}, id="update-strategy"),
    ],
)
def test_allowed_statefulset_updates_pass(kube: LocalKube, change: dict[str, Any]) -> None:
    kube.apply(statefulset())
    updated = kube.apply(statefulset(**change))
    assert updated["metadata"]["generation"] == 2


def test_replicas_default_to_one(kube: LocalKube) -> None:
    kube.apply(statefulset(replicas=None))
    assert kube.get_scale(NS, "docs").replicas == 1
    assert list(pods(kube)) == ["docs-0"]


def test_pods_carry_identity_labels_and_image(kube: LocalKube) -> None:
    kube.apply(statefulset(replicas=2))
    pod = pods(kube)["docs-1"]
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "docs-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    assert labels["app.kubernetes.io/name"] == "weaviate"
    assert pod["spec"]["containers"][0]["image"] == OLD
    assert pod["status"]["phase"] == "Running"


def test_pods_become_ready_after_the_delay(slow: LocalKube, clock: ManualClock) -> None:
    slow.apply(statefulset())
    assert [ready(p) for p in pods(slow).values()] == [False, False, False]
    assert status(slow)["readyReplicas"] == 0
    clock.advance(29)
    assert not any(ready(p) for p in pods(slow).values())
    clock.advance(1)
    assert all(ready(p) for p in pods(slow).values())
    assert status(slow) | {"currentRevision": "", "updateRevision": ""} == {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": "",
        "updateRevision": "",
        "collisionCount": 0,
    }


def test_scale_out_and_in_follow_the_scale_subresource(kube: LocalKube) -> None:
    kube.apply(statefulset(replicas=2))
    kube.patch_scale(NS, "docs", 4)
    assert sorted(pods(kube)) == ["docs-0", "docs-1", "docs-2", "docs-3"]
    # The controller's status write moved the version on: read the scale again first.
    scale = kube.get_scale(NS, "docs")
    assert scale.replicas == 4
    kube.patch_scale(NS, "docs", 1, resource_version=scale.resource_version)
    assert sorted(pods(kube)) == ["docs-0"]
    assert status(kube)["replicas"] == 1


def test_stale_scale_is_a_conflict(kube: LocalKube) -> None:
    kube.apply(statefulset())
    stale = kube.get_scale(NS, "docs")
    kube.patch_scale(NS, "docs", 4)
    with pytest.raises(ConflictError):
        kube.patch_scale(NS, "docs", 2, resource_version=stale.resource_version)
    assert kube.get_scale(NS, "docs").replicas == 4


def test_rolling_update_replaces_one_pod_at_a_time_from_the_top(
    slow: LocalKube, clock: ManualClock
) -> None:
    slow.apply(statefulset())
    clock.advance(30)
    slow.apply(statefulset(image=NEW))
    seen = []
    for _ in range(4):
        current = images(slow)
        seen.append([current[f"docs-{i}"] == NEW for i in range(3)])
        clock.advance(30)
    assert seen == [
        [False, False, True],
        [False, True, True],
        [True, True, True],
        [True, True, True],
    ]
    final = status(slow)
    assert final["currentRevision"] == final["updateRevision"]
    assert final["updatedReplicas"] == final["readyReplicas"] == 3


def test_rollout_waits_for_the_replaced_pod_to_be_ready(
    slow: LocalKube, clock: ManualClock
) -> None:
    slow.apply(statefulset())
    clock.advance(30)
    slow.fail_image("1.28.2")
    slow.apply(statefulset(image=NEW))
    clock.advance(600)
    assert images(slow) == {"docs-0": OLD, "docs-1": OLD, "docs-2": NEW}
    assert pods(slow)["docs-2"]["status"]["phase"] == "Pending"
    slow.heal(image="1.28.2")
    clock.advance(60)
    assert set(images(slow).values()) == {NEW}


def test_catching_up_after_a_long_pause_finishes_the_rollout(
    slow: LocalKube, clock: ManualClock
) -> None:
    slow.apply(statefulset())
    slow.apply(statefulset(image=NEW))
    clock.advance(3600)
    assert set(images(slow).values()) == {NEW}
    assert status(slow)["readyReplicas"] == 3


def test_partition_keeps_lower_ordinals_on_the_old_template(
    slow: LocalKube, clock: ManualClock
) -> None:
    slow.apply(statefulset(partition=3))
    clock.advance(30)
    slow.apply(statefulset(image=NEW, partition=2))
    clock.advance(300)
    assert images(slow) == {"docs-0": OLD, "docs-1": OLD, "docs-2": NEW}
    canary = status(slow)
    assert (canary["updatedReplicas"], canary["currentReplicas"]) == (1, 2)
    assert canary["currentRevision"] != canary["updateRevision"]
    slow.apply(statefulset(image=NEW, partition=0))
    clock.advance(300)
    assert set(images(slow).values()) == {NEW}
    assert status(slow)["currentRevision"] == status(slow)["updateRevision"]


def test_failed_pod_never_becomes_ready(kube: LocalKube) -> None:
    kube.fail_pod(NS, "docs-1")
    kube.apply(statefulset())
    assert {n: ready(p) for n, p in pods(kube).items()} == {
        "docs-0": True,
        "docs-1": False,
        "docs-2": True,
    }
    assert status(kube)["readyReplicas"] == 2
    kube.heal(NS, "docs-1")
    assert status(kube)["readyReplicas"] == 3


def test_orphan_delete_keeps_pods_and_a_new_statefulset_adopts_them(
    kube: LocalKube, clock: ManualClock
) -> None:
    kube.apply(statefulset())
    before = uids(kube)
    left = kube.delete(STS, propagation="Orphan")
    # The garbage collector releases the pods later: until then the old object stays, and
    # applying the new claim template to it is the 422 a real API server answers.
    assert left is not None and left["metadata"]["finalizers"] == ["orphan"]
    assert kube.get(STS)["metadata"]["deletionTimestamp"]  # type: ignore[index]
    with pytest.raises(InvalidInputError, match="Forbidden: updates to statefulset spec"):
        kube.apply(statefulset(size="20Gi"))
    clock.advance(1)
    assert kube.get(STS) is None
    assert uids(kube) == before
    assert all("ownerReferences" not in p["metadata"] for p in pods(kube).values())
    recreated = kube.apply(statefulset(size="20Gi"))
    assert uids(kube) == before  # adopted, not restarted
    owner_uids = {p["metadata"]["ownerReferences"][0]["uid"] for p in pods(kube).values()}
    assert owner_uids == {recreated["metadata"]["uid"]}
    assert len(kube.list_pvcs(NS, SELECTOR)) == 3


def test_background_delete_removes_pods_but_keeps_pvcs(kube: LocalKube) -> None:
    kube.apply(statefulset())
    kube.delete(STS)
    assert pods(kube) == {}
    assert len(kube.list_pvcs(NS, SELECTOR)) == 3


def test_deleted_pod_is_recreated(kube: LocalKube) -> None:
    kube.apply(statefulset())
    before = uids(kube)
    kube.delete(ObjectRef("v1", "Pod", NS, "docs-1"))
    after = uids(kube)
    assert sorted(after) == sorted(before)
    assert after["docs-1"] != before["docs-1"]


def test_pvcs_are_named_per_ordinal_retained_and_reused(kube: LocalKube) -> None:
    kube.apply(statefulset())
    first = {p["metadata"]["name"]: p for p in kube.list_pvcs(NS, {"weaviate.io/volume": "data"})}
    assert sorted(first) == ["data-docs-0", "data-docs-1", "data-docs-2"]
    assert first["data-docs-2"]["status"]["capacity"]["storage"] == "10Gi"
    kube.patch_scale(NS, "docs", 1)
    assert len(kube.list_pvcs(NS, SELECTOR)) == 3
    kube.patch_scale(NS, "docs", 3)
    again = {p["metadata"]["name"]: p["metadata"]["uid"] for p in kube.list_pvcs(NS, SELECTOR)}
    assert again == {name: p["metadata"]["uid"] for name, p in first.items()}
    volumes = pods(kube)["docs-2"]["spec"]["volumes"]
    assert volumes == [{"name": "data", "persistentVolumeClaim": {"claimName": "data-docs-2"}}]


@pytest.mark.parametrize(
    ("expandable", "size", "outcome"),
    [
        pytest.param(True, "20Gi", "20Gi", id="grows-when-class-allows"),
        pytest.param(False, "20Gi", "StorageClass 'fast'", id="refused-when-class-forbids"),
        pytest.param(True, "5Gi", "can not be less than previous value", id="never-shrinks"),
        pytest.param(True, "lots", "not a Kubernetes quantity", id="bad-size"),
    ],
)
def test_pvc_expansion(kube: LocalKube, expandable: bool, size: str, outcome: str) -> None:
    kube.apply(storage_class(expandable=expandable))
    kube.apply(statefulset(replicas=1))
    if outcome.endswith("Gi"):
        patched = kube.patch_pvc_size(NS, "data-docs-0", size)
        assert patched["spec"]["resources"]["requests"]["storage"] == outcome
        assert patched["status"]["capacity"]["storage"] == outcome
        return
    with pytest.raises(InvalidInputError, match=outcome) as caught:
        kube.patch_pvc_size(NS, "data-docs-0", size)
    assert caught.value.errors[0].path == "spec.resources.requests.storage"
    pvc = kube.list_pvcs(NS, SELECTOR)[0]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"
