"""The core's trigger types; adapters parse platform payloads into these and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AlarmSource(StrEnum):
    CLOUDWATCH_SNS = "cloudwatch-sns"
    CLOUDWATCH_EVENTBRIDGE = "cloudwatch-eventbridge"
    CLOUDWATCH_LAMBDA = "cloudwatch-lambda-action"
    AZURE_MONITOR = "azure-monitor"
    CLOUD_MONITORING = "cloud-monitoring"


class AlarmState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    INSUFFICIENT_DATA = "insufficient-data"


@dataclass(frozen=True)
class AlarmTrigger:
    """A monitoring alarm changed state. It names clusters; it never decides for them."""

    source: AlarmSource
    event_id: str
    """Stable id of this notification, for de-duplication of redeliveries."""
    alarm_name: str
    state: AlarmState
    occurred_at: datetime
    cluster: str | None = None
    """``namespace/name`` from the alarm's ``weaviate.io/cluster`` dimension, label or tag."""
    metric: str | None = None
    observed: float | None = None
    threshold: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class ScheduleTrigger:
    """A periodic tick: reconcile every cluster."""

    event_id: str
    occurred_at: datetime
    past_due: bool = False


@dataclass(frozen=True)
class ClusterTrigger:
    """Reconcile one named cluster (fan-out queue message, post-admission enqueue), or, with
    ``due``, a follow-up: the pass a previous one asked for at that time."""

    cluster: str
    event_id: str
    reason: str = ""
    due: datetime | None = None


@dataclass(frozen=True)
class UpgradeRequest:
    """An authenticated CI/CD request to move a cluster to a version."""

    cluster: str
    version: str
    event_id: str


@dataclass(frozen=True)
class RestoreRequest:
    """A request (authenticated CI/CD, or the CLI) to restore a backup into a cluster."""

    cluster: str
    backup: str
    event_id: str
    backend: str | None = None
    """None: the backend the cluster backs up to."""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    node_mapping: tuple[tuple[str, str], ...] = ()
    """The backup's node names -> this cluster's, when they differ."""
    version: str | None = None
    """The Weaviate version the backup was taken on, when its id does not say."""


@dataclass(frozen=True)
class Outcome:
    """What handling a trigger did, per cluster, for the adapter to map to a platform answer."""

    ok: bool
    retry: bool = False
    message: str = ""
    clusters: dict[str, str] = field(default_factory=dict)
    """``namespace/name`` -> a one-line summary of what happened to it."""


Trigger = AlarmTrigger | ScheduleTrigger | ClusterTrigger | UpgradeRequest | RestoreRequest
