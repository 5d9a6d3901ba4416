"""Names, labels and owner references shared by every rendered object; no object bodies here."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from weavefn.model.resource import API_VERSION, KIND, WeaviateCluster

APP_NAME = "weaviate"
MANAGED_BY = "weavefn"
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
VERSION_LABEL = "app.kubernetes.io/version"
_DNS_LABEL_MAX = 63


class Component(StrEnum):
    DATABASE = "database"
    INFERENCE = "inference"
    STORAGE = "storage"
    MESH = "mesh"


def dns_name(text: str) -> str:
    """Fit a derived name into a DNS label, keeping it unique with a stable hash suffix."""
    if len(text) <= _DNS_LABEL_MAX:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: _DNS_LABEL_MAX - 9].rstrip('-')}-{digest}"


def statefulset_name(cluster: WeaviateCluster) -> str:
    # Pod names (and so Weaviate node names and RAFT_JOIN) derive from this; it never changes.
    return cluster.metadata.name


def headless_service_name(cluster: WeaviateCluster) -> str:
    return f"{cluster.metadata.name}-headless"


def client_service_name(cluster: WeaviateCluster) -> str:
    return cluster.metadata.name


def config_map_name(cluster: WeaviateCluster) -> str:
    return f"{cluster.metadata.name}-config"


def cluster_auth_secret_name(cluster: WeaviateCluster) -> str:
    """The Secret weavefn generates for the internal cluster API's basic auth."""
    return dns_name(f"{cluster.metadata.name}-cluster-auth")


def service_account_name(cluster: WeaviateCluster) -> str:
    return cluster.metadata.name


def module_object_name(cluster: WeaviateCluster, module: str) -> str:
    return dns_name(f"{cluster.metadata.name}-{module}")


def selector_labels(cluster: WeaviateCluster) -> dict[str, str]:
    """The immutable StatefulSet selector; it excludes inference pods of the same cluster."""
    return {
        NAME_LABEL: APP_NAME,
        INSTANCE_LABEL: cluster.metadata.name,
        COMPONENT_LABEL: Component.DATABASE.value,
    }


def selector_string(cluster: WeaviateCluster) -> str:
    """The selector as ``status.selector`` carries it for the scale subresource."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector_labels(cluster).items()))


def common_labels(
    cluster: WeaviateCluster,
    component: Component,
    *,
    name: str = APP_NAME,
    version: str | None = None,
) -> dict[str, str]:
    return {
        NAME_LABEL: name,
        INSTANCE_LABEL: cluster.metadata.name,
        VERSION_LABEL: version or cluster.spec.version,
        COMPONENT_LABEL: component.value,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": APP_NAME,
    }


def owner_references(cluster: WeaviateCluster) -> list[dict[str, Any]]:
    """Garbage-collect with the custom resource; unknown before the resource exists."""
    if not cluster.metadata.uid:
        return []
    return [
        {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "name": cluster.metadata.name,
            "uid": cluster.metadata.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def object_meta(
    cluster: WeaviateCluster,
    name: str,
    labels: dict[str, str],
    *,
    namespaced: bool = True,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespaced:
        meta["namespace"] = cluster.metadata.namespace
    meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    # A namespaced owner cannot own a cluster-scoped object (e.g. a StorageClass).
    owners = owner_references(cluster) if namespaced else []
    if owners:
        meta["ownerReferences"] = owners
    return meta
