"""What holding and rolling pod templates relies on, on the local cluster and a real API server.

A create leaves an existing object untouched (the generated Secret is never rewritten), an
immutable Secret refuses new data and stays immutable, stringData is folded into data, every rendered object (the internal-auth env, the
max_map_count init container, zone spread, GOMAXPROCS from resourceFieldRef, the bounded
scratch, protocol-named ports, a LoadBalancer client Service) is accepted and reads back with
no difference weavefn would take for a change (a false one would restart pods), and the
update revision names exactly the pods a partition rolled.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.kube.port import ObjectRef
from weavefn.model.resource import parse_cluster
from weavefn.reconcile.drift import diff
from weavefn.reconcile.template import describe_changes, template_hash
from weavefn.render import default_voters, render_all

from tests.contract.conftest import Backend

Obj = dict[str, Any]
SPEC: Obj = {
    "version": "1.32.5",
    "replicas": 3,
    "storage": {"size": "1Gi"},
    "replication": {"factor": 2},
    "resources": {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "1500m", "memory": "2Gi"},
    },
    "vmMaxMapCount": {"setBy": "InitContainer"},
    "zoneSpread": {"whenUnsatisfiable": "DoNotSchedule"},
    "service": {
        "type": "LoadBalancer",
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        "loadBalancerSourceRanges": ["10.0.0.0/8"],
    },
    "cloudProvider": {"type": "aws", "region": "us-east-1", "aws": {"useLocalNVMe": True}},
}


def rendered(namespace: str, **spec: Any) -> list[Obj]:
    cluster = parse_cluster(
        {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "metadata": {"name": "docs", "namespace": namespace},
            "spec": {**copy.deepcopy(SPEC), **spec},
        }
    )
    return render_all(cluster, voters=default_voters("docs", 3, None))


def secret(namespace: str, password: str) -> Obj:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in {"password": password}.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "docs-cluster-auth", "namespace": namespace},
        "type": "Opaque",
        "immutable": True,
        "data": encoded,
    }


def test_create_leaves_an_existing_object_untouched(backend: Backend) -> None:
    kube, ns = backend.kube, backend.namespace
    assert kube.create(secret(ns, "first")) is True
    assert kube.create(secret(ns, "second")) is False, "AlreadyExists is an answer, not an error"
    found = kube.get(ObjectRef("v1", "Secret", ns, "docs-cluster-auth"))
    assert base64.b64decode(found["data"]["password"]).decode() == "first"


def test_an_immutable_secret_refuses_new_data(backend: Backend) -> None:
    kube, ns = backend.kube, backend.namespace
    kube.create(secret(ns, "first"))
    with pytest.raises(InvalidInputError) as caught:
        kube.apply(secret(ns, "second"))
    # the real API server's message is left out for Secrets: only the field and the reason
    assert [e.path for e in caught.value.errors] == ["data"]


def test_an_immutable_secret_stays_immutable(backend: Backend) -> None:
    kube, ns = backend.kube, backend.namespace
    kube.create(secret(ns, "first"))
    with pytest.raises(InvalidInputError) as caught:
        kube.apply({**secret(ns, "first"), "immutable": False})
    assert [e.path for e in caught.value.errors] == ["immutable"]


def test_string_data_is_folded_into_data(backend: Backend) -> None:
    kube, ns = backend.kube, backend.namespace
    plain = {**secret(ns, "first"), "stringData": {"password": "second", "username": "u"}}
    kube.create(plain)
    found = kube.get(ObjectRef("v1", "Secret", ns, "docs-cluster-auth"))
    assert "stringData" not in found, "write-only: never stored"
    decoded = {k: base64.b64decode(v).decode() for k, v in found["data"].items()}
    assert decoded == {"password": "second", "username": "u"}, "stringData wins over data"


def test_rendered_objects_are_accepted_and_read_back_unchanged(backend: Backend) -> None:
    kube, ns = backend.kube, backend.namespace
    kube.create(secret(ns, "p"))
    objects = rendered(ns)
    kinds = {o["kind"] for o in objects}
    assert {"StatefulSet", "Service", "PodDisruptionBudget", "ConfigMap"} <= kinds
    live = {}
    for obj in objects:
        manager = "weavefn-scaler" if obj["kind"] == "StatefulSet" else "weavefn"
        live[(obj["kind"], obj["metadata"]["name"])] = kube.apply(obj, field_manager=manager)
    for obj in objects:
        found = live[(obj["kind"], obj["metadata"]["name"])]
        assert diff(obj, found) == [], f"{obj['kind']} {obj['metadata']['name']}"
    sts = next(o for o in objects if o["kind"] == "StatefulSet")
    stored = kube.get(ObjectRef("apps/v1", "StatefulSet", ns, "docs"))
    assert describe_changes(sts, stored) == [], "no false change: nothing restarts"
    pod = stored["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["securityContext"]["privileged"] is True
    assert pod["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert pod["volumes"][0]["emptyDir"]["sizeLimit"] == "10Gi"
    # the same rendering again is the same revision to approve
    assert template_hash(next(o for o in rendered(ns) if o["kind"] == "StatefulSet")) == (
        template_hash(sts)
    )


def _revisions(backend: Backend) -> dict[str, str]:
    selector = {"app.kubernetes.io/name": "weaviate", "app.kubernetes.io/instance": "docs"}
    return {
        p["metadata"]["name"]: p["metadata"]["labels"].get("controller-revision-hash", "")
        for p in backend.kube.list_pods(backend.namespace, selector)
        if not p["metadata"].get("deletionTimestamp")
    }


def _ready(backend: Backend, count: int) -> bool:
    selector = {"app.kubernetes.io/name": "weaviate", "app.kubernetes.io/instance": "docs"}
    pods = backend.kube.list_pods(backend.namespace, selector)
    return len(pods) == count and all(
        any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in (p.get("status") or {}).get("conditions") or []
        )
        for p in pods
    )


def test_the_update_revision_names_the_pods_a_partition_rolled(backend: Backend) -> None:
    kube, ns = backend.kube, backend.namespace
    plain = {"vmMaxMapCount": {}, "zoneSpread": {}, "cloudProvider": None, "service": {}}
    objects = rendered(ns, **plain)
    sts = objects[-1]
    kube.create(secret(ns, "p"))
    for obj in objects:  # the pods need their ServiceAccount
        kube.apply(obj, field_manager="weavefn-scaler" if obj is sts else "weavefn")
    backend.eventually(lambda: _ready(backend, 3), "3 pods Ready")

    changed = copy.deepcopy(sts)
    del changed["spec"]["replicas"]
    changed["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    container = changed["spec"]["template"]["spec"]["containers"][0]
    container["env"].append({"name": "EXTRA", "value": "1"})
    kube.apply(changed)

    def top_rolled() -> Obj | None:
        found = kube.get(ObjectRef("apps/v1", "StatefulSet", ns, "docs"))
        status = found.get("status") or {}
        seen = status.get("observedGeneration") == found["metadata"]["generation"]
        revisions = _revisions(backend)
        update = status.get("updateRevision")
        # the controller counts the new pod in a later status sync than the one that names
        # the revision (updatedReplicas is omitted while 0): wait for both
        counted = status.get("updatedReplicas") == 1
        if seen and counted and revisions.get("docs-2") == update and _ready(backend, 3):
            return found
        return None

    found = backend.eventually(top_rolled, "docs-2 on the update revision, Ready")
    status = found["status"]
    revisions = _revisions(backend)
    assert revisions["docs-2"] == status["updateRevision"]
    assert revisions["docs-0"] == revisions["docs-1"] == status["currentRevision"]
    assert status["currentRevision"] != status["updateRevision"]
    assert status["updatedReplicas"] == 1
