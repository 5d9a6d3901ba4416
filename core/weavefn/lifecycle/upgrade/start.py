"""When an upgrade starts: whether the spec asks for one that may start now, and asking for one.

A request (CLI, CI/CD webhook) only moves spec.version; the next reconcile pass starts the
upgrade when ``check_start`` allows it, so a request never waits on Weaviate or on pods.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from weavefn.errors import InvalidInputError
from weavefn.kube.port import ClusterStore, ClusterWriter, ObjectRef
from weavefn.lifecycle.versions import allows_downtime, check_upgrade, check_version_change
from weavefn.model.keys import split_key
from weavefn.model.operations import UpgradeOperation, UpgradePhase
from weavefn.model.resource import SKIP_BACKUP_ANNOTATION, parse_cluster
from weavefn.providers import backup_backend, backup_problem
from weavefn.reconcile.context import ClusterContext
from weavefn.triggers.model import UpgradeRequest

_GAVE_UP = (UpgradePhase.ROLLED_BACK, UpgradePhase.FAILED)


class SpecVersionApi(ClusterStore, ClusterWriter, Protocol):
    """Reading a WeaviateCluster and patching its spec: all a request to upgrade needs."""


class StartReason(StrEnum):
    UP_TO_DATE = "UpToDate"
    VERSION_REFUSED = "VersionRefused"
    BACKUP_NOT_CONFIGURED = "BackupNotConfigured"
    BACKUP_CREDENTIALS_MISSING = "BackupCredentialsMissing"
    GAVE_UP = "PreviousAttemptFailed"


@dataclass(frozen=True)
class UpgradeStart:
    source: str
    target: str
    replicas: int
    backend: str | None
    skip_backup: bool


@dataclass(frozen=True)
class StartRefusal:
    """Why no upgrade starts; an empty message leaves the condition as it is."""

    reason: StartReason
    message: str = ""


def _replicas(ctx: ClusterContext) -> int:
    """What the StatefulSet runs now (autoscaling may differ from spec.replicas)."""
    meta = ctx.cluster.metadata
    live = ctx.live.get(ObjectRef("apps/v1", "StatefulSet", meta.namespace, meta.name))
    replicas = (live or {}).get("spec", {}).get("replicas")
    return int(replicas) if replicas else ctx.cluster.spec.replicas


def check_start(ctx: ClusterContext) -> UpgradeStart | StartRefusal:
    """Whether spec.version asks for an upgrade that may start now (no operation in flight)."""
    cluster, status = ctx.cluster, ctx.status
    source, target = status.current_version, cluster.spec.version
    if source is None or source == target:
        return StartRefusal(StartReason.UP_TO_DATE)
    last = status.last_operation
    if (
        isinstance(last, UpgradeOperation)
        and last.phase in _GAVE_UP
        and last.details.target == target
        and last.details.generation == ctx.generation
    ):
        # Retrying by itself would repeat the failure; any spec change is a new attempt.
        return StartRefusal(StartReason.GAVE_UP)
    errors = check_version_change(
        source, target, allow_downtime=allows_downtime(cluster.metadata.annotations)
    )
    if errors:
        message = "upgrade refused: " + "; ".join(str(e) for e in errors)
        return StartRefusal(StartReason.VERSION_REFUSED, message)
    backend = backup_backend(cluster)
    problem = backup_problem(cluster)
    if problem is not None and not cluster.skips_backup:
        return StartRefusal(
            StartReason.BACKUP_CREDENTIALS_MISSING,
            f"upgrade {source} -> {target} refused: its backup cannot be written: {problem}; "
            f'or set annotation {SKIP_BACKUP_ANNOTATION}: "true" to upgrade without a backup',
        )
    if problem is not None:
        backend = None  # annotated: upgrade without the backup that cannot be taken
    skip = backend is None and cluster.skips_backup
    if backend is None and not skip:
        return StartRefusal(
            StartReason.BACKUP_NOT_CONFIGURED,
            f"upgrade {source} -> {target} refused: no backup target is configured "
            "(spec.cloudProvider.<cloud>.backup or a backup-* module); set annotation "
            f'{SKIP_BACKUP_ANNOTATION}: "true" to upgrade without a backup',
        )
    return UpgradeStart(source, target, _replicas(ctx), backend, skip)


def start_upgrade(kube: SpecVersionApi, request: UpgradeRequest) -> str:
    """Move spec.version as the request asks, under the version rules; say what was done.

    Unknown cluster: NotFoundError. A version the rules refuse: InvalidInputError naming
    spec.version, with nothing changed. The patch carries the resourceVersion it was checked
    against, so a concurrent change makes it fail (ConflictError) rather than slip through.
    """
    namespace, name = split_key(request.cluster)
    raw = kube.get_cluster(namespace, name)
    cluster = parse_cluster(raw)
    if cluster.spec.version == request.version:
        return f"{cluster.key} already asks for {request.version}: nothing changed"
    errors = check_upgrade(cluster, request.version)
    if errors:
        raise InvalidInputError(errors, what="upgrade request")
    resource_version = cluster.metadata.resource_version or ""
    kube.patch_cluster_spec(
        namespace, name, {"version": request.version}, resource_version=resource_version
    )
    return (
        f"{cluster.key}: spec.version {cluster.spec.version} -> {request.version}; "
        "the upgrade proceeds on each reconcile"
    )
