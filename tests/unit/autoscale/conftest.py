"""Builders for autoscaling tests: a WeaviateCluster with a chosen autoScaling block."""

from __future__ import annotations

from typing import Any

from weavefn.model.resource import WeaviateCluster, parse_cluster


def make_cluster(
    autoscaling: dict[str, Any] | None = None,
    *,
    provider: dict[str, Any] | None = None,
    resources: dict[str, Any] | None = None,
) -> WeaviateCluster:
    spec: dict[str, Any] = {
        "version": "1.32.4",
        "replicas": 3,
        "storage": {"size": "10Gi"},
        "resources": resources or {"requests": {"cpu": "1", "memory": "4Gi"}},
        "autoScaling": {
            "enabled": True,
            "minReplicas": 1,
            "maxReplicas": 10,
            **(autoscaling or {}),
        },
    }
    if provider:
        spec["cloudProvider"] = provider
    return parse_cluster(
        {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "metadata": {"name": "search", "namespace": "prod"},
            "spec": spec,
        }
    )
