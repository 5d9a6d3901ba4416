"""Cloud Monitoring incident notifications (schema 1.2), via Pub/Sub or as plain JSON.

Alert policy user labels may hold only ``[a-z0-9_-]``, so besides ``weaviate.io/cluster`` =
``namespace/name`` a policy can say ``weaviate_io_cluster`` = ``namespace_name``: Kubernetes
names never contain ``_``, so the first underscore is the separator.
"""

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from weavefn.triggers.cloudwatch import find_cluster
from weavefn.triggers.fields import CLUSTER_KEY, join
from weavefn.triggers.model import AlarmSource, AlarmState, AlarmTrigger
from weavefn.triggers.payload import PayloadModel, validate
from weavefn.triggers.pubsub import read_pubsub

WHAT = "Cloud Monitoring incident"
LABEL_KEY = "weaviate_io_cluster"
"""The cluster label under Google's label-key rules (no dots or slashes)."""


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


_STATES = {IncidentState.OPEN: AlarmState.FIRING, IncidentState.CLOSED: AlarmState.RESOLVED}


class Labeled(PayloadModel):
    type: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class Incident(PayloadModel):
    incident_id: str = Field(min_length=1)
    policy_name: str = Field(min_length=1)
    condition_name: str | None = None
    state: IncidentState
    started_at: datetime
    ended_at: datetime | None = None
    metric: Labeled = Field(default_factory=Labeled)
    resource: Labeled = Field(default_factory=Labeled)
    policy_user_labels: dict[str, str] | None = None
    observed_value: str | None = None
    threshold_value: str | None = None
    summary: str = ""


class IncidentNotification(PayloadModel):
    version: str
    incident: Incident


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None  # values such as "1.2k" are for humans; the core re-reads the metric


def _labels(incident: Incident, path: str) -> Iterable[tuple[str, str, str]]:
    for where, labels in (
        ("metric.labels", incident.metric.labels),
        ("resource.labels", incident.resource.labels),
        ("policy_user_labels", incident.policy_user_labels or {}),
    ):
        for key, value in labels.items():
            if key == CLUSTER_KEY:
                yield key, value, join(join(path, where), key)
            elif key == LABEL_KEY:
                namespace, sep, name = value.partition("_")
                yield (
                    CLUSTER_KEY,
                    f"{namespace}/{name}" if sep else value,
                    join(join(path, where), key),
                )


def incident_alarm(notification: object, *, path: str = "") -> AlarmTrigger:
    """Convert the incident JSON itself (already decoded from any envelope)."""
    parsed = validate(IncidentNotification, notification, path=path, what=WHAT)
    incident = parsed.incident
    occurred_at = incident.started_at
    if incident.state is IncidentState.CLOSED and incident.ended_at is not None:
        occurred_at = incident.ended_at
    return AlarmTrigger(
        source=AlarmSource.CLOUD_MONITORING,
        event_id=f"{incident.incident_id}:{incident.state}",
        alarm_name=incident.policy_name,
        state=_STATES[incident.state],
        occurred_at=occurred_at,
        cluster=find_cluster(_labels(incident, join(path, "incident")), what=WHAT),
        metric=incident.metric.type,
        observed=_number(incident.observed_value),
        threshold=_number(incident.threshold_value),
        reason=incident.summary or (incident.condition_name or ""),
    )


def parse_incident(payload: object) -> AlarmTrigger:
    """An incident as a messagePublished CloudEvent, a Pub/Sub push body, or plain JSON."""
    if isinstance(payload, dict) and "incident" in payload:
        return incident_alarm(payload)
    message = read_pubsub(payload, what=WHAT)
    return incident_alarm(message.json(what=WHAT), path=message.data_path)
