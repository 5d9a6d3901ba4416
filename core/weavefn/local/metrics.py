"""Simulated monitoring for the local cluster: every source reads a load model kept beside it.

The embedded default has no kubelet, Prometheus or cloud monitoring. Its pods report CPU and
memory at a configurable share of their requests (default 30% and 40%: an idle cluster), and
QPS and latency only when a load has been set (``weavefn load``); otherwise they are missing,
so a firing alarm's observed value drives the decision, as it would when a source is down.
A default Prometheus QPS query on a release before 1.29 is missing as it would be for real
(the release exports no request histograms).
"""

from __future__ import annotations

from typing import Any

from weavefn.autoscale.metrics.port import MetricName, MissingReason, Reading, Registry, Target
from weavefn.autoscale.metrics.prometheus import unsupported_reading
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.model.resource import WeaviateCluster

LOAD_KEY = "load"
DEFAULT_LOAD = {MetricName.CPU: 30.0, MetricName.MEMORY: 40.0}


class LoadModel:
    """Per-cluster simulated metric values, persisted in the local cluster's extras."""

    def __init__(self, extras: dict[str, Any]) -> None:
        self._loads: dict[str, dict[str, float]] = extras.setdefault(LOAD_KEY, {})

    def set(self, cluster: str, **values: float) -> None:
        current = self._loads.setdefault(cluster, {})
        for name, value in values.items():
            current[MetricName(name).value] = float(value)

    def value(self, cluster: str, metric: MetricName) -> float | None:
        found = self._loads.get(cluster, {}).get(metric.value)
        return found if found is not None else DEFAULT_LOAD.get(metric)


class LocalSource:
    """A MetricSource answering from the load model, whatever source kind the spec names."""

    def __init__(self, model: LoadModel) -> None:
        self.model = model

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        if target.source is MetricSourceKind.PROMETHEUS:
            unsupported = unsupported_reading(cluster, target)
            if unsupported is not None:
                return unsupported
        value = self.model.value(cluster.key, target.metric)
        if value is None:
            return Reading.absent(target, MissingReason.NO_DATA, "no simulated load set")
        return Reading.of(target, value)


def local_registry(extras: dict[str, Any]) -> Registry:
    source = LocalSource(LoadModel(extras))
    return dict.fromkeys(MetricSourceKind, source)
