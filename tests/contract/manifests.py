"""Small objects for the contract cases, in any namespace."""

from __future__ import annotations

from typing import Any

from weavefn.kube.port import ObjectRef

Obj = dict[str, Any]
HOLD = "contract.weavefn.io/hold"
"""A finalizer the tests own, to keep a deleted object visible as long as a case needs."""
SELECTOR = {"app.kubernetes.io/name": "weaviate", "app.kubernetes.io/instance": "docs"}
OLD_IMAGE = "cr.weaviate.io/semitechnologies/weaviate:1.32.5"
NEW_IMAGE = "cr.weaviate.io/semitechnologies/weaviate:1.33.1"


def configmap(
    namespace: str, name: str, data: dict[str, str] | None = None, *, owner: Obj | None = None
) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace}
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "blockOwnerDeletion": True,
            }
        ]
    obj: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    if data is not None:
        obj["data"] = data
    return obj


def finalizers_only(obj: Obj, finalizers: list[str] | None) -> Obj:
    """An apply body that only (un)sets this manager's finalizers on ``obj``."""
    meta: Obj = {"name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"]}
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": meta}


def statefulset(
    namespace: str,
    *,
    name: str = "docs",
    replicas: int | None = 2,
    image: str = OLD_IMAGE,
    size: str = "1Gi",
    partition: int | None = None,
) -> Obj:
    spec: Obj = {
        "serviceName": f"{name}-headless",
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": dict(SELECTOR)},
        "template": {
            "metadata": {"labels": dict(SELECTOR)},
            "spec": {"containers": [{"name": "weaviate", "image": image}]},
        },
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}},
                },
            }
        ],
        "persistentVolumeClaimRetentionPolicy": {"whenScaled": "Retain", "whenDeleted": "Retain"},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    if partition is not None:
        spec["updateStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"partition": partition},
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def cluster(namespace: str, *, name: str = "docs", replicas: int = 3) -> Obj:
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"version": "1.32.5", "replicas": replicas, "storage": {"size": "10Gi"}},
    }


def ref(obj: Obj) -> ObjectRef:
    return ObjectRef.of(obj)


def managers(obj: Obj) -> dict[tuple[str, str, str], Obj]:
    """managedFields by (manager, operation, subresource) -> fieldsV1."""
    return {
        (e["manager"], e["operation"], e.get("subresource", "")): e.get("fieldsV1", {})
        for e in obj["metadata"].get("managedFields") or []
    }


def owner_uids(obj: Obj) -> set[str]:
    return {r["uid"] for r in obj["metadata"].get("ownerReferences") or []}
