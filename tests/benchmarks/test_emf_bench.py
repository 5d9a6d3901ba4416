"""The metrics of a 10,000-cluster pass as EMF: CPU time of this encoder against Powertools'.

.venv/bin/pytest tests/benchmarks/test_emf_bench.py -o addopts="" --benchmark-only -s

Both encode the same points (every cluster with two autoscaling readings: 20 points in 5
dimension sets). CPU time (time.process_time) rather than wall time, so a busy machine shows
the work done, not the wait for a core. Powertools' provider is built per dimension set, as an
emitter built on it must (one provider holds one dimension set).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from weavefn.observe.emf import EmfEmitter
from weavefn.observe.points import Point, fleet_points
from weavefn.observe.record import ClusterObservation, MetricObservation
from weavefn.reconcile.fleet import FleetReport
from weavefn.reconcile.reconciler import ClusterReport

CLUSTERS = 10_000
AT = datetime(2026, 11, 30, tzinfo=UTC)


def fleet_report() -> FleetReport:
    seen = ClusterObservation(
        desired=3,
        desired_source="autoscaling",
        current=3,
        ready=3,
        phase="Running",
        readings=(
            MetricObservation("cpu", "metricsServer", 30.0, 70.0),
            MetricObservation("memory", "metricsServer", 40.0, 80.0),
        ),
    )
    keys = [f"tenant-{i % 100}/weaviate-{i}" for i in range(CLUSTERS)]
    return FleetReport(
        clusters={k: ClusterReport(k, ok=True, phase="Running", observation=seen) for k in keys}
    )


def powertools_lines(points: list[Point], *, at: datetime = AT) -> list[str]:
    import json

    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    groups: dict[tuple[tuple[str, str], ...], list[Point]] = {}
    for point in points:
        groups.setdefault(point.dimensions, []).append(point)
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dimensions, group in groups.items():
            provider = AmazonCloudWatchEMFProvider(
                namespace="weavefn", service="", metric_set={}, dimension_set={}, metadata_set={}
            )
            for key, value in dimensions:
                provider.add_dimension(name=key, value=value)
            for p in group:
                provider.add_metric(name=p.name, unit=p.unit.value, value=p.value)
            provider.set_timestamp(at)
            found.append(json.dumps(provider.serialize_metric_set(), separators=(",", ":")))
    return found


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


@pytest.mark.benchmark(group="emf")
def test_emf_for_ten_thousand_clusters(benchmark) -> None:
    report = fleet_report()
    points = fleet_points(report)
    encoder = EmfEmitter()
    ours = [cpu_seconds(lambda: encoder.lines(points, at=AT)) for _ in range(3)]
    theirs = [cpu_seconds(lambda: powertools_lines(points)) for _ in range(3)]
    making = [cpu_seconds(lambda: fleet_points(report)) for _ in range(3)]
    benchmark.pedantic(lambda: encoder.lines(fleet_points(report), at=AT), rounds=3, iterations=1)
    benchmark.extra_info.update(
        encoder_cpu_s=round(min(ours), 2),
        powertools_cpu_s=round(min(theirs), 2),
        points_cpu_s=round(min(making), 2),
    )
    print(
        f"\n{CLUSTERS} clusters, {len(points)} points; CPU seconds, best of 3: "
        f"points {min(making):.2f}, this encoder {min(ours):.2f}, Powertools {min(theirs):.2f}"
    )
    assert encoder.lines(points[:40], at=AT)  # the figures are of a working encoder
