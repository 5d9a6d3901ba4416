"""Supporting objects: ServiceAccount, ConfigMap, PodDisruptionBudget and StorageClass."""

from __future__ import annotations

from typing import Any

from weavefn.model.resource import WeaviateCluster
from weavefn.providers import PodSettings, profile_for
from weavefn.render.labels import (
    Component,
    common_labels,
    config_map_name,
    object_meta,
    selector_labels,
    service_account_name,
    statefulset_name,
)


def service_account(cluster: WeaviateCluster, settings: PodSettings) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(
            cluster,
            service_account_name(cluster),
            common_labels(cluster, Component.DATABASE),
            annotations=settings.service_account_annotations,
        ),
        # Weaviate never calls the Kubernetes API; workload identity uses its own token.
        "automountServiceAccountToken": False,
    }


def config_map(cluster: WeaviateCluster, settings: dict[str, str]) -> dict[str, Any]:
    """The effective non-secret settings, for people and tools to read.

    Pods take the same values inline rather than through envFrom: a StatefulSet revision must
    capture the whole configuration, or a pod restarting mid-way through a partitioned rollout
    would pick up settings meant for the next revision.
    """
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(
            cluster, config_map_name(cluster), common_labels(cluster, Component.DATABASE)
        ),
        "data": dict(sorted(settings.items())),
    }


def pod_disruption_budget(cluster: WeaviateCluster) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_meta(
            cluster, statefulset_name(cluster), common_labels(cluster, Component.DATABASE)
        ),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(cluster)}},
    }


def storage_class(cluster: WeaviateCluster) -> dict[str, Any] | None:
    """The provider's StorageClass, when the spec asks weavefn to provision it."""
    storage = cluster.spec.storage
    profile = profile_for(cluster)
    if not storage.provision_storage_class or not storage.storage_class_name or not profile:
        return None
    params = profile.storage_class(cluster)
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": object_meta(
            cluster,
            storage.storage_class_name,
            common_labels(cluster, Component.STORAGE),
            namespaced=False,
        ),
        "provisioner": params.provisioner,
        "parameters": dict(sorted(params.parameters.items())),
        # Volumes are grown in place (PVC patch); deleting a claim must not delete the data.
        "allowVolumeExpansion": True,
        "reclaimPolicy": "Retain",
        # Bind where the pod lands, so zonal disks follow the scheduler's anti-affinity choice.
        "volumeBindingMode": "WaitForFirstConsumer",
    }
