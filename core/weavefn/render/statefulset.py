"""The Weaviate StatefulSet: pods, probes, placement, security and the data volume claim."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from weavefn.model.resource import WeaviateCluster
from weavefn.providers import PodSettings, pod_settings
from weavefn.render import mesh
from weavefn.render.env import DATA_PATH, DATA_PORT, GOSSIP_PORT, weaviate_env
from weavefn.render.labels import (
    Component,
    cluster_auth_secret_name,
    common_labels,
    headless_service_name,
    object_meta,
    selector_labels,
    service_account_name,
    statefulset_name,
)
from weavefn.render.podparts import SCRAPE_ANNOTATIONS, affinity, spread, sysctl_containers
from weavefn.render.services import (
    GRPC_PORT,
    HTTP_PORT,
    METRICS_PORT,
    RAFT_PORT,
    RAFT_RPC_PORT,
)

DATA_VOLUME = "weaviate-data"
CONTAINER = "weaviate"
USER_ID = 1000
# What the probes allow, as Weaviate 1.25+ answers them (adapters/handlers/rest/middlewares.go,
# addLiveAndReadyness): /v1/.well-known/live is 200 once the HTTP server listens, seconds after
# start, because Raft and shard loading (WAL recovery included) run in the background
# (configure_api.go opens the cluster service in a goroutine). /v1/.well-known/ready is 503
# until this node's Raft store is ready, memberlist sees the cluster healthy and the modules
# answer; it keeps the pod out of the Services and holds every rollout (the StatefulSet
# controller's and weavefn's), however long loading takes. So the startup probe's hour only
# bounds a process that never starts listening, liveness restarts a node whose HTTP server has
# stopped answering for three minutes, and a long recovery restarts nothing.
STARTUP_PERIOD_SECONDS = 10
STARTUP_FAILURE_THRESHOLD = 360


@dataclass(frozen=True)
class Rollout:
    """The image version the pods run, and the lowest ordinal that gets a new template.

    ``partition`` above 0 holds the pods below it on their old template: an upgrade steps it
    down one pod at a time (``updateStrategy.rollingUpdate.partition``).
    """

    version: str
    partition: int = 0


@dataclass(frozen=True)
class PodAuth:
    """Whether the pods guard Weaviate's internal cluster API, and with which Secret.

    A new cluster's pods do from the start (spec.internalAuth); a running cluster's follow
    status.clusterAuth, which changes only through the rollout that switches them all.
    """

    secret: str | None

    @classmethod
    def for_new(cls, cluster: WeaviateCluster) -> PodAuth:
        """What a cluster created now runs: spec.internalAuth."""
        wanted = cluster.spec.internal_auth
        if not wanted.enabled:
            return cls(None)
        return cls(wanted.secret_name or cluster_auth_secret_name(cluster))


def _probe(path: str, *, period: int, timeout: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": HTTP_PORT},
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
    }


def _container_ports() -> list[dict[str, Any]]:
    ports = [
        ("http", HTTP_PORT, "TCP"),
        ("grpc", GRPC_PORT, "TCP"),
        ("metrics", METRICS_PORT, "TCP"),
        ("gossip", GOSSIP_PORT, "TCP"),
        ("gossip-udp", GOSSIP_PORT, "UDP"),
        ("data", DATA_PORT, "TCP"),
        ("raft", RAFT_PORT, "TCP"),
        ("raft-rpc", RAFT_RPC_PORT, "TCP"),
    ]
    return [{"name": n, "containerPort": p, "protocol": proto} for n, p, proto in ports]


def _resources(cluster: WeaviateCluster, settings: PodSettings) -> dict[str, Any]:
    resources = cluster.spec.resources.model_dump(exclude_none=True)
    if settings.scratch_size:  # the scheduler must place the scratch emptyDir where it fits
        resources.setdefault("requests", {})["ephemeral-storage"] = settings.scratch_size
    return {k: v for k, v in resources.items() if v}


def _container(
    cluster: WeaviateCluster,
    *,
    voters: list[str],
    settings: PodSettings,
    version: str,
    auth_secret: str | None,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": f"{cluster.spec.image.repository}:{version}",
        "imagePullPolicy": cluster.spec.image.pull_policy,
        "ports": _container_ports(),
        # Rendered for the image's own version: a pod gets its revision's whole template, so
        # across an upgrade each pod reads the variables its release knows.
        "env": weaviate_env(
            cluster, voters=voters, settings=settings, version=version, auth_secret=auth_secret
        ),
        "volumeMounts": [
            {"name": DATA_VOLUME, "mountPath": DATA_PATH},
            *settings.volume_mounts,
        ],
        "startupProbe": _probe(
            "/v1/.well-known/live",
            period=STARTUP_PERIOD_SECONDS,
            timeout=3,
            failures=STARTUP_FAILURE_THRESHOLD,
        ),
        "readinessProbe": _probe("/v1/.well-known/ready", period=10, timeout=3, failures=3),
        # Lenient: a busy node answering slowly must not be restarted into a long recovery.
        "livenessProbe": _probe("/v1/.well-known/live", period=30, timeout=5, failures=6),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": USER_ID,
        },
    }
    resources = _resources(cluster, settings)
    if resources:
        container["resources"] = resources
    return container


def _pod_spec(
    cluster: WeaviateCluster,
    *,
    voters: list[str],
    settings: PodSettings,
    version: str,
    auth_secret: str | None,
) -> dict[str, Any]:
    spec = cluster.spec
    pod: dict[str, Any] = {
        "serviceAccountName": service_account_name(cluster),
        "automountServiceAccountToken": False,
        # Service links inject one variable per Service in the namespace: noise in the env.
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": spec.termination_grace_period_seconds,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": USER_ID,
            "runAsGroup": USER_ID,
            "fsGroup": USER_ID,
            # Large volumes: re-chowning every file at each start would delay startup.
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "affinity": affinity(cluster),
        "containers": [
            _container(
                cluster,
                voters=voters,
                settings=settings,
                version=version,
                auth_secret=auth_secret,
            ),
        ],
    }
    init = sysctl_containers(cluster)
    if init:
        pod["initContainers"] = init
    constraints = spread(cluster)
    if constraints:
        pod["topologySpreadConstraints"] = constraints
    node_selector = {**settings.node_selector, **spec.node_selector}
    if node_selector:
        pod["nodeSelector"] = dict(sorted(node_selector.items()))
    if spec.tolerations:
        pod["tolerations"] = copy.deepcopy(spec.tolerations)
    if spec.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": s.name} for s in spec.image_pull_secrets]
    if settings.volumes:
        pod["volumes"] = [dict(v) for v in settings.volumes]
    return pod


def _claim_template(cluster: WeaviateCluster) -> dict[str, Any]:
    storage = cluster.spec.storage
    claim: dict[str, Any] = {
        "accessModes": list(storage.volume_claim_template.access_modes),
        "resources": {"requests": {"storage": storage.size}},
    }
    if storage.storage_class_name:
        claim["storageClassName"] = storage.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        # Labelled so the volume operations can list a cluster's claims by selector.
        "metadata": {"name": DATA_VOLUME, "labels": selector_labels(cluster)},
        "spec": claim,
    }


def render_statefulset(
    cluster: WeaviateCluster,
    *,
    voters: list[str],
    include_replicas: bool = True,
    rollout: Rollout | None = None,
    auth: PodAuth | None = None,
) -> dict[str, Any]:
    """The StatefulSet; ``rollout`` pins the image and partition (default: spec.version, 0);
    ``auth`` says whether the pods guard the internal cluster API (default: as a new cluster)."""
    spec = cluster.spec
    version = rollout.version if rollout is not None else spec.version
    auth_secret = (auth or PodAuth.for_new(cluster)).secret
    partition = rollout.partition if rollout is not None else 0
    settings = pod_settings(cluster)
    labels = common_labels(cluster, Component.DATABASE, version=version)
    pod_labels = {**labels, **settings.pod_labels, **mesh.pod_labels(cluster)}
    annotations = {**SCRAPE_ANNOTATIONS, **spec.pod_annotations, **mesh.pod_annotations(cluster)}
    template_meta: dict[str, Any] = {"labels": dict(sorted(pod_labels.items()))}
    if annotations:
        template_meta["annotations"] = dict(sorted(annotations.items()))
    body: dict[str, Any] = {}
    if include_replicas:
        body["replicas"] = spec.replicas
    body.update(
        {
            "serviceName": headless_service_name(cluster),
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": selector_labels(cluster)},
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"partition": partition},
            },
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
            "template": {
                "metadata": template_meta,
                "spec": _pod_spec(
                    cluster,
                    voters=voters,
                    settings=settings,
                    version=version,
                    auth_secret=auth_secret,
                ),
            },
            "volumeClaimTemplates": [_claim_template(cluster)],
        }
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": object_meta(cluster, statefulset_name(cluster), labels),
        "spec": body,
    }


def statefulset_stub(cluster: WeaviateCluster) -> dict[str, Any]:
    """The StatefulSet's identity alone (kind, namespace, name), for what only needs its ref."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": statefulset_name(cluster), "namespace": cluster.metadata.namespace},
    }
