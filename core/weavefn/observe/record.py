"""What one cluster's pass shows an operator, taken from its context (pure, no I/O).

Replicas (what weavefn wants, what the StatefulSet asks for, what is ready), each autoscaling
target's value against its target and where the value came from, the decision and the rule
behind it, the operation in flight and how long it has been in its phase, and what the pass did
(scales, warnings). The fleet adds the pass's duration and API calls to the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weavefn.autoscale.history import parse_time
from weavefn.autoscale.spec_replicas import ReplicaSource, desired_replicas
from weavefn.events import EventReason, EventType
from weavefn.model.operations import Operation
from weavefn.reconcile.context import ClusterContext

ALARM_SOURCE = "alarm"
"""The source of a value a firing alarm carried in (no source could read it)."""


@dataclass(frozen=True)
class MetricObservation:
    """One autoscaling target: its value (in the target's units) against the target."""

    metric: str
    source: str
    value: float | None
    target: float | None
    missing: str | None = None
    """Why there is no value (NoData, SourceError, Misconfigured)."""


@dataclass(frozen=True)
class OperationObservation:
    kind: str
    phase: str
    phase_seconds: float
    age_seconds: float


@dataclass(frozen=True)
class ClusterObservation:
    """The figures of one cluster after one pass."""

    desired: int | None
    desired_source: str
    current: int | None
    ready: int
    phase: str
    readings: tuple[MetricObservation, ...] = ()
    action: str | None = None
    rule: str | None = None
    decision: str | None = None
    operation: OperationObservation | None = None
    scaled_up: int = 0
    scaled_down: int = 0
    warnings: int = 0


def _seconds_since(text: str | None, now: datetime) -> float:
    moment = parse_time(text) if text else None
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


def _operation(operation: Operation | None, now: datetime) -> OperationObservation | None:
    if operation is None:
        return None
    return OperationObservation(
        kind=str(operation.kind),
        phase=str(operation.phase),
        phase_seconds=_seconds_since(operation.phase_started_at, now),
        age_seconds=_seconds_since(operation.started_at, now),
    )


def _readings(ctx: ClusterContext) -> tuple[MetricObservation, ...]:
    decision, snapshot = ctx.decision, ctx.snapshot
    if snapshot is None:
        return ()
    proposals = {p.metric: p for p in decision.proposals} if decision is not None else {}
    found: list[MetricObservation] = []
    for reading in snapshot.readings:
        proposal = proposals.get(reading.metric)
        if proposal is not None:
            source = ALARM_SOURCE if proposal.hinted else str(reading.source)
            found.append(
                MetricObservation(str(reading.metric), source, proposal.observed, proposal.target)
            )
        else:
            missing = str(reading.missing) if reading.missing else None
            found.append(
                MetricObservation(str(reading.metric), str(reading.source), None, None, missing)
            )
    return tuple(found)


def observe_context(ctx: ClusterContext) -> ClusterObservation:
    """The observation of a pass that ran (call before its Events are sent)."""
    status = ctx.status
    wanted = desired_replicas(ctx.cluster.spec)
    decision = ctx.decision
    desired: int | None = wanted.spec
    if wanted.source is ReplicaSource.AUTOSCALING:
        desired = decision.replicas if decision else status.autoscaling.desired_replicas
    reasons = [e.reason for e in ctx.events]
    return ClusterObservation(
        desired=desired,
        desired_source=str(wanted.source),
        current=status.replicas if status.replicas or status.observed_generation else None,
        ready=status.ready_replicas,
        phase=str(status.phase),
        readings=_readings(ctx),
        action=str(decision.action) if decision else None,
        rule=str(decision.reason) if decision else None,
        decision=decision.message if decision else None,
        operation=_operation(status.operation, ctx.now),
        scaled_up=reasons.count(EventReason.SCALED_UP),
        scaled_down=reasons.count(EventReason.SCALED_DOWN),
        warnings=sum(1 for e in ctx.events if e.type is EventType.WARNING),
    )
