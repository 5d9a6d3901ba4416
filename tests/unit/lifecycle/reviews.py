"""Builders of AdmissionReview documents for WeaviateCluster, shaped as the API server sends them."""

from __future__ import annotations

import copy
from typing import Any

SECRET_VALUE = "sk-live-DO-NOT-LEAK-4242"


def cluster(
    *,
    name: str = "wv",
    namespace: str | None = "prod",
    annotations: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": "1.27.3",
        "replicas": 3,
        "storage": {"size": "100Gi", "storageClassName": "gp3"},
        "replication": {"factor": 2},
        "vmMaxMapCount": {"setBy": "NodePool"},
    }
    body.update(spec)
    meta: dict[str, Any] = {"name": name, "annotations": annotations or {}}
    if namespace is not None:
        meta["namespace"] = namespace
    obj = {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": meta,
        "spec": body,
    }
    if status is not None:
        obj["status"] = status
    return obj


def admission(
    operation: str,
    obj: dict[str, Any] | None,
    old: dict[str, Any] | None = None,
    *,
    uid: str = "5a7c1e1b-uid",
    dry_run: bool = False,
    namespace: str = "prod",
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": "weaviate.io", "version": "v1", "kind": "WeaviateCluster"},
        "resource": {"group": "weaviate.io", "version": "v1", "resource": "weaviateclusters"},
        "namespace": namespace,
        "operation": operation,
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "userInfo": {"username": "alice"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def update(old: dict[str, Any], **changes: Any) -> dict[str, Any]:
    new = copy.deepcopy(old)
    new["spec"].update(changes)
    return admission("UPDATE", new, old)


def with_(review_doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(review_doc)
    *parents, last = path.split(".")
    target = doc
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return doc


DELETE = object()
"""Marks a key to remove in :func:`with_`."""
UID = "5a7c1e1b-uid"
BASE = cluster()
CREATE = admission("CREATE", BASE)
AUTOSCALING = {"enabled": True, "minReplicas": 3, "maxReplicas": 6, "targetCPU": 70}
