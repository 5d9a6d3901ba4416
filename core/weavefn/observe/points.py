"""A fleet pass as metric points: the catalog's metrics with their values and dimensions (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from weavefn.model.keys import split_key
from weavefn.observe.catalog import CATALOG, Unit
from weavefn.observe.record import MetricObservation
from weavefn.reconcile.fleet import FleetReport
from weavefn.reconcile.reconciler import ClusterReport

Dimensions = tuple[tuple[str, str], ...]
_TARGET_UNITS = {"cpu": Unit.PERCENT, "memory": Unit.PERCENT, "qps": Unit.PER_SECOND}
_UNITS = {d.name: d.unit or Unit.NONE for d in CATALOG}


class Point(NamedTuple):
    """One value of one metric. A tuple: a fleet's pass makes some 20 a cluster, 200,000 for
    10,000 clusters, and a tuple is built in a fraction of a frozen dataclass's time."""

    name: str
    value: float
    unit: Unit
    dimensions: Dimensions = ()

    def dimension(self, name: str) -> str | None:
        return dict(self.dimensions).get(name)


def _point(name: str, value: float, dims: Dimensions, *, unit: Unit | None = None) -> Point:
    # a name outside the catalog is a bug (KeyError), caught by the tests
    return Point(name, float(value), unit or _UNITS[name], dims)


def _readings(reading: MetricObservation, base: Dimensions) -> Iterator[Point]:
    dims = (*base, ("metric", reading.metric), ("source", reading.source))
    if reading.value is None or reading.target is None:
        yield _point("metric_missing", 1, dims)
        return
    unit = _TARGET_UNITS.get(reading.metric, Unit.SECONDS)
    yield _point("metric_value", reading.value, dims, unit=unit)
    yield _point("metric_target", reading.target, dims, unit=unit)
    if reading.target:
        yield _point("metric_ratio", reading.value / reading.target, dims)


def cluster_points(key: str, report: ClusterReport) -> Iterator[Point]:
    namespace, name = split_key(key)
    base: Dimensions = (("namespace", namespace), ("cluster", name))
    seen = report.observation
    if seen is not None:
        if seen.desired is not None:
            yield _point("replicas_desired", seen.desired, base)
        if seen.current is not None:
            yield _point("replicas_current", seen.current, base)
        if seen.desired is not None and seen.current is not None:
            yield _point("decision_change", seen.desired - seen.current, base)
        yield _point("replicas_ready", seen.ready, base)
        for reading in seen.readings:
            yield from _readings(reading, base)
        if seen.action is not None:
            dims = (*base, ("action", seen.action), ("rule", seen.rule or ""))
            yield _point("decision", 1, dims)
        yield _point("scale_events", seen.scaled_up, (*base, ("direction", "up")))
        yield _point("scale_events", seen.scaled_down, (*base, ("direction", "down")))
        yield _point("operation_active", int(seen.operation is not None), base)
        if seen.operation is not None:
            op = seen.operation
            dims = (*base, ("kind", op.kind), ("phase", op.phase))
            yield _point("operation_phase_seconds", op.phase_seconds, dims)
        yield _point("warning_events", seen.warnings, base)
    yield _point("pass_duration_seconds", report.seconds, base)
    yield _point("api_calls", report.api_calls, base)
    yield _point("api_errors", report.api_errors, base)
    yield _point("api_writes", report.writes, base)
    yield _point("reconcile_errors", int(not report.ok), base)
    yield _point("followups_scheduled", int(report.follow_up_seconds is not None), base)


def fleet_points(report: FleetReport) -> list[Point]:
    """Every point of one pass: each cluster's, then the fleet's."""
    found: list[Point] = []
    for key, cluster in sorted(report.clusters.items()):
        found.extend(cluster_points(key, cluster))
    clusters = report.clusters.values()
    follow_ups = sum(1 for c in clusters if c.follow_up_seconds is not None)
    found += [
        _point("fleet_pass_duration_seconds", report.seconds, ()),
        _point("fleet_clusters", len(report.clusters), ()),
        _point("fleet_clusters_failed", sum(1 for c in clusters if not c.ok), ()),
        _point("fleet_clusters_skipped", len(report.skipped), ()),
        _point("fleet_api_calls", report.api_calls, ()),
        _point("fleet_api_errors", report.api_errors, ()),
        _point("fleet_followups_scheduled", follow_ups, ()),
    ]
    return found
