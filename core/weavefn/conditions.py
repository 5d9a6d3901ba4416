"""Kubernetes-style status conditions: set one, keeping lastTransitionTime honest (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from weavefn.model.status import Condition, ConditionType


class ConditionReason(StrEnum):
    ALL_READY = "AllReplicasReady"
    PODS_NOT_READY = "PodsNotReady"
    POD_CANNOT_START = "PodCannotStart"
    CREATING = "Creating"
    ROLLING_OUT = "RollingOut"
    OPERATION = "OperationInProgress"
    RECONCILED = "Reconciled"
    APPLY_FAILED = "ApplyFailed"
    API_UNAVAILABLE = "ApiUnavailable"
    INVALID_SPEC = "InvalidSpec"
    VALID_SPEC = "ValidSpec"
    EXPANSION_NOT_SUPPORTED = "ExpansionNotSupported"
    SHRINK_REFUSED = "ShrinkRefused"
    CLASS_CHANGE_REFUSED = "StorageClassChangeRefused"
    EXPANDABLE = "Expandable"
    VERSION_UNSUPPORTED = "ReplicaMovementUnsupported"
    MOVEMENT_DISABLED = "ReplicaMovementDisabled"
    DRAIN_FAILED = "DrainFailed"
    REPLICA_FLOOR = "AtReplicaFloor"
    INSUFFICIENT_NODES = "InsufficientNodes"
    SCALE_IN_ALLOWED = "ScaleInAllowed"
    AUTOSCALING_ACTIVE = "Active"
    AUTOSCALING_PAUSED = "Paused"
    AUTOSCALING_WAITING = "WaitingForOperation"
    AUTOSCALING_DISABLED = "Disabled"


class UpgradeConditionReason(StrEnum):
    """Reasons of the UpgradeSucceeded condition that the upgrade Step sets."""

    SUCCEEDED = "Succeeded"
    IN_PROGRESS = "InProgress"
    WAITING = "WaitingForBackup"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"
    WAITING_FOR_OPERATION = "WaitingForOperation"


_SHOWN_ELSEWHERE = frozenset({ConditionType.READY, ConditionType.PROGRESSING})
_UNDER_WAY = frozenset({UpgradeConditionReason.IN_PROGRESS, ConditionReason.AUTOSCALING_DISABLED})


def blocking(conditions: Iterable[Condition]) -> list[Condition]:
    """The conditions that say something is held back or failed, whatever their type.

    Any condition in its abnormal state (see ``Condition.abnormal``) except Ready and
    Progressing, which the ready count and the operation already show, and except the reasons
    that only say work is under way or was switched off on purpose.
    """
    return [
        c
        for c in conditions
        if c.abnormal and c.type not in _SHOWN_ELSEWHERE and c.reason not in _UNDER_WAY
    ]


def timestamp(now: datetime) -> str:
    """RFC 3339 in UTC with whole seconds, as Kubernetes writes condition times."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: list[Condition],
    *,
    kind: ConditionType,
    status: bool,
    reason: StrEnum,
    message: str,
    now: datetime,
    generation: int | None = None,
) -> list[Condition]:
    """Return ``conditions`` with ``kind`` set; the transition time moves only on a flip."""
    value = "True" if status else "False"
    previous = next((c for c in conditions if c.type == kind), None)
    since = (
        previous.last_transition_time
        if previous is not None and previous.status == value
        else timestamp(now)
    )
    updated = Condition(
        type=str(kind),
        status=value,
        reason=str(reason),
        message=message,
        last_transition_time=since,
        observed_generation=generation,
    )
    if previous is None:
        return [*conditions, updated]
    # in place, as meta.SetStatusCondition does: a condition that moved would make an
    # unchanged status look changed, and every pass would write it
    return [updated if c.type == kind else c for c in conditions]


def drop_condition(conditions: list[Condition], kind: ConditionType) -> list[Condition]:
    return [c for c in conditions if c.type != kind]
