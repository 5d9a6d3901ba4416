"""Per-metric replica proposals, pure: observed value vs target -> ceil(current * ratio)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from weavefn.autoscale.metrics.port import MetricName, MetricSnapshot, Reading
from weavefn.model.autoscaling import AutoScalingSpec
from weavefn.model.units import parse_duration

# ratios such as 77/70 are not exact in binary floating point; without this slack a value
# exactly at the tolerance edge (or an exact multiple) would flip to the next replica count
EPSILON = 1e-9
ORDER = (MetricName.CPU, MetricName.MEMORY, MetricName.QPS, MetricName.LATENCY)


@dataclass(frozen=True)
class Proposal:
    """What one metric asks for: ``observed`` is in the target's units (qps per replica)."""

    metric: MetricName
    observed: float
    target: float
    ratio: float
    replicas: int
    within_tolerance: bool
    hinted: bool = False
    overruled_alarm: float | None = None
    """The alarm's own figure, in the same units, when the metric source's reading was used
    instead (a source is read now; the alarm saw the past): said in the decision's message."""


def targets(spec: AutoScalingSpec) -> dict[MetricName, float]:
    """The configured targets, in reading units (percent, qps per replica, seconds)."""
    found: dict[MetricName, float] = {}
    if spec.target_cpu is not None:
        found[MetricName.CPU] = float(spec.target_cpu)
    if spec.target_memory is not None:
        found[MetricName.MEMORY] = float(spec.target_memory)
    if spec.target_qps is not None:
        found[MetricName.QPS] = float(spec.target_qps)
    if spec.target_latency is not None:
        found[MetricName.LATENCY] = parse_duration(spec.target_latency)
    return found


def overruled_alarm(snapshot: MetricSnapshot, metric: MetricName, *, current: int) -> float | None:
    """The alarm's figure for ``metric`` in target units, when its source had a reading."""
    hint, reading = snapshot.hint, snapshot.get(metric)
    if hint is None or hint.metric != metric or not _usable(hint.value):
        return None
    if reading is None or reading.value is None or not _usable(reading.value):
        return None  # the alarm's value is the one used
    return hint.value / current if metric == MetricName.QPS and current else hint.value


def observed_values(
    snapshot: MetricSnapshot, wanted: dict[MetricName, float]
) -> tuple[dict[MetricName, tuple[float, bool]], tuple[MetricName, ...]]:
    """Each wanted metric's value (and whether an alarm's hint supplied it), and the missing."""
    values: dict[MetricName, tuple[float, bool]] = {}
    missing: list[MetricName] = []
    for metric in ORDER:
        if metric not in wanted:
            continue
        reading: Reading | None = snapshot.get(metric)
        hint = snapshot.hint
        if reading is not None and reading.value is not None and _usable(reading.value):
            values[metric] = (reading.value, False)
        elif hint is not None and hint.metric == metric and _usable(hint.value):
            values[metric] = (hint.value, True)
        else:
            missing.append(metric)
    return values, tuple(missing)


def _usable(value: float) -> bool:
    return math.isfinite(value) and value >= 0


def propose(
    metric: MetricName,
    *,
    value: float,
    target: float,
    current: int,
    up_tolerance: float,
    down_tolerance: float,
    hinted: bool = False,
    overruled: float | None = None,
) -> Proposal:
    observed = value / current if metric == MetricName.QPS else value
    ratio = observed / target
    if ratio >= 1:
        within = ratio - 1 <= up_tolerance + EPSILON
    else:
        within = 1 - ratio <= down_tolerance + EPSILON
    replicas = current if within else max(1, math.ceil(current * ratio - EPSILON))
    return Proposal(metric, observed, target, ratio, replicas, within, hinted, overruled)


def format_value(metric: MetricName, value: float) -> str:
    if metric in (MetricName.CPU, MetricName.MEMORY):
        return f"{value:.0f}%"
    if metric == MetricName.QPS:
        return f"{value:.1f} qps/replica"
    return f"{value * 1000:.0f}ms"
