"""RealKube on the wire: paths, verbs, content types, preconditions and bodies an API server sees."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.errors import ConflictError, InvalidInputError
from weavefn.kube.port import ObjectRef, Scale
from weavefn.kube.real import RealKube

from tests.adapters.kube.apiserver import ApiServer

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"


def manifest(
    api_version: str, kind: str, name: str, namespace: str | None = "db"
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/name": "weaviate"}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": {"x": 1}}


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        pytest.param(
            manifest("v1", "Service", "weaviate"),
            "/api/v1/namespaces/db/services/weaviate",
            id="core-service",
        ),
        pytest.param(
            manifest("v1", "ConfigMap", "conf"),
            "/api/v1/namespaces/db/configmaps/conf",
            id="core-configmap",
        ),
        pytest.param(
            manifest("v1", "ServiceAccount", "sa"),
            "/api/v1/namespaces/db/serviceaccounts/sa",
            id="core-serviceaccount",
        ),
        pytest.param(
            manifest("apps/v1", "StatefulSet", "weaviate"),
            "/apis/apps/v1/namespaces/db/statefulsets/weaviate",
            id="apps-statefulset",
        ),
        pytest.param(
            manifest("apps/v1", "Deployment", "qna"),
            "/apis/apps/v1/namespaces/db/deployments/qna",
            id="apps-deployment",
        ),
        pytest.param(
            manifest("policy/v1", "PodDisruptionBudget", "weaviate"),
            "/apis/policy/v1/namespaces/db/poddisruptionbudgets/weaviate",
            id="policy-pdb",
        ),
        pytest.param(
            manifest("security.istio.io/v1", "PeerAuthentication", "mtls"),
            "/apis/security.istio.io/v1/namespaces/db/peerauthentications/mtls",
            id="cr-peerauthentication",
        ),
        pytest.param(
            manifest("networking.istio.io/v1", "DestinationRule", "weaviate"),
            "/apis/networking.istio.io/v1/namespaces/db/destinationrules/weaviate",
            id="cr-destinationrule",
        ),
        pytest.param(
            manifest("networking.istio.io/v1", "ServiceEntry", "s3"),
            "/apis/networking.istio.io/v1/namespaces/db/serviceentries/s3",
            id="cr-unlisted-kind-default-plural",
        ),
        pytest.param(
            manifest("storage.k8s.io/v1", "StorageClass", "fast", namespace=None),
            "/apis/storage.k8s.io/v1/storageclasses/fast",
            id="cluster-scoped-storageclass",
        ),
    ],
)
def test_apply_is_a_server_side_apply_patch_to_the_kinds_path(
    kube: RealKube, api_server: ApiServer, obj: dict[str, Any], path: str
) -> None:
    answer = kube.apply(obj)

    sent = api_server.last
    assert (sent.method, sent.path) == ("PATCH", path)
    assert sent.query == {"fieldManager": ["weavefn"], "force": ["true"]}
    assert sent.headers["content-type"] == APPLY
    assert sent.body == obj
    assert answer["metadata"]["resourceVersion"] == "2"


def test_apply_drops_server_owned_metadata(kube: RealKube, api_server: ApiServer) -> None:
    obj = manifest("v1", "ConfigMap", "conf")
    obj["metadata"] |= {
        "resourceVersion": "9",
        "managedFields": [{"manager": "kubectl"}],
        "uid": "u",
    }

    kube.apply(obj)

    assert set(api_server.last.body["metadata"]) == {"name", "namespace", "labels"}


def test_apply_cluster_sends_metadata_and_spec_without_status(
    kube: RealKube, api_server: ApiServer
) -> None:
    cluster = manifest("weaviate.io/v1", "WeaviateCluster", "search")
    cluster["metadata"]["resourceVersion"] = "5"
    cluster["status"] = {"phase": "Running"}

    kube.apply_cluster(cluster)

    sent = api_server.last
    assert sent.path == "/apis/weaviate.io/v1/namespaces/db/weaviateclusters/search"
    assert sent.headers["content-type"] == APPLY
    assert sent.query["fieldManager"] == ["weavefn"]
    assert "status" not in sent.body
    assert sent.body["spec"] == {"x": 1}
    assert "resourceVersion" not in sent.body["metadata"]


def test_status_write_is_a_put_carrying_the_observed_resource_version(
    kube: RealKube, api_server: ApiServer
) -> None:
    cluster = manifest("weaviate.io/v1", "WeaviateCluster", "search")
    cluster["metadata"]["resourceVersion"] = "41"
    cluster["status"] = {"replicas": 3}

    kube.replace_cluster_status(cluster)

    sent = api_server.last
    assert (sent.method, sent.path) == (
        "PUT",
        "/apis/weaviate.io/v1/namespaces/db/weaviateclusters/search/status",
    )
    assert sent.body["metadata"]["resourceVersion"] == "41"
    assert sent.body["status"] == {"replicas": 3}


def test_status_write_without_resource_version_is_refused_before_sending(
    kube: RealKube, api_server: ApiServer
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        kube.replace_cluster_status(manifest("weaviate.io/v1", "WeaviateCluster", "search"))

    assert [e.path for e in caught.value.errors] == ["metadata.resourceVersion"]
    assert api_server.requests == []


def test_spec_patch_is_a_merge_patch_with_resource_version_precondition(
    kube: RealKube, api_server: ApiServer
) -> None:
    kube.patch_cluster_spec("db", "search", {"version": "1.32.1"}, resource_version="12")

    sent = api_server.last
    assert (sent.method, sent.path) == (
        "PATCH",
        "/apis/weaviate.io/v1/namespaces/db/weaviateclusters/search",
    )
    assert sent.headers["content-type"] == MERGE
    assert sent.body == {"metadata": {"resourceVersion": "12"}, "spec": {"version": "1.32.1"}}


@pytest.mark.parametrize(
    ("namespace", "path"),
    [
        pytest.param(None, "/apis/weaviate.io/v1/weaviateclusters", id="all-namespaces"),
        pytest.param(
            "db", "/apis/weaviate.io/v1/namespaces/db/weaviateclusters", id="one-namespace"
        ),
    ],
)
def test_list_clusters_is_one_list_call(
    kube: RealKube, api_server: ApiServer, namespace: str | None, path: str
) -> None:
    item = manifest("weaviate.io/v1", "WeaviateCluster", "search")
    api_server.answer(
        "GET",
        path,
        200,
        {"apiVersion": "weaviate.io/v1", "kind": "WeaviateClusterList", "items": [item]},
    )

    clusters = kube.list_clusters(namespace)

    assert clusters == [item]
    assert len(api_server.requests) == 1


def test_scale_is_read_and_patched_through_the_subresource(
    kube: RealKube, api_server: ApiServer
) -> None:
    path = "/apis/apps/v1/namespaces/db/statefulsets/weaviate/scale"
    api_server.answer(
        "GET",
        path,
        200,
        {"kind": "Scale", "metadata": {"resourceVersion": "7"}, "spec": {"replicas": 3}},
    )

    assert kube.get_scale("db", "weaviate") == Scale(replicas=3, resource_version="7")
    scale = kube.patch_scale("db", "weaviate", 5, resource_version="7")

    sent = api_server.last
    assert (sent.method, sent.path) == ("PATCH", path)
    assert sent.query == {"fieldManager": ["weavefn-scaler"]}
    assert sent.headers["content-type"] == MERGE
    assert sent.body == {"spec": {"replicas": 5}, "metadata": {"resourceVersion": "7"}}
    assert scale == Scale(replicas=5, resource_version="2")


def test_scale_patch_without_resource_version_sends_no_precondition(
    kube: RealKube, api_server: ApiServer
) -> None:
    kube.patch_scale("db", "weaviate", 4)

    assert api_server.last.body == {"spec": {"replicas": 4}}


def test_list_pods_filters_by_label_selector_and_names_each_item(
    kube: RealKube, api_server: ApiServer
) -> None:
    api_server.answer(
        "GET",
        "/api/v1/namespaces/db/pods",
        200,
        {
            "apiVersion": "v1",
            "kind": "PodList",
            "items": [{"metadata": {"name": "weaviate-0", "namespace": "db"}}],
        },
    )

    pods = kube.list_pods("db", {"app": "weaviate", "weaviate.io/cluster": "search"})

    assert api_server.last.query == {
        "labelSelector": ["app=weaviate,weaviate.io/cluster=search"],
        "limit": ["500"],
    }
    assert ObjectRef.of(pods[0]) == ObjectRef("v1", "Pod", "db", "weaviate-0")


def test_list_pvcs_and_patch_size(kube: RealKube, api_server: ApiServer) -> None:
    api_server.answer(
        "GET",
        "/api/v1/namespaces/db/persistentvolumeclaims",
        200,
        {"kind": "PersistentVolumeClaimList", "apiVersion": "v1", "items": []},
    )

    assert kube.list_pvcs("db", {"app": "weaviate"}) == []
    kube.patch_pvc_size("db", "data-weaviate-0", "200Gi")

    sent = api_server.last
    assert (sent.method, sent.path) == (
        "PATCH",
        "/api/v1/namespaces/db/persistentvolumeclaims/data-weaviate-0",
    )
    assert sent.headers["content-type"] == MERGE
    assert sent.body == {"spec": {"resources": {"requests": {"storage": "200Gi"}}}}


def test_pvc_size_that_is_not_a_quantity_is_refused(kube: RealKube, api_server: ApiServer) -> None:
    with pytest.raises(InvalidInputError) as caught:
        kube.patch_pvc_size("db", "data-weaviate-0", "200 gigs")

    assert caught.value.errors[0].path == "spec.resources.requests.storage"
    assert api_server.requests == []


def test_selector_that_would_change_meaning_is_refused(
    kube: RealKube, api_server: ApiServer
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        kube.list_pods("db", {"app": "weaviate,tier!=x"})

    assert caught.value.errors[0].path == "selector.app"
    assert api_server.requests == []


def test_delete_sends_propagation_policy_in_delete_options(
    kube: RealKube, api_server: ApiServer
) -> None:
    kube.delete(ObjectRef("apps/v1", "StatefulSet", "db", "weaviate"), propagation="Orphan")

    sent = api_server.last
    assert (sent.method, sent.path) == (
        "DELETE",
        "/apis/apps/v1/namespaces/db/statefulsets/weaviate",
    )
    assert sent.body == {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Orphan"}


def test_delete_of_an_object_already_gone_succeeds(kube: RealKube, api_server: ApiServer) -> None:
    path = "/apis/apps/v1/namespaces/db/statefulsets/weaviate"
    api_server.answer("DELETE", path, 404, {"kind": "Status", "code": 404})

    kube.delete(ObjectRef("apps/v1", "StatefulSet", "db", "weaviate"), propagation="Orphan")

    assert api_server.last.path == path


def test_delete_with_unknown_propagation_is_refused(kube: RealKube, api_server: ApiServer) -> None:
    with pytest.raises(InvalidInputError, match="propagationPolicy"):
        kube.delete(ObjectRef("apps/v1", "StatefulSet", "db", "weaviate"), propagation="Cascade")
    assert api_server.requests == []


def test_get_of_a_missing_object_is_none(kube: RealKube, api_server: ApiServer) -> None:
    assert kube.get(ObjectRef("v1", "Service", "db", "weaviate")) is None
    assert api_server.last.path == "/api/v1/namespaces/db/services/weaviate"


def test_event_is_created_in_the_objects_namespace(kube: RealKube, api_server: ApiServer) -> None:
    event = {
        "metadata": {"generateName": "search."},
        "regarding": {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "namespace": "db",
            "name": "search",
        },
        "reason": "ScaledUp",
        "note": "3 -> 5 replicas",
        "type": "Normal",
    }

    kube.create_event(event)

    sent = api_server.last
    assert (sent.method, sent.path) == ("POST", "/apis/events.k8s.io/v1/namespaces/db/events")
    assert sent.body["apiVersion"] == "events.k8s.io/v1"
    assert sent.body["kind"] == "Event"
    assert sent.body["metadata"]["namespace"] == "db"
    assert sent.body["reason"] == "ScaledUp"


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(manifest("v1", "Service", "../secrets"), id="name-escaping-path"),
        pytest.param(
            manifest("v1", "Service", "weaviate", namespace=None),
            id="namespaced-kind-without-namespace",
        ),
        pytest.param(
            manifest("v1", "Service", "weaviate", namespace="Bad_NS"), id="invalid-namespace"
        ),
        pytest.param({"kind": "Service", "metadata": {"name": "x"}}, id="no-apiversion"),
    ],
)
def test_objects_that_cannot_be_placed_are_refused_before_sending(
    kube: RealKube, api_server: ApiServer, obj: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInputError):
        kube.apply(obj)
    assert api_server.requests == []


def test_conflicting_status_write_is_a_conflict(kube: RealKube, api_server: ApiServer) -> None:
    path = "/apis/weaviate.io/v1/namespaces/db/weaviateclusters/search/status"
    api_server.answer(
        "PUT",
        path,
        409,
        {"kind": "Status", "reason": "Conflict", "message": "the object has been modified"},
    )
    cluster = manifest("weaviate.io/v1", "WeaviateCluster", "search")
    cluster["metadata"]["resourceVersion"] = "40"

    with pytest.raises(ConflictError, match="has been modified"):
        kube.replace_cluster_status(cluster)
