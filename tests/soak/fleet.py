"""The soak's clusters: three flavors of WeaviateCluster, each referencing a canary Secret."""

from __future__ import annotations

import base64
import random
from enum import StrEnum
from typing import Any

from weavefn.local.kube import LocalKube

CANARY_SECRET = "canary-7f3a9c1e-DO-NOT-LEAK"
"""The value of every Secret the clusters reference; it must never show up in any output."""
SECRET_NAME = "weaviate-keys"
NAMESPACES = ("search", "ml", "tenants")


class Flavor(StrEnum):
    MOVER = "mover"
    """1.32 with replica movement: scale-in drains shards first."""
    UPGRADER = "upgrader"
    """1.26: scale-in refused; upgrade requests move it to 1.27."""
    PLAIN = "plain"
    """1.30 without replica movement: scale-out only."""


def secret(namespace: str) -> dict[str, Any]:
    encoded = base64.b64encode(CANARY_SECRET.encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET_NAME, "namespace": namespace},
        "data": {"api-key": encoded, "openai": encoded},
    }


def _ref(key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": SECRET_NAME, "key": key}}


def manifest(name: str, namespace: str, flavor: Flavor, *, rng: random.Random) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "storage": {"size": "10Gi"},
        "env": [{"name": "EXTRA_API_KEY", "valueFrom": _ref("api-key")}],
        "modules": [{"name": "text2vec-openai", "config": {"apiKey": _ref("openai")}}],
        "auth": {"apiKey": _ref("api-key"), "users": ["soak@example.com"]},
        "autoScaling": {
            "enabled": True,
            "targetCPU": 70,
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": rng.choice([0, 60])}},
        },
    }
    annotations: dict[str, str] = {}
    if flavor is Flavor.MOVER:
        spec.update(version="1.32.5", replicas=rng.choice([3, 4]))
        spec["replication"] = {"factor": 2, "replicaMovement": True}
        spec["autoScaling"].update(minReplicas=2, maxReplicas=6)
    elif flavor is Flavor.UPGRADER:
        spec.update(version="1.26.9", replicas=3)
        spec["replication"] = {"factor": 2}
        spec["autoScaling"].update(minReplicas=3, maxReplicas=5)
        if rng.random() < 0.5:
            spec["cloudProvider"] = {
                "type": "aws",
                "region": "us-east-1",
                "aws": {"backup": {"bucket": f"backups-{name}"}},
            }
        else:
            annotations["weaviate.io/skip-backup"] = "true"
    else:
        spec.update(version="1.30.4", replicas=2)
        spec["autoScaling"].update(minReplicas=1, maxReplicas=4)
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": spec,
    }


def build_fleet(kube: LocalKube, *, count: int, rng: random.Random) -> dict[str, Flavor]:
    """``count`` clusters (40% movers, 30% upgraders, 30% plain) and their Secrets."""
    for namespace in NAMESPACES:
        kube.apply(secret(namespace))
    flavors: dict[str, Flavor] = {}
    for index in range(count):
        share = index / count
        flavor = Flavor.MOVER if share < 0.4 else Flavor.UPGRADER if share < 0.7 else Flavor.PLAIN
        namespace = NAMESPACES[index % len(NAMESPACES)]
        name = f"{flavor}-{index:03d}"
        kube.apply_cluster(manifest(name, namespace, flavor, rng=rng))
        flavors[f"{namespace}/{name}"] = flavor
    return flavors
