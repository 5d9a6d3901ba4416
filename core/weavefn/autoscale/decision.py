"""The autoscaling decision, pure: HPA v2 semantics over a metric snapshot and stored history.

``evaluate`` is the single entry point. It reads no clock and does no I/O: the caller passes
``now``, the readings and the history from ``status.autoscaling``, and stores the returned
recommendations back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from weavefn.autoscale.behavior import (
    Rules,
    ScaleEvent,
    TimedReplicas,
    prune_recommendations,
    remember,
    scale_down_limit,
    scale_down_rules,
    scale_up_limit,
    scale_up_rules,
    stabilize,
)
from weavefn.autoscale.metrics.port import MetricName, MetricSnapshot, MissingReason
from weavefn.autoscale.proposals import (
    Proposal,
    format_value,
    observed_values,
    overruled_alarm,
    propose,
    targets,
)
from weavefn.model.autoscaling import AutoScalingSpec


class Action(StrEnum):
    SCALE_UP = "ScaleUp"
    SCALE_DOWN = "ScaleDown"
    NO_CHANGE = "NoChange"
    HOLD = "Hold"
    """Not enough to decide on (disabled, no metrics): keep what runs."""


class Reason(StrEnum):
    WITHIN_TOLERANCE = "WithinTolerance"
    METRIC_ABOVE_TARGET = "MetricAboveTarget"
    METRIC_BELOW_TARGET = "MetricBelowTarget"
    PARTIAL_DATA = "PartialData"
    STABILIZING = "Stabilizing"
    RATE_LIMITED = "RateLimited"
    CLAMPED_MIN = "ClampedMin"
    CLAMPED_MAX = "ClampedMax"
    VOTER_FLOOR = "VoterFloor"
    FALLBACK = "Fallback"
    NO_METRICS = "NoMetrics"
    DISABLED = "Disabled"


@dataclass(frozen=True)
class DecisionInput:
    spec: AutoScalingSpec
    current: int
    voters: int
    snapshot: MetricSnapshot
    now: datetime
    recommendations: tuple[TimedReplicas, ...] = ()
    scale_events: tuple[ScaleEvent, ...] = ()
    consecutive_failures: int = 0
    """Evaluations in a row before this one in which no metric could be read."""


@dataclass(frozen=True)
class ScaleDecision:
    action: Action
    replicas: int
    current: int
    reason: Reason
    message: str
    recommendations: tuple[TimedReplicas, ...]
    """The history to store: pruned to the longest window, this evaluation's included."""
    consecutive_failures: int
    metric: MetricName | None = None
    observed: float | None = None
    target: float | None = None
    proposals: tuple[Proposal, ...] = ()
    missing: tuple[MetricName, ...] = ()

    @property
    def change(self) -> int:
        """Signed replica change; the executor records it as a scale event once done."""
        return self.replicas - self.current


@dataclass(frozen=True)
class _Bounds:
    floor: int
    ceiling: int
    voter_floor: bool

    def clamp(self, replicas: int) -> int:
        return min(max(replicas, self.floor), self.ceiling)

    def floor_reason(self) -> Reason:
        return Reason.VOTER_FLOOR if self.voter_floor else Reason.CLAMPED_MIN


def _bounds(spec: AutoScalingSpec, voters: int) -> _Bounds:
    floor = max(spec.min_replicas, voters)
    # never below the Raft voters, even when maxReplicas says otherwise: losing quorum is worse
    return _Bounds(floor, max(spec.max_replicas, floor), voters > spec.min_replicas)


def _action(replicas: int, current: int, *, hold: bool = False) -> Action:
    if replicas > current:
        return Action.SCALE_UP
    if replicas < current:
        return Action.SCALE_DOWN
    return Action.HOLD if hold else Action.NO_CHANGE


def evaluate(inputs: DecisionInput) -> ScaleDecision:
    """Decide the replica count for one cluster now."""
    spec, current, now = inputs.spec, inputs.current, inputs.now
    up, down = scale_up_rules(spec.behavior), scale_down_rules(spec.behavior)
    keep = max(up.window_seconds, down.window_seconds)
    history = prune_recommendations(inputs.recommendations, now=now, keep_seconds=keep)
    failures = inputs.consecutive_failures
    if not spec.enabled:
        return ScaleDecision(
            Action.HOLD,
            current,
            current,
            Reason.DISABLED,
            "autoscaling is disabled",
            history,
            failures,
        )
    bounds = _bounds(spec, inputs.voters)
    if current < bounds.floor or current > bounds.ceiling:
        # like the HPA, an out-of-range count is corrected before metrics are even read
        replicas = bounds.clamp(current)
        reason = bounds.floor_reason() if replicas > current else Reason.CLAMPED_MAX
        return ScaleDecision(
            _action(replicas, current),
            replicas,
            current,
            reason,
            f"{current} replicas outside [{bounds.floor}, {bounds.ceiling}] -> {replicas}",
            history,
            failures,
        )
    wanted = targets(spec)
    values, missing = observed_values(inputs.snapshot, wanted)
    if not values:
        return _no_metrics(inputs, bounds, missing, history)
    proposals = tuple(
        propose(
            metric,
            value=value,
            target=wanted[metric],
            current=current,
            up_tolerance=up.tolerance,
            down_tolerance=down.tolerance,
            hinted=hinted,
            overruled=overruled_alarm(inputs.snapshot, metric, current=current),
        )
        for metric, (value, hinted) in values.items()
    )
    driver = max(proposals, key=lambda p: (p.replicas, p.ratio))
    if missing and driver.replicas < current:
        # the HPA's rule: a lower count computed without every metric is not trusted
        return ScaleDecision(
            Action.NO_CHANGE,
            current,
            current,
            Reason.PARTIAL_DATA,
            f"{_describe(driver)} but {_why(inputs.snapshot, missing)} missing: not scaling down on partial data",
            history,
            0,
            driver.metric,
            driver.observed,
            driver.target,
            proposals,
            missing,
        )
    return _normalize(inputs, bounds, driver, proposals, missing, up=up, down=down, history=history)


def _normalize(
    inputs: DecisionInput,
    bounds: _Bounds,
    driver: Proposal,
    proposals: tuple[Proposal, ...],
    missing: tuple[MetricName, ...],
    *,
    up: Rules,
    down: Rules,
    history: tuple[TimedReplicas, ...],
) -> ScaleDecision:
    current, now = inputs.current, inputs.now
    desired = driver.replicas
    stabilized = stabilize(
        desired,
        current=current,
        history=history,
        now=now,
        up_window=up.window_seconds,
        down_window=down.window_seconds,
    )
    if all(p.within_tolerance for p in proposals):
        reason = Reason.WITHIN_TOLERANCE
    else:
        reason = Reason.METRIC_ABOVE_TARGET if driver.ratio > 1 else Reason.METRIC_BELOW_TARGET
    note = ""
    if stabilized != desired:
        reason, note = Reason.STABILIZING, f", stabilized at {stabilized}"
    final = stabilized
    if stabilized > current:
        limit = scale_up_limit(current, events=inputs.scale_events, rules=up, now=now)
        if stabilized > min(limit, bounds.ceiling):
            final = min(limit, bounds.ceiling)
            reason = Reason.RATE_LIMITED if limit < bounds.ceiling else Reason.CLAMPED_MAX
    elif stabilized < current:
        limit = scale_down_limit(current, events=inputs.scale_events, rules=down, now=now)
        if stabilized < max(limit, bounds.floor):
            final = max(limit, bounds.floor)
            reason = Reason.RATE_LIMITED if limit > bounds.floor else bounds.floor_reason()
    if final != stabilized:
        note += f", limited to {final} ({reason.value})"
    if missing:
        note += f"; {_why(inputs.snapshot, missing)} missing"
    recorded = remember(history, now=now, replicas=desired)
    return ScaleDecision(
        _action(final, current),
        final,
        current,
        reason,
        f"{_describe(driver)} -> {desired} replicas ({current} -> {final}){note}",
        recorded,
        0,
        driver.metric,
        driver.observed,
        driver.target,
        proposals,
        missing,
    )


def _no_metrics(
    inputs: DecisionInput,
    bounds: _Bounds,
    missing: tuple[MetricName, ...],
    history: tuple[TimedReplicas, ...],
) -> ScaleDecision:
    spec, current = inputs.spec, inputs.current
    failures = inputs.consecutive_failures + 1
    what = _why(inputs.snapshot, missing) or "no target configured"
    if failures >= spec.failure_threshold and spec.fallback_replicas is not None:
        replicas = bounds.clamp(spec.fallback_replicas)
        return ScaleDecision(
            _action(replicas, current),
            replicas,
            current,
            Reason.FALLBACK,
            f"{what} unreadable {failures} times in a row: fallback {current} -> {replicas}",
            history,
            failures,
            missing=missing,
        )
    return ScaleDecision(
        Action.HOLD,
        current,
        current,
        Reason.NO_METRICS,
        f"{what} unreadable ({failures}/{spec.failure_threshold}): holding {current}",
        history,
        failures,
        missing=missing,
    )


def _describe(p: Proposal) -> str:
    if p.hinted:
        where = " (from alarm)"
    elif p.overruled_alarm is not None:
        alarm = format_value(p.metric, p.overruled_alarm)
        where = f" (measured by its source, not the alarm's {alarm})"
    else:
        where = ""
    return (
        f"{p.metric.value} {format_value(p.metric, p.observed)}{where} "
        f"vs target {format_value(p.metric, p.target)}"
    )


def _why(snapshot: MetricSnapshot, metrics: tuple[MetricName, ...]) -> str:
    """The missing metrics' names; one the running release cannot provide says so."""
    parts = []
    for metric in metrics:
        reading = snapshot.get(metric)
        if reading is not None and reading.missing is MissingReason.UNSUPPORTED_VERSION:
            parts.append(f"{metric.value} ({reading.detail})")
        else:
            parts.append(metric.value)
    return ", ".join(parts)
