"""Object store semantics: versions, generation, scoping, the WeaviateCluster status subresource."""

from __future__ import annotations

import pytest
from weavefn.errors import ConflictError, InvalidInputError, NotFoundError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import LocalKube

from tests.unit.local.kube.manifests import NS, cluster, storage_class


def configmap(data: dict[str, str], *, labels: dict[str, str] | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"name": "settings", "namespace": NS}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def test_create_sets_identity_and_versions(kube: LocalKube) -> None:
    created = kube.apply_cluster(cluster())
    meta = created["metadata"]
    assert meta["generation"] == 1
    assert meta["uid"]
    assert meta["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert int(meta["resourceVersion"]) > 0


def test_resource_versions_increase_across_kinds(kube: LocalKube) -> None:
    first = kube.apply(configmap({"a": "1"}))
    second = kube.apply_cluster(cluster())
    third = kube.apply(configmap({"a": "2"}))
    versions = [int(o["metadata"]["resourceVersion"]) for o in (first, second, third)]
    assert versions == sorted(set(versions))


@pytest.mark.parametrize(
    ("change", "generation"),
    [
        pytest.param({"spec": {"version": "1.28.0", "replicas": 3}}, 2, id="spec-change-bumps"),
        pytest.param({"metadata": {"labels": {"team": "search"}}}, 1, id="label-change-keeps"),
    ],
)
def test_generation_follows_spec_only(
    kube: LocalKube, change: dict[str, object], generation: int
) -> None:
    before = kube.apply_cluster(cluster())
    desired = cluster()
    for key, value in change.items():
        desired[key] = {**desired[key], **value}  # type: ignore[dict-item]
    after = kube.apply_cluster(desired)
    assert after["metadata"]["generation"] == generation
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


def test_status_write_changes_only_status_and_keeps_generation(kube: LocalKube) -> None:
    live = kube.apply_cluster(cluster())
    live["status"] = {"phase": "Running"}
    live["spec"]["replicas"] = 9  # a status write must not smuggle a spec change in
    written = kube.replace_cluster_status(live)
    assert written["status"] == {"phase": "Running"}
    assert written["spec"]["replicas"] == 3
    assert written["metadata"]["generation"] == 1
    assert kube.get_cluster(NS, "docs")["status"] == {"phase": "Running"}


def test_stale_status_write_is_a_conflict(kube: LocalKube) -> None:
    stale = kube.apply_cluster(cluster())
    fresh = kube.get_cluster(NS, "docs")
    fresh["status"] = {"phase": "Running"}
    kube.replace_cluster_status(fresh)
    stale["status"] = {"phase": "Degraded"}
    with pytest.raises(ConflictError, match="has been modified"):
        kube.replace_cluster_status(stale)
    assert kube.get_cluster(NS, "docs")["status"] == {"phase": "Running"}


def test_status_write_to_missing_cluster_is_not_found(kube: LocalKube) -> None:
    with pytest.raises(NotFoundError, match="WeaviateCluster search/ghost"):
        kube.replace_cluster_status(cluster(name="ghost") | {"status": {"phase": "Running"}})


def test_apply_cluster_ignores_status(kube: LocalKube) -> None:
    applied = kube.apply_cluster(cluster() | {"status": {"phase": "Running"}})
    assert "status" not in applied


def test_noop_apply_keeps_resource_version(kube: LocalKube) -> None:
    first = kube.apply_cluster(cluster())
    again = kube.apply_cluster(cluster())
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == first["metadata"]["managedFields"]


def test_patch_cluster_spec_merges_and_checks_version(kube: LocalKube) -> None:
    live = kube.apply_cluster(cluster())
    rv = live["metadata"]["resourceVersion"]
    patched = kube.patch_cluster_spec(NS, "docs", {"version": "1.28.2"}, resource_version=rv)
    assert patched["spec"] == {"version": "1.28.2", "replicas": 3}
    assert patched["metadata"]["generation"] == 2
    with pytest.raises(ConflictError):
        kube.patch_cluster_spec(NS, "docs", {"version": "1.29.0"}, resource_version=rv)


def test_cluster_scoped_objects_have_no_namespace(kube: LocalKube) -> None:
    kube.apply(storage_class())
    found = kube.get(ObjectRef("storage.k8s.io/v1", "StorageClass", None, "fast"))
    assert found is not None
    assert "namespace" not in found["metadata"]


def test_list_objects_filters_by_namespace_and_labels(kube: LocalKube) -> None:
    kube.apply(configmap({"a": "1"}, labels={"tier": "db"}))
    other = configmap({"a": "1"}, labels={"tier": "web"})
    other["metadata"]["namespace"] = "other"  # type: ignore[index]
    kube.apply(other)
    everywhere = kube.list_objects("v1", "ConfigMap")
    assert [o["metadata"]["namespace"] for o in everywhere] == ["other", NS]
    assert [
        o["metadata"]["namespace"]
        for o in kube.list_objects("v1", "ConfigMap", selector={"tier": "db"})
    ] == [NS]
    assert kube.list_objects("v1", "ConfigMap", namespace="nowhere") == []


def test_returned_objects_are_copies(kube: LocalKube) -> None:
    created = kube.apply(configmap({"a": "1"}))
    created["data"]["a"] = "tampered"
    found = kube.get(ObjectRef.of(created))
    assert found is not None and found["data"] == {"a": "1"}


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        pytest.param(
            {"kind": "ConfigMap", "metadata": {"name": "x"}}, "apiVersion", id="no-api-version"
        ),
        pytest.param({"apiVersion": "v1", "metadata": {"name": "x"}}, "kind", id="no-kind"),
        pytest.param(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name", id="no-name"
        ),
    ],
)
def test_apply_names_the_missing_field(kube: LocalKube, obj: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        kube.apply(obj)
    assert [e.path for e in caught.value.errors] == [field]


def test_apply_cluster_rejects_other_kinds(kube: LocalKube) -> None:
    with pytest.raises(InvalidInputError) as caught:
        kube.apply_cluster(configmap({}))
    assert {e.path for e in caught.value.errors} == {"apiVersion", "kind"}


def test_delete_missing_is_no_error(kube: LocalKube) -> None:
    # As RealKube reports a 404: already gone is the outcome asked for.
    assert kube.delete(ObjectRef("v1", "ConfigMap", NS, "nothing")) is None


def test_events_are_stored_in_order(kube: LocalKube) -> None:
    for reason in ("ScaledUp", "ScaleInBlocked"):
        kube.create_event(
            {
                "apiVersion": "events.k8s.io/v1",
                "kind": "Event",
                "metadata": {"generateName": "docs."},
                "regarding": {"kind": "WeaviateCluster", "namespace": NS, "name": "docs"},
                "reason": reason,
                "note": f"{reason} happened",
                "type": "Normal",
            }
        )
    events = kube.list_events(NS)
    assert [e["reason"] for e in events] == ["ScaledUp", "ScaleInBlocked"]
    assert all(e["metadata"]["name"].startswith("docs.") for e in events)
    assert events[0]["eventTime"].startswith("2026-01-01T00:00:00.")
    assert kube.list_events("elsewhere") == []


@pytest.mark.parametrize(
    ("propagation", "survives"),
    [
        pytest.param("Background", False, id="background-cascades"),
        pytest.param("Orphan", True, id="orphan-keeps"),
    ],
)
def test_deleting_an_owner_collects_its_dependents(
    kube: LocalKube, propagation: str, survives: bool
) -> None:
    owner = kube.apply_cluster(cluster())
    dependent = configmap({"a": "1"})
    dependent["metadata"]["ownerReferences"] = [  # type: ignore[index]
        {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "name": "docs",
            "uid": owner["metadata"]["uid"],
            "controller": True,
        }
    ]
    kube.apply(dependent)
    kube.delete(ObjectRef.of(owner), propagation=propagation)
    kube.clock.advance(1)  # type: ignore[attr-defined]  # the collector's next round
    left = kube.get(ObjectRef.of(dependent))
    assert (left is not None) is survives
    if left is not None:
        assert "ownerReferences" not in left["metadata"]


def test_unknown_propagation_names_the_field(kube: LocalKube) -> None:
    with pytest.raises(InvalidInputError) as caught:
        kube.delete(ObjectRef("v1", "ConfigMap", NS, "x"), propagation="Sometimes")
    assert caught.value.errors[0].path == "propagationPolicy"


def test_deployments_report_available_replicas(kube: LocalKube) -> None:
    kube.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "qna", "namespace": NS},
            "spec": {"replicas": 2, "template": {"spec": {"containers": []}}},
        }
    )
    found = kube.get(ObjectRef("apps/v1", "Deployment", NS, "qna"))
    assert found is not None
    assert found["status"]["availableReplicas"] == 2
    assert found["status"]["observedGeneration"] == 1
