"""How long one autoscaling evaluation takes: 4 metrics, 100 history entries (target < 1 ms)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest_benchmark.fixture import BenchmarkFixture
from weavefn.autoscale.behavior import ScaleEvent, TimedReplicas
from weavefn.autoscale.decision import Action, DecisionInput, evaluate
from weavefn.autoscale.metrics.port import MetricName, MetricSnapshot, Reading
from weavefn.model.autoscaling import AutoScalingSpec, MetricSourceKind

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_evaluate_four_metrics_hundred_history_entries(benchmark: BenchmarkFixture) -> None:
    spec = AutoScalingSpec.model_validate(
        {
            "enabled": True,
            "minReplicas": 3,
            "maxReplicas": 100,
            "targetCPU": 70,
            "targetMemory": 80,
            "targetQPS": 100,
            "targetLatency": "200ms",
            "behavior": {"scaleUp": {"stabilizationWindowSeconds": 60}},
        }
    )
    readings = (
        Reading(MetricName.CPU, MetricSourceKind.KUBERNETES, 91.0),
        Reading(MetricName.MEMORY, MetricSourceKind.KUBERNETES, 60.0),
        Reading(MetricName.QPS, MetricSourceKind.PROMETHEUS, 1400.0),
        Reading(MetricName.LATENCY, MetricSourceKind.PROMETHEUS, 0.25),
    )
    inputs = DecisionInput(
        spec=spec,
        current=10,
        voters=3,
        snapshot=MetricSnapshot(readings),
        now=NOW,
        recommendations=tuple(
            TimedReplicas(NOW - timedelta(seconds=3 * i), 12 + i % 5) for i in range(100)
        ),
        scale_events=tuple(ScaleEvent(NOW - timedelta(seconds=7 * i), 1) for i in range(10)),
    )
    decision = benchmark(evaluate, inputs)
    assert (decision.action, decision.replicas) == (Action.SCALE_UP, 12)
    assert benchmark.stats is not None and benchmark.stats.stats.median < 0.001
