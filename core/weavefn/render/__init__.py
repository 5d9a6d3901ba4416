"""Rendering: a WeaviateCluster becomes the Kubernetes objects that run it, in apply order."""

from __future__ import annotations

from typing import Any

from weavefn.model.resource import WeaviateCluster
from weavefn.providers import pod_settings
from weavefn.render.config import (
    config_map,
    pod_disruption_budget,
    service_account,
    storage_class,
)
from weavefn.render.env import plain_settings, weaviate_env
from weavefn.render.labels import (
    client_service_name,
    cluster_auth_secret_name,
    headless_service_name,
    selector_labels,
    selector_string,
    statefulset_name,
)
from weavefn.render.mesh import mesh_objects
from weavefn.render.modules import inference_objects
from weavefn.render.raft import default_voters
from weavefn.render.services import client_service, headless_service
from weavefn.render.statefulset import PodAuth, Rollout, render_statefulset, statefulset_stub

__all__ = [
    "PodAuth",
    "Rollout",
    "client_service_name",
    "cluster_auth_secret_name",
    "default_voters",
    "headless_service_name",
    "render_all",
    "render_statefulset",
    "render_supporting",
    "selector_labels",
    "selector_string",
    "statefulset_name",
    "statefulset_stub",
]


def _as_running(cluster: WeaviateCluster, version: str | None) -> WeaviateCluster:
    if version is None or version == cluster.spec.version:
        return cluster
    return cluster.model_copy(update={"spec": cluster.spec.model_copy(update={"version": version})})


def render_all(
    cluster: WeaviateCluster,
    *,
    voters: list[str],
    include_replicas: bool = True,
    rollout: Rollout | None = None,
    version: str | None = None,
    auth: PodAuth | None = None,
) -> list[dict[str, Any]]:
    """Every object of the cluster in apply order; the StatefulSet last, once all it needs exists.

    ``version`` is the release the cluster runs (status.currentVersion; default spec.version).
    Every object is rendered for it: a new spec.version reaches the pods only through the
    upgrade, which pins the StatefulSet's image and steps its partition down, so labels and
    settings elsewhere must not run ahead of it.

    With ``include_replicas=False`` the StatefulSet carries no ``spec.replicas``: the reconcile
    path must never write them, the scaling path owns them through the scale subresource.
    ``rollout`` pins its image and partition while an upgrade is in flight (default: the
    version rendered for, partition 0). ``auth``: whether the pods guard the internal cluster
    API (default: as a new cluster would, from spec.internalAuth).
    """
    cluster = _as_running(cluster, version)
    statefulset = render_statefulset(
        cluster, voters=voters, include_replicas=include_replicas, rollout=rollout, auth=auth
    )
    return [*render_supporting(cluster, voters=voters), statefulset]


def render_supporting(cluster: WeaviateCluster, *, voters: list[str]) -> list[dict[str, Any]]:
    """Everything but the StatefulSet, in apply order (all of it must exist before the pods)."""
    settings = pod_settings(cluster)
    objects: list[dict[str, Any]] = [
        service_account(cluster, settings),
        config_map(
            cluster, plain_settings(weaviate_env(cluster, voters=voters, settings=settings))
        ),
    ]
    provisioned = storage_class(cluster)
    if provisioned:
        objects.append(provisioned)
    objects += [headless_service(cluster), client_service(cluster), pod_disruption_budget(cluster)]
    objects += inference_objects(cluster)
    objects += mesh_objects(cluster)
    return objects
