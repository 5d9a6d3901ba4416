"""Between status.autoscaling (ISO-8601 strings) and the decision's typed history, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from weavefn.autoscale.behavior import (
    ScaleEvent,
    TimedReplicas,
    longest_period,
    scale_down_rules,
    scale_up_rules,
)
from weavefn.autoscale.decision import DecisionInput, ScaleDecision
from weavefn.autoscale.metrics.port import MetricSnapshot
from weavefn.model.autoscaling import AutoScalingSpec
from weavefn.model.resource import WeaviateCluster
from weavefn.model.status import AutoscalingStatus, Recommendation


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 UTC timestamp as Kubernetes writes it; None when unreadable."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recommendations_of(status: AutoscalingStatus) -> tuple[TimedReplicas, ...]:
    found = ((parse_time(r.time), r.replicas) for r in status.recommendations)
    return tuple(TimedReplicas(t, n) for t, n in found if t is not None)


def _with_changes(status: AutoscalingStatus) -> list[tuple[Recommendation, datetime | None]]:
    """Each scale event with its change filled in; an entry without one (older writer)
    counts from its predecessor."""
    found: list[tuple[Recommendation, datetime | None]] = []
    previous: int | None = None
    for record in status.scale_events:
        delta = record.change
        if delta is None:
            delta = record.replicas - previous if previous is not None else 0
        previous = record.replicas
        found.append((record.model_copy(update={"change": delta}), parse_time(record.time)))
    return found


def scale_events_of(status: AutoscalingStatus) -> tuple[ScaleEvent, ...]:
    return tuple(
        ScaleEvent(moment, record.change or 0)
        for record, moment in _with_changes(status)
        if moment is not None
    )


def decision_input(
    cluster: WeaviateCluster, *, current: int, snapshot: MetricSnapshot, now: datetime
) -> DecisionInput:
    """Everything ``evaluate`` needs, taken from the resource."""
    spec = cluster.spec.auto_scaling or AutoScalingSpec()
    status = cluster.status
    voters = len(status.voters) or cluster.spec.voters or 1
    return DecisionInput(
        spec=spec,
        current=current,
        voters=voters,
        snapshot=snapshot,
        now=now,
        recommendations=recommendations_of(status.autoscaling),
        scale_events=scale_events_of(status.autoscaling),
        consecutive_failures=status.autoscaling.consecutive_metric_failures,
    )


def recorded(status: AutoscalingStatus, decision: ScaleDecision) -> AutoscalingStatus:
    """The status after evaluating (nothing scaled yet): history, failures, last decision."""
    return status.model_copy(
        update={
            "recommendations": [
                Recommendation(time=format_time(r.time), replicas=r.replicas)
                for r in decision.recommendations
            ],
            "consecutive_metric_failures": decision.consecutive_failures,
            "last_decision": decision.message,
            "desired_replicas": decision.replicas,
        }
    )


def scaled(
    status: AutoscalingStatus, *, spec: AutoScalingSpec, replicas: int, change: int, now: datetime
) -> AutoscalingStatus:
    """The status after a scale really happened: the event the rate policies count."""
    keep = longest_period(scale_up_rules(spec.behavior), scale_down_rules(spec.behavior))
    cutoff = now - timedelta(seconds=keep)
    events = [r for r, moment in _with_changes(status) if moment is not None and moment > cutoff]
    events.append(Recommendation(time=format_time(now), replicas=replicas, change=change))
    return status.model_copy(update={"scale_events": events, "last_scale_time": format_time(now)})
