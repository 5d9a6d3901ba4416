"""The MetricSource port and the values that cross it: targets, readings and snapshots.

Units are fixed so the decision never converts: cpu and memory are utilization in percent of
the pods' requests (averaged over pods), qps is the whole cluster's queries per second and
latency is the observed quantile in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from weavefn.errors import UnavailableError
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.model.resource import WeaviateCluster


class MetricName(StrEnum):
    CPU = "cpu"
    MEMORY = "memory"
    QPS = "qps"
    LATENCY = "latency"


class MissingReason(StrEnum):
    NO_DATA = "NoData"
    """The source answered but holds no sample for the cluster (yet)."""
    SOURCE_ERROR = "SourceError"
    """The source failed or could not be reached."""
    MISCONFIGURED = "Misconfigured"
    """The target cannot be read as configured (no URL, a malformed query)."""
    UNSUPPORTED_VERSION = "UnsupportedVersion"
    """The Weaviate release the cluster runs does not export what the query reads."""


@dataclass(frozen=True)
class Target:
    """One configured metric: which source reads it, and how."""

    metric: MetricName
    source: MetricSourceKind
    query: str | None = None
    url: str | None = None
    quantile: float = 0.95


@dataclass(frozen=True)
class Reading:
    """The observed value of one target, or why there is none."""

    metric: MetricName
    source: MetricSourceKind
    value: float | None
    missing: MissingReason | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None

    @classmethod
    def of(cls, target: Target, value: float) -> Reading:
        return cls(target.metric, target.source, value)

    @classmethod
    def absent(cls, target: Target, reason: MissingReason, detail: str = "") -> Reading:
        return cls(target.metric, target.source, None, reason, detail)


@dataclass(frozen=True)
class Hint:
    """An observed value carried by a firing alarm, in the units of its metric."""

    metric: MetricName
    value: float
    per_replica: bool = False
    """The alarm watched a per-node figure (e.g. QPS per node); the cluster's is value x replicas."""

    def for_cluster(self, replicas: int) -> Hint:
        """The hint in the decision's units (QPS is the whole cluster's)."""
        if not self.per_replica or self.metric is not MetricName.QPS:
            return Hint(self.metric, self.value)
        return Hint(self.metric, self.value * replicas)


@dataclass(frozen=True)
class MetricSnapshot:
    """Every configured target's reading for one cluster at one moment."""

    readings: tuple[Reading, ...] = ()
    hint: Hint | None = None

    def get(self, metric: MetricName) -> Reading | None:
        return next((r for r in self.readings if r.metric == metric), None)

    @classmethod
    def of(cls, readings: Iterable[Reading], hint: Hint | None = None) -> MetricSnapshot:
        return cls(tuple(readings), hint)


class MetricSourceError(UnavailableError):
    """A source could not produce a reading; the message never carries credentials."""

    def __init__(self, message: str, *, reason: MissingReason = MissingReason.SOURCE_ERROR):
        super().__init__(message)
        self.reason = reason


class MetricSource(Protocol):
    """Reads one target of one cluster. Raises MetricSourceError when it cannot."""

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading: ...


Registry = Mapping[MetricSourceKind, MetricSource]
"""The source of each kind a spec may name (``build_registry``, or a simulated one)."""


def expand(template: str, cluster: WeaviateCluster) -> str:
    """Fill ``{namespace}``, ``{cluster}`` and ``{key}`` without str.format, so PromQL's braces
    and CloudWatch's dimension syntax pass through untouched."""
    return (
        template.replace("{namespace}", cluster.metadata.namespace)
        .replace("{cluster}", cluster.metadata.name)
        .replace("{key}", cluster.key)
    )


_ALARM_WORDS: tuple[tuple[MetricName, tuple[str, ...]], ...] = (
    (MetricName.CPU, ("cpu",)),
    (MetricName.MEMORY, ("memory", "mem_", "memory_")),
    (MetricName.LATENCY, ("latency", "duration")),
    (MetricName.QPS, ("qps", "request", "queries")),
)


def metric_for_alarm(metric_name: str) -> MetricName | None:
    """Guess which target an alarm's metric name measures (``pod_cpu_utilization`` -> cpu)."""
    lowered = metric_name.lower()
    for metric, words in _ALARM_WORDS:
        if any(word in lowered for word in words):
            return metric
    return None


def split_query(text: str, *, field: str) -> tuple[str, dict[str, str]]:
    """``head;key=value;key=value`` -> (head, {key: value}); bad parts name the field."""
    from weavefn.errors import FieldError, InvalidInputError

    head, *parts = [p.strip() for p in text.split(";")]
    options: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise InvalidInputError(
                [FieldError(field, f"{part!r} is not key=value (parts are separated by ';')")]
            )
        options[key.strip()] = value.strip()
    return head, options
