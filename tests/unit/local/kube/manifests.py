"""Manifests and small readers shared by the local cluster tests."""

from __future__ import annotations

from typing import Any

from weavefn.local.kube import LocalKube

NS = "search"
SELECTOR = {"app.kubernetes.io/name": "weaviate", "app.kubernetes.io/instance": "docs"}


def statefulset(
    *,
    name: str = "docs",
    replicas: int | None = 3,
    image: str = "cr.weaviate.io/semitechnologies/weaviate:1.27.3",
    size: str = "10Gi",
    partition: int | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "serviceName": f"{name}-headless",
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": dict(SELECTOR)},
        "template": {
            "metadata": {"labels": dict(SELECTOR)},
            "spec": {"containers": [{"name": "weaviate", "image": image}]},
        },
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data", "labels": {"weaviate.io/volume": "data"}},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "fast",
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
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def cluster(*, name: str = "docs", replicas: int = 3, version: str = "1.27.3") -> dict[str, Any]:
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"version": version, "replicas": replicas},
    }


def storage_class(name: str = "fast", *, expandable: bool = True) -> dict[str, Any]:
    sc: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "ebs.csi.aws.com",
    }
    if expandable:
        sc["allowVolumeExpansion"] = True
    return sc


def ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def images(kube: LocalKube) -> dict[str, str]:
    return {
        p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
        for p in kube.list_pods(NS, SELECTOR)
    }
