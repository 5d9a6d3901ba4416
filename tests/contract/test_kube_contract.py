"""The KubeApi contract: each case runs on the local cluster and on a real API server.

What weavefn relies on: create and server-side apply (ownership, conflicts, removal of fields a
manager stops applying), the scale and status subresources of the StatefulSet and of the
WeaviateCluster CRD, resourceVersion preconditions, orphan, foreground and background deletes
with their finalizers, StatefulSet immutable fields, partitions, pods and claims.
"""

from __future__ import annotations

import pytest
from weavefn.errors import ConflictError, InvalidInputError

from tests.contract.conftest import Backend
from tests.contract.manifests import (
    HOLD,
    NEW_IMAGE,
    OLD_IMAGE,
    SELECTOR,
    cluster,
    configmap,
    finalizers_only,
    managers,
    owner_uids,
    ref,
    statefulset,
)

FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' "
    "and 'minReadySeconds' are forbidden"
)


def pods(b: Backend) -> dict[str, dict]:  # type: ignore[type-arg]
    return {p["metadata"]["name"]: p for p in b.kube.list_pods(b.namespace, SELECTOR)}


def ready_pods(b: Backend, count: int, image: str = OLD_IMAGE) -> dict[str, dict] | None:  # type: ignore[type-arg]
    found = pods(b)
    ok = len(found) == count and all(
        p["spec"]["containers"][0]["image"] == image
        and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (p.get("status") or {}).get("conditions") or []
        )
        for p in found.values()
    )
    return found if ok else None


# -- create and server-side apply ---------------------------------------------------------


def test_create_sets_identity_and_an_identical_apply_changes_nothing(backend: Backend) -> None:
    created = backend.kube.apply(configmap(backend.namespace, "a", {"k": "1"}))
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    assert set(managers(created)) == {("weavefn", "Apply", "")}
    again = backend.kube.apply(configmap(backend.namespace, "a", {"k": "1"}))
    assert again["metadata"]["resourceVersion"] == meta["resourceVersion"]


def test_apply_conflicts_on_another_managers_field_unless_forced(backend: Backend) -> None:
    backend.kube.apply(configmap(backend.namespace, "a", {"k": "1"}), field_manager="weavefn")
    with pytest.raises(ConflictError) as caught:
        backend.kube.apply(
            configmap(backend.namespace, "a", {"k": "2"}),
            field_manager="weavefn-scaler",
            force=False,
        )
    assert 'Apply failed with 1 conflict: conflict with "weavefn": .data.k' in str(caught.value)
    forced = backend.kube.apply(
        configmap(backend.namespace, "a", {"k": "2"}), field_manager="weavefn-scaler"
    )
    assert forced["data"] == {"k": "2"}
    assert set(managers(forced)) == {("weavefn-scaler", "Apply", "")}


def test_apply_removes_fields_a_manager_stops_setting_unless_shared(backend: Backend) -> None:
    ns = backend.namespace
    backend.kube.apply(configmap(ns, "a", {"k": "1", "shared": "s", "mine": "m"}))
    backend.kube.apply(configmap(ns, "a", {"shared": "s"}), field_manager="other", force=False)
    left = backend.kube.apply(configmap(ns, "a", {"k": "1"}))
    assert left["data"] == {"k": "1", "shared": "s"}


# -- scale and status subresources --------------------------------------------------------


def test_scale_subresource_owns_replicas_and_apply_without_them_leaves_them(
    backend: Backend,
) -> None:
    ns = backend.namespace
    backend.kube.apply(statefulset(ns, replicas=2), field_manager="weavefn-scaler")
    applied = backend.kube.apply(statefulset(ns, replicas=None))
    assert applied["spec"]["replicas"] == 2
    scaled = backend.kube.patch_scale(ns, "docs", 3)
    assert scaled.replicas == 3
    assert backend.kube.get_scale(ns, "docs").replicas == 3
    sts = backend.kube.get(ref(statefulset(ns)))
    owners = managers(sts)
    assert owners[("weavefn-scaler", "Update", "scale")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owners[("weavefn", "Apply", "")]["f:spec"]
    with pytest.raises(ConflictError, match='conflict with "weavefn-scaler"'):
        backend.kube.apply(statefulset(ns, replicas=5), force=False)


def test_scale_with_a_stale_resource_version_is_a_conflict(backend: Backend) -> None:
    ns = backend.namespace
    backend.kube.apply(statefulset(ns, replicas=2), field_manager="weavefn-scaler")
    seen = backend.kube.get_scale(ns, "docs")
    backend.kube.patch_scale(ns, "docs", 3, resource_version=seen.resource_version)
    with pytest.raises(ConflictError, match="the object has been modified"):
        backend.kube.patch_scale(ns, "docs", 4, resource_version=seen.resource_version)
    assert backend.kube.get_scale(ns, "docs").replicas == 3


def test_status_subresource_writes_status_only_with_a_precondition(backend: Backend) -> None:
    ns = backend.namespace
    created = backend.kube.apply_cluster(cluster(ns, replicas=3))
    assert created["metadata"]["generation"] == 1
    body = {**created, "spec": {**created["spec"], "replicas": 9}}
    body["status"] = {"phase": "Running", "replicas": 3, "readyReplicas": 3}
    written = backend.kube.replace_cluster_status(body)
    assert written["spec"]["replicas"] == 3, "a status write ignores spec"
    assert written["status"]["phase"] == "Running"
    assert written["metadata"]["generation"] == 1
    with pytest.raises(ConflictError):
        backend.kube.replace_cluster_status(body)  # created's resourceVersion is stale now
    reapplied = backend.kube.apply_cluster({**cluster(ns, replicas=3), "status": {"phase": "X"}})
    assert reapplied["status"]["phase"] == "Running", "an apply never writes status"


def test_spec_patch_with_a_stale_resource_version_is_a_conflict(backend: Backend) -> None:
    ns = backend.namespace
    created = backend.kube.apply_cluster(cluster(ns, replicas=3))
    stale = created["metadata"]["resourceVersion"]
    patched = backend.kube.patch_cluster_spec(ns, "docs", {"replicas": 4}, resource_version=stale)
    assert patched["metadata"]["generation"] == 2
    with pytest.raises(ConflictError, match="the object has been modified"):
        backend.kube.patch_cluster_spec(ns, "docs", {"replicas": 5}, resource_version=stale)


def test_cluster_scale_subresource_reads_replicas_and_the_status_selector(
    backend: Backend,
) -> None:
    ns = backend.namespace
    created = backend.kube.apply_cluster(cluster(ns, replicas=3))
    before = backend.kube.get_cluster_scale(ns, "docs")
    assert before["spec"] == {"replicas": 3}
    assert "selector" not in (before.get("status") or {})
    selector = "app.kubernetes.io/instance=docs,app.kubernetes.io/name=weaviate"
    backend.kube.replace_cluster_status(
        {**created, "status": {"replicas": 2, "selector": selector}}
    )
    scale = backend.kube.get_cluster_scale(ns, "docs")
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 2, "selector": selector}


# -- deletes ------------------------------------------------------------------------------


def test_orphan_delete_keeps_the_object_until_the_collector_released_its_pods(
    backend: Backend,
) -> None:
    ns, kube = backend.namespace, backend.kube
    old = kube.apply(statefulset(ns), field_manager="weavefn-scaler")
    before = backend.eventually(lambda: ready_pods(backend, 2), "2 pods")
    left = kube.delete(ref(old), propagation="Orphan")
    assert left is not None, "an orphan delete answers with the object still there"
    assert left["metadata"]["deletionTimestamp"]
    assert left["metadata"]["finalizers"] == ["orphan"]
    assert left["metadata"]["uid"] == old["metadata"]["uid"]
    backend.eventually(lambda: kube.get(ref(old)) is None, "the StatefulSet to go")
    kept = pods(backend)
    assert {n: p["metadata"]["uid"] for n, p in kept.items()} == {
        n: p["metadata"]["uid"] for n, p in before.items()
    }
    assert all(old["metadata"]["uid"] not in owner_uids(p) for p in kept.values())
    new = kube.apply(statefulset(ns, size="2Gi"), field_manager="weavefn-scaler")
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    adopted = backend.eventually(
        lambda: all(new["metadata"]["uid"] in owner_uids(p) for p in pods(backend).values()),
        "the new StatefulSet to adopt the pods",
    )
    assert adopted
    assert {n: p["metadata"]["uid"] for n, p in pods(backend).items()} == {
        n: p["metadata"]["uid"] for n, p in before.items()
    }, "adopted, not restarted"


def test_a_terminating_statefulset_refuses_a_new_claim_template(backend: Backend) -> None:
    ns, kube = backend.namespace, backend.kube
    old = kube.apply(statefulset(ns), field_manager="weavefn-scaler")
    kube.apply(finalizers_only(old, [HOLD]), field_manager="contract")
    kube.delete(ref(old), propagation="Orphan")
    held = backend.eventually(
        lambda: (o := kube.get(ref(old))) and o["metadata"].get("finalizers") == [HOLD] and o,
        "the collector to drop its orphan finalizer",
    )
    assert held["metadata"]["deletionTimestamp"]
    with pytest.raises(InvalidInputError) as caught:
        kube.apply(statefulset(ns, size="2Gi"), field_manager="weavefn-scaler")
    assert [(e.path, e.message) for e in caught.value.errors] == [("spec", FORBIDDEN)]
    kube.apply(finalizers_only(old, None), field_manager="contract")
    assert kube.get(ref(old)) is None, "the last finalizer gone, the object goes at once"


def test_no_finalizer_can_be_added_to_a_terminating_object(backend: Backend) -> None:
    ns, kube = backend.namespace, backend.kube
    obj = kube.apply(configmap(ns, "a", {"k": "1"}))
    kube.apply(finalizers_only(obj, [HOLD]), field_manager="contract")
    left = kube.delete(ref(obj))
    assert left is not None and left["metadata"]["finalizers"] == [HOLD]
    with pytest.raises(InvalidInputError, match="no new finalizers can be added"):
        kube.apply(
            finalizers_only(obj, [HOLD, "contract.weavefn.io/other"]), field_manager="contract"
        )


def test_foreground_delete_waits_for_blocking_dependents(backend: Backend) -> None:
    ns, kube = backend.namespace, backend.kube
    owner = kube.apply(configmap(ns, "owner", {"k": "1"}))
    dependent = kube.apply(configmap(ns, "dependent", {"k": "1"}, owner=owner))
    kube.apply(finalizers_only(dependent, [HOLD]), field_manager="contract")
    left = kube.delete(ref(owner), propagation="Foreground")
    assert left is not None and left["metadata"]["finalizers"] == ["foregroundDeletion"]
    backend.eventually(
        lambda: (kube.get(ref(dependent)) or {}).get("metadata", {}).get("deletionTimestamp"),
        "the collector to delete the dependent",
    )
    still = kube.get(ref(owner))
    assert still is not None and still["metadata"]["finalizers"] == ["foregroundDeletion"]
    kube.apply(finalizers_only(dependent, None), field_manager="contract")
    backend.eventually(lambda: kube.get(ref(owner)) is None, "the owner to go")
    assert kube.get(ref(dependent)) is None


def test_background_delete_is_immediate_and_collects_dependents(backend: Backend) -> None:
    ns, kube = backend.namespace, backend.kube
    owner = kube.apply(configmap(ns, "owner", {"k": "1"}))
    dependent = kube.apply(configmap(ns, "dependent", {"k": "1"}, owner=owner))
    assert kube.delete(ref(owner)) is None
    assert kube.get(ref(owner)) is None
    backend.eventually(lambda: kube.get(ref(dependent)) is None, "the dependent to go")
    assert kube.delete(ref(owner)) is None, "deleting what is gone is no error"


# -- StatefulSets -------------------------------------------------------------------------


def test_statefulset_spec_is_immutable_but_for_a_few_fields(backend: Backend) -> None:
    ns, kube = backend.namespace, backend.kube
    kube.apply(statefulset(ns), field_manager="weavefn-scaler")
    renamed = statefulset(ns)
    renamed["spec"]["serviceName"] = "other"
    with pytest.raises(InvalidInputError) as caught:
        kube.apply(renamed, field_manager="weavefn-scaler")
    assert [(e.path, e.message) for e in caught.value.errors] == [("spec", FORBIDDEN)]
    history = statefulset(ns)
    history["spec"]["revisionHistoryLimit"] = 3
    assert kube.apply(history, field_manager="weavefn-scaler")["spec"]["revisionHistoryLimit"] == 3


def test_pods_and_claims_are_named_per_ordinal_and_claims_outlive_a_scale_in(
    backend: Backend,
) -> None:
    ns, kube = backend.namespace, backend.kube
    sts = kube.apply(statefulset(ns, replicas=3), field_manager="weavefn-scaler")
    found = backend.eventually(lambda: ready_pods(backend, 3), "3 pods")
    assert sorted(found) == ["docs-0", "docs-1", "docs-2"]
    for ordinal in range(3):
        labels = found[f"docs-{ordinal}"]["metadata"]["labels"]
        assert labels["statefulset.kubernetes.io/pod-name"] == f"docs-{ordinal}"
        assert labels["apps.kubernetes.io/pod-index"] == str(ordinal)
        assert labels["controller-revision-hash"].startswith("docs-")
        assert owner_uids(found[f"docs-{ordinal}"]) == {sts["metadata"]["uid"]}
    claims = {c["metadata"]["name"]: c for c in kube.list_pvcs(ns, SELECTOR)}
    assert sorted(claims) == ["data-docs-0", "data-docs-1", "data-docs-2"]
    assert all(not c["metadata"].get("ownerReferences") for c in claims.values())
    kube.patch_scale(ns, "docs", 2)
    backend.eventually(lambda: ready_pods(backend, 2), "the scale-in to 2")
    assert len(kube.list_pvcs(ns, SELECTOR)) == 3, "whenScaled: Retain keeps the claim"


def test_a_partition_rolls_only_the_ordinals_at_or_above_it(backend: Backend) -> None:
    ns, kube = backend.namespace, backend.kube
    kube.apply(statefulset(ns, replicas=3), field_manager="weavefn-scaler")
    backend.eventually(lambda: ready_pods(backend, 3), "3 pods")
    kube.apply(statefulset(ns, replicas=None, image=NEW_IMAGE, partition=2))

    def top_rolled() -> bool:
        found = pods(backend)
        images = {n: p["spec"]["containers"][0]["image"] for n, p in found.items()}
        sts = kube.get(ref(statefulset(ns)))
        return images == {"docs-0": OLD_IMAGE, "docs-1": OLD_IMAGE, "docs-2": NEW_IMAGE} and (
            sts["status"].get("updatedReplicas") == 1 and sts["status"].get("readyReplicas") == 3
        )

    backend.eventually(top_rolled, "docs-2 on the new image, Ready")
    sts = kube.get(ref(statefulset(ns)))
    assert sts["status"]["currentRevision"] != sts["status"]["updateRevision"]
    kube.apply(statefulset(ns, replicas=None, image=NEW_IMAGE, partition=0))
    backend.eventually(lambda: ready_pods(backend, 3, NEW_IMAGE), "every pod on the new image")
