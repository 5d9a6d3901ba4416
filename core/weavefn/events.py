"""Kubernetes Events about a WeaviateCluster: reasons, and the events.k8s.io/v1 object (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from weavefn.model.resource import API_VERSION, KIND

CONTROLLER = "weaviate.io/weavefn"
NOTE_LIMIT = 1024
"""Bytes, not characters: the API server measures the Go string (events.k8s.io/v1 note)."""
_ELLIPSIS = "..."


class EventType(StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


class EventReason(StrEnum):
    CREATED = "Created"
    UPDATED = "Updated"
    REPAIRED = "DriftRepaired"
    APPLY_FAILED = "ApplyFailed"
    INVALID_SPEC = "InvalidSpec"
    STORAGE_EXPANDING = "StorageExpanding"
    STORAGE_EXPANDED = "StorageExpanded"
    STORAGE_REFUSED = "StorageChangeRefused"
    SCALED_UP = "ScaledUp"
    SCALED_DOWN = "ScaledDown"
    SCALE_IN_BLOCKED = "ScaleInBlocked"
    DRAIN_STARTED = "DrainStarted"
    DRAIN_FAILED = "DrainFailed"
    UPGRADE_STARTED = "UpgradeStarted"
    UPGRADE_PROGRESS = "UpgradeProgress"
    UPGRADE_SUCCEEDED = "UpgradeSucceeded"
    UPGRADE_FAILED = "UpgradeFailed"
    ROLLBACK_STARTED = "RollbackStarted"
    ROLLED_BACK = "RolledBack"
    BACKUP_STARTED = "BackupStarted"
    BACKUP_SUCCEEDED = "BackupSucceeded"
    BACKUP_FAILED = "BackupFailed"
    RESTORE_STARTED = "RestoreStarted"
    RESTORE_SUCCEEDED = "RestoreSucceeded"
    RESTORE_FAILED = "RestoreFailed"
    RESTART_PENDING = "PodRestartPending"
    TEMPLATE_ROLLOUT_STARTED = "PodTemplateRolloutStarted"
    TEMPLATE_ROLLOUT_PROGRESS = "PodTemplateRolloutProgress"
    TEMPLATE_ROLLOUT_HELD = "PodTemplateRolloutHeld"
    TEMPLATE_ROLLOUT_SUCCEEDED = "PodTemplateRolloutSucceeded"
    CLUSTER_AUTH_GENERATED = "ClusterAuthSecretCreated"
    CLUSTER_AUTH_PENDING = "ClusterAuthRolloutRequired"
    CLUSTER_AUTH_MISSING = "ClusterAuthSecretMissing"


@dataclass(frozen=True)
class ClusterEvent:
    """Something weavefn did or refused to do to one cluster."""

    reason: EventReason
    note: str
    type: EventType = EventType.NORMAL
    action: str = "Reconcile"


def clip_note(note: str, *, limit: int = NOTE_LIMIT) -> str:
    """``note`` within ``limit`` UTF-8 bytes, cut on a character boundary and marked as cut."""
    encoded = note.encode("utf-8", "replace")  # a lone surrogate cannot be sent at all
    if len(encoded) <= limit:
        return encoded.decode("utf-8")
    kept = encoded[: limit - len(_ELLIPSIS)].decode("utf-8", "ignore")
    return kept + _ELLIPSIS


def event_object(event: ClusterEvent, *, cluster: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The events.k8s.io/v1 Event for ``event``, regarding the custom resource ``cluster``."""
    meta = cluster["metadata"]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    note = clip_note(event.note)
    digest = hashlib.sha256(f"{stamp}{event.reason}{note}".encode()).hexdigest()[:10]
    regarding = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": meta["name"],
        "namespace": meta.get("namespace", "default"),
    }
    if meta.get("uid"):
        regarding["uid"] = meta["uid"]
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{digest}", "namespace": regarding["namespace"]},
        "eventTime": stamp,
        "reportingController": CONTROLLER,
        "reportingInstance": "weavefn",
        "action": event.action,
        "reason": str(event.reason),
        "note": note,
        "type": str(event.type),
        "regarding": regarding,
    }
