"""The autoscaling decision against the HPA v2 rules, one table row per behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from weavefn.autoscale.behavior import ScaleEvent, TimedReplicas
from weavefn.autoscale.decision import Action, DecisionInput, Reason, ScaleDecision, evaluate
from weavefn.autoscale.metrics.port import Hint, MetricName, MetricSnapshot, MissingReason, Reading
from weavefn.model.autoscaling import AutoScalingSpec, MetricSourceKind

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
CPU, MEM, QPS, LAT = MetricName.CPU, MetricName.MEMORY, MetricName.QPS, MetricName.LATENCY


@dataclass(frozen=True)
class Case:
    current: int
    readings: dict[MetricName, float | None]
    expect: tuple[Action, int, Reason]
    spec: dict[str, Any] = field(default_factory=dict)
    voters: int = 1
    history: tuple[tuple[int, int], ...] = ()
    """(seconds ago, recommended replicas)"""
    events: tuple[tuple[int, int], ...] = ()
    """(seconds ago, signed change)"""
    failures: int = 0
    hint: Hint | None = None


def spec_of(**overrides: Any) -> AutoScalingSpec:
    raw: dict[str, Any] = {"enabled": True, "minReplicas": 1, "maxReplicas": 50, "targetCPU": 70}
    raw.update(overrides)
    return AutoScalingSpec.model_validate({k: v for k, v in raw.items() if v is not None})


def run(case: Case) -> ScaleDecision:
    readings = [
        Reading(m, MetricSourceKind.KUBERNETES, v, None if v is not None else MissingReason.NO_DATA)
        for m, v in case.readings.items()
    ]
    return evaluate(
        DecisionInput(
            spec=spec_of(**case.spec),
            current=case.current,
            voters=case.voters,
            snapshot=MetricSnapshot.of(readings, case.hint),
            now=NOW,
            recommendations=tuple(
                TimedReplicas(NOW - timedelta(seconds=ago), n) for ago, n in case.history
            ),
            scale_events=tuple(
                ScaleEvent(NOW - timedelta(seconds=ago), c) for ago, c in case.events
            ),
            consecutive_failures=case.failures,
        )
    )


UP, DOWN, SAME, HOLD = Action.SCALE_UP, Action.SCALE_DOWN, Action.NO_CHANGE, Action.HOLD
R = Reason
NO_DOWN_WINDOW = {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}}
ALL4 = {"targetMemory": 80, "targetQPS": 100, "targetLatency": "200ms"}


def down(**rules: Any) -> dict[str, Any]:
    return {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 0, **rules}}}


def pods(value: int, period: int = 60) -> dict[str, Any]:
    return {"type": "Pods", "value": value, "periodSeconds": period}


def percent(value: int, period: int = 60) -> dict[str, Any]:
    return {"type": "Percent", "value": value, "periodSeconds": period}


CASES = {
    # tolerance edges: 77/70 is exactly 1.1, inside the default 0.1
    "tolerance-up-exactly-1.1": Case(3, {CPU: 77}, (SAME, 3, R.WITHIN_TOLERANCE)),
    "tolerance-up-just-above": Case(3, {CPU: 77.1}, (UP, 4, R.METRIC_ABOVE_TARGET)),
    "tolerance-down-exactly-0.9": Case(3, {CPU: 63}, (SAME, 3, R.WITHIN_TOLERANCE)),
    "tolerance-down-just-below": Case(
        10, {CPU: 62.9}, (DOWN, 9, R.METRIC_BELOW_TARGET), NO_DOWN_WINDOW
    ),
    "tolerance-per-direction-down-wider": Case(
        3, {CPU: 50}, (SAME, 3, R.WITHIN_TOLERANCE), down(tolerance=0.3)
    ),
    "tolerance-per-direction-up-narrower": Case(
        3, {CPU: 77}, (UP, 4, R.METRIC_ABOVE_TARGET), {"behavior": {"scaleUp": {"tolerance": 0.05}}}
    ),
    # each metric driving
    "cpu-drives": Case(3, {CPU: 91}, (UP, 4, R.METRIC_ABOVE_TARGET)),
    "memory-drives": Case(
        2, {MEM: 160}, (UP, 4, R.METRIC_ABOVE_TARGET), {"targetCPU": None, "targetMemory": 80}
    ),
    "qps-per-replica-drives": Case(
        3, {QPS: 450}, (UP, 5, R.METRIC_ABOVE_TARGET), {"targetCPU": None, "targetQPS": 100}
    ),
    "latency-drives": Case(
        2, {LAT: 0.5}, (UP, 5, R.METRIC_ABOVE_TARGET), {"targetCPU": None, "targetLatency": "200ms"}
    ),
    "largest-wins-cpu-over-qps": Case(
        3, {CPU: 140, MEM: 40, QPS: 300, LAT: 0.1}, (UP, 6, R.METRIC_ABOVE_TARGET), ALL4
    ),
    "largest-wins-latency-over-cpu": Case(
        4, {CPU: 90, MEM: 80, QPS: 400, LAT: 0.35}, (UP, 7, R.METRIC_ABOVE_TARGET), ALL4
    ),
    "all-low-scales-down-to-highest-need": Case(
        10,
        {CPU: 14, MEM: 8, QPS: 300, LAT: 0.02},
        (DOWN, 3, R.METRIC_BELOW_TARGET),
        {**ALL4, **NO_DOWN_WINDOW},
    ),
    # missing metrics
    "partial-data-never-scales-down": Case(
        4,
        {CPU: 35, LAT: None},
        (SAME, 4, R.PARTIAL_DATA),
        {"targetLatency": "200ms", **NO_DOWN_WINDOW},
    ),
    "partial-data-scales-up-on-known": Case(
        2, {CPU: 140, LAT: None}, (UP, 4, R.METRIC_ABOVE_TARGET), {"targetLatency": "200ms"}
    ),
    "partial-data-reading-not-returned-counts-missing": Case(
        4, {CPU: 35}, (SAME, 4, R.PARTIAL_DATA), {"targetQPS": 100, **NO_DOWN_WINDOW}
    ),
    # stabilization
    "down-window-holds-higher-recommendation": Case(
        4, {CPU: 35}, (SAME, 4, R.STABILIZING), history=((200, 4),)
    ),
    # a recommendation stands until the next one: 4 stopped standing 350 s ago
    "down-window-expired": Case(
        4, {CPU: 35}, (DOWN, 2, R.METRIC_BELOW_TARGET), history=((400, 4), (350, 2))
    ),
    "down-window-last-entry-still-stands": Case(
        4, {CPU: 35}, (SAME, 4, R.STABILIZING), history=((301, 4),)
    ),
    "down-window-takes-highest": Case(
        5, {CPU: 35}, (DOWN, 4, R.STABILIZING), history=((250, 4), (100, 3), (10, 2))
    ),
    "up-window-holds": Case(
        3,
        {CPU: 140},
        (SAME, 3, R.STABILIZING),
        {"behavior": {"scaleUp": {"stabilizationWindowSeconds": 60}}},
        history=((30, 3),),
    ),
    "up-window-takes-lowest": Case(
        3,
        {CPU: 140},
        (UP, 5, R.STABILIZING),
        {"behavior": {"scaleUp": {"stabilizationWindowSeconds": 60}}},
        history=((90, 3), (65, 5), (10, 7)),
    ),
    # rate policies, HPA defaults: up max(+4, +100%) per 15 s
    "up-default-pods-wins-small": Case(2, {CPU: 700}, (UP, 6, R.RATE_LIMITED)),
    "up-default-percent-wins-large": Case(10, {CPU: 280}, (UP, 20, R.RATE_LIMITED)),
    "up-select-min": Case(
        10, {CPU: 280}, (UP, 14, R.RATE_LIMITED), {"behavior": {"scaleUp": {"selectPolicy": "Min"}}}
    ),
    "up-period-counts-recent-scale": Case(
        6, {CPU: 700}, (SAME, 6, R.RATE_LIMITED), events=((10, 4),)
    ),
    "up-period-forgets-old-scale": Case(6, {CPU: 700}, (UP, 12, R.RATE_LIMITED), events=((15, 4),)),
    "up-disabled": Case(
        3,
        {CPU: 140},
        (SAME, 3, R.RATE_LIMITED),
        {"behavior": {"scaleUp": {"selectPolicy": "Disabled"}}},
    ),
    "down-percent-policy": Case(
        10, {CPU: 14}, (DOWN, 5, R.RATE_LIMITED), down(policies=[percent(50)])
    ),
    "down-pods-policy": Case(10, {CPU: 14}, (DOWN, 9, R.RATE_LIMITED), down(policies=[pods(1)])),
    "down-select-max-biggest-change": Case(
        10, {CPU: 14}, (DOWN, 5, R.RATE_LIMITED), down(policies=[pods(1), percent(50)])
    ),
    "down-select-min-smallest-change": Case(
        10,
        {CPU: 14},
        (DOWN, 9, R.RATE_LIMITED),
        down(policies=[pods(1), percent(50)], selectPolicy="Min"),
    ),
    "down-period-counts-recent-scale": Case(
        8, {CPU: 14}, (SAME, 8, R.RATE_LIMITED), down(policies=[pods(2)]), events=((30, -2),)
    ),
    "down-period-mixed-events": Case(
        8,
        {CPU: 14},
        (DOWN, 7, R.RATE_LIMITED),
        down(policies=[pods(2)]),
        events=((50, 1), (30, -2), (61, -5)),
    ),
    "down-disabled": Case(10, {CPU: 14}, (SAME, 10, R.RATE_LIMITED), down(selectPolicy="Disabled")),
    # clamps and the voter floor
    "clamp-max": Case(8, {CPU: 140}, (UP, 10, R.CLAMPED_MAX), {"maxReplicas": 10}),
    "clamp-min": Case(3, {CPU: 10}, (DOWN, 2, R.CLAMPED_MIN), {"minReplicas": 2, **NO_DOWN_WINDOW}),
    "voter-floor": Case(5, {CPU: 10}, (DOWN, 3, R.VOTER_FLOOR), NO_DOWN_WINDOW, voters=3),
    "below-voter-floor-corrected-first": Case(1, {CPU: 10}, (UP, 3, R.VOTER_FLOOR), voters=3),
    "above-max-corrected-first": Case(
        12, {CPU: None}, (DOWN, 10, R.CLAMPED_MAX), {"maxReplicas": 10}
    ),
    # failures
    "no-metrics-holds-below-threshold": Case(
        3, {CPU: None}, (HOLD, 3, R.NO_METRICS), {"fallbackReplicas": 6}, failures=1
    ),
    "fallback-at-threshold": Case(
        3, {CPU: None}, (UP, 6, R.FALLBACK), {"fallbackReplicas": 6}, failures=2
    ),
    "fallback-clamped-to-voters": Case(
        4, {CPU: None}, (DOWN, 3, R.FALLBACK), {"fallbackReplicas": 1}, voters=3, failures=5
    ),
    "hold-at-threshold-without-fallback": Case(3, {CPU: None}, (HOLD, 3, R.NO_METRICS), failures=9),
    # an alarm's observed value
    "hint-fills-missing-metric": Case(
        3,
        {QPS: None},
        (UP, 6, R.METRIC_ABOVE_TARGET),
        {"targetCPU": None, "targetQPS": 100},
        hint=Hint(QPS, 600),
    ),
    "hint-ignored-when-source-read": Case(
        3,
        {QPS: 300},
        (SAME, 3, R.WITHIN_TOLERANCE),
        {"targetCPU": None, "targetQPS": 100},
        hint=Hint(QPS, 900),
    ),
    "hint-completes-data-for-scale-down": Case(
        4,
        {CPU: 35, QPS: None},
        (DOWN, 2, R.METRIC_BELOW_TARGET),
        {"targetQPS": 100, **NO_DOWN_WINDOW},
        hint=Hint(QPS, 100),
    ),
    "disabled": Case(3, {CPU: 200}, (HOLD, 3, R.DISABLED), {"enabled": False}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_decision_table(case: Case) -> None:
    decision = run(case)
    assert (decision.action, decision.replicas, decision.reason) == case.expect, decision.message


def test_message_names_metric_values_and_counts() -> None:
    decision = run(Case(3, {CPU: 91}, (UP, 4, R.METRIC_ABOVE_TARGET)))
    assert decision.message == "cpu 91% vs target 70% -> 4 replicas (3 -> 4)"
    assert (decision.metric, decision.observed, decision.target) == (CPU, 91, 70)


@pytest.mark.parametrize(
    ("case", "text"),
    [
        pytest.param(
            Case(3, {CPU: 70}, (SAME, 3, R.WITHIN_TOLERANCE), hint=Hint(CPU, 95)),
            "cpu 70% (measured by its source, not the alarm's 95%) vs target 70%",
            id="cpu",
        ),
        pytest.param(
            Case(3, {QPS: 300}, (SAME, 3, R.WITHIN_TOLERANCE), {"targetCPU": None,
                 "targetQPS": 100}, hint=Hint(QPS, 900)),
            "qps 100.0 qps/replica (measured by its source, not the alarm's 300.0 qps/replica)",
            id="qps-per-replica",
        ),
        pytest.param(
            Case(3, {CPU: None}, (UP, 4, R.METRIC_ABOVE_TARGET), hint=Hint(CPU, 95)),
            "cpu 95% (from alarm) vs target 70%",
            id="the-alarm-used",
        ),
    ],
)  # fmt: skip
def test_an_alarm_the_source_overrules_is_named_in_the_message(case: Case, text: str) -> None:
    assert run(case).message.startswith(text)


def test_history_is_pruned_to_longest_window_and_records_unstabilized_desire() -> None:
    history = ((500, 9), (400, 6), (200, 4))
    decision = run(Case(4, {CPU: 35}, (SAME, 4, R.STABILIZING), history=history))
    assert decision.recommendations == (
        TimedReplicas(NOW - timedelta(seconds=400), 6),
        TimedReplicas(NOW - timedelta(seconds=200), 4),
        TimedReplicas(NOW, 2),
    )


def test_a_repeated_recommendation_is_not_stored_again() -> None:
    decision = run(Case(4, {CPU: 35}, (SAME, 4, R.STABILIZING), history=((100, 2),)))
    assert decision.recommendations == (TimedReplicas(NOW - timedelta(seconds=100), 2),)


def test_failures_count_up_then_reset_when_a_metric_is_read() -> None:
    failing = run(Case(3, {CPU: None}, (HOLD, 3, R.NO_METRICS), failures=1))
    assert failing.consecutive_failures == 2
    recovered = run(Case(3, {CPU: 70}, (SAME, 3, R.WITHIN_TOLERANCE), failures=2))
    assert recovered.consecutive_failures == 0


def test_partial_data_is_named_in_the_message() -> None:
    decision = run(
        Case(4, {CPU: 35, LAT: None}, (SAME, 4, R.PARTIAL_DATA), {"targetLatency": "1s"})
    )
    assert "latency missing" in decision.message
    assert decision.missing == (LAT,)


def test_a_metric_the_release_lacks_is_named_with_why() -> None:
    unsupported = Reading(
        QPS,
        MetricSourceKind.PROMETHEUS,
        None,
        MissingReason.UNSUPPORTED_VERSION,
        "Weaviate 1.28.3 exports no request histograms (they arrive in 1.29)",
    )
    decision = evaluate(
        DecisionInput(
            spec=spec_of(targetCPU=None, targetQPS=100),
            current=3,
            voters=1,
            snapshot=MetricSnapshot.of([unsupported]),
            now=NOW,
            recommendations=(),
            scale_events=(),
            consecutive_failures=0,
        )
    )
    assert decision.reason is R.NO_METRICS
    assert "qps (Weaviate 1.28.3 exports no request histograms" in decision.message
