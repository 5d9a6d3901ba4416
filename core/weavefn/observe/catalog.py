"""The documented metrics: name, unit, dimensions and meaning (README's table is this one).

Every cluster metric carries ``namespace`` and ``cluster``; a few add one or two dimensions of
their own. Fleet metrics describe the whole pass and carry none. Names are the same on every
platform: CloudWatch namespace ``weavefn``, Cloud Monitoring ``custom.googleapis.com/weavefn/``,
Application Insights ``weavefn/`` custom metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CLUSTER_DIMENSIONS = ("namespace", "cluster")


class Unit(StrEnum):
    """CloudWatch's unit names; the other platforms map them (``s``, ``%``, ``1``)."""

    COUNT = "Count"
    SECONDS = "Seconds"
    PERCENT = "Percent"
    PER_SECOND = "Count/Second"
    NONE = "None"


class Scope(StrEnum):
    CLUSTER = "cluster"
    FLEET = "fleet"


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: Unit | None
    """None: the unit of the autoscaling target (percent, queries per second, seconds)."""
    scope: Scope
    extra: tuple[str, ...]
    """Dimensions beyond namespace and cluster."""
    meaning: str

    @property
    def dimensions(self) -> tuple[str, ...]:
        return (*CLUSTER_DIMENSIONS, *self.extra) if self.scope is Scope.CLUSTER else ()


def _c(name: str, unit: Unit | None, meaning: str, *extra: str) -> MetricDef:
    return MetricDef(name, unit, Scope.CLUSTER, extra, meaning)


def _f(name: str, unit: Unit, meaning: str) -> MetricDef:
    return MetricDef(name, unit, Scope.FLEET, (), meaning)


CATALOG: tuple[MetricDef, ...] = (
    _c(
        "replicas_desired",
        Unit.COUNT,
        "the count weavefn wants: the autoscaling decision, else spec.replicas",
    ),
    _c("replicas_current", Unit.COUNT, "the StatefulSet's spec.replicas"),
    _c("replicas_ready", Unit.COUNT, "Weaviate pods Ready"),
    _c(
        "metric_value",
        None,
        "an autoscaling target's observed value (cpu and memory in %, qps per replica, latency in s)",
        "metric",
        "source",
    ),
    _c("metric_target", None, "that target's value, in the same units", "metric", "source"),
    _c("metric_ratio", Unit.NONE, "value / target (1 is on target)", "metric", "source"),
    _c(
        "metric_missing",
        Unit.COUNT,
        "1 when a target could not be read this pass",
        "metric",
        "source",
    ),
    _c(
        "decision",
        Unit.COUNT,
        "1 per autoscaling decision, by action and the rule that set it",
        "action",
        "rule",
    ),
    _c("decision_change", Unit.COUNT, "replicas_desired - replicas_current (signed)"),
    _c("scale_events", Unit.COUNT, "scales carried out this pass", "direction"),
    _c(
        "operation_active",
        Unit.COUNT,
        "1 while an operation (upgrade, drain, volume expansion, rebalance, restore) is in flight",
    ),
    _c(
        "operation_phase_seconds",
        Unit.SECONDS,
        "time the operation has spent in its current phase",
        "kind",
        "phase",
    ),
    _c(
        "pass_duration_seconds",
        Unit.SECONDS,
        "time this pass spent on the cluster, retries included",
    ),
    _c(
        "api_calls", Unit.COUNT, "Kubernetes API calls made for the cluster (each list page counts)"
    ),
    _c("api_errors", Unit.COUNT, "of those, the ones that failed"),
    _c("api_writes", Unit.COUNT, "writes (applies, scales, status, Events); 0 in a steady state"),
    _c("reconcile_errors", Unit.COUNT, "1 when the pass failed for the cluster"),
    _c(
        "warning_events",
        Unit.COUNT,
        "Warning Events recorded this pass (refusals, drift repaired, failures)",
    ),
    _c("followups_scheduled", Unit.COUNT, "1 when the pass asked to look again soon (a follow-up)"),
    _f("fleet_pass_duration_seconds", Unit.SECONDS, "the whole pass"),
    _f("fleet_clusters", Unit.COUNT, "clusters reconciled"),
    _f("fleet_clusters_failed", Unit.COUNT, "clusters whose pass failed"),
    _f("fleet_clusters_skipped", Unit.COUNT, "clusters left for the next trigger at the deadline"),
    _f("fleet_api_calls", Unit.COUNT, "API calls of the pass, list calls included"),
    _f("fleet_api_errors", Unit.COUNT, "of those, the ones that failed"),
    _f("fleet_followups_scheduled", Unit.COUNT, "follow-ups the pass scheduled"),
)
BY_NAME = {m.name: m for m in CATALOG}
