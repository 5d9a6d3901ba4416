"""The cloudMonitoring metric source: Google Cloud Monitoring time series (GKE, managed Prometheus).

A query reads ``<metric type>;filter=<more filter>;aligner=ALIGN_MEAN;reducer=REDUCE_MEAN;
scale=100;value=count_rate``. The series are aligned per minute and reduced to one; the latest
point is the reading, times ``scale``. ``value=count_rate`` reads a distribution's count per
second (QPS from a histogram). The project is spec.cloudProvider.gcp.project, else the one in
WEAVEFN_CLUSTER (``gke:PROJECT/LOCATION/NAME``). Defaults:

| target  | metric type                                                    | reduction            |
| ------- | -------------------------------------------------------------- | -------------------- |
| cpu     | kubernetes.io/container/cpu/request_utilization                | mean, x100 (percent) |
| memory  | kubernetes.io/container/memory/request_utilization             | mean, x100 (percent) |
| qps     | prometheus.googleapis.com/weaviate_http_request_duration_seconds/histogram | count/s |
| latency | prometheus.googleapis.com/queries_durations_ms/histogram       | percentile, /1000    |

The GKE metrics are filtered to the ``weaviate`` container of pods ``<name>-<ordinal>``; the
managed Prometheus ones to the cluster's namespace and instances. Cloud Monitoring offers the
5th, 50th, 95th and 99th percentiles; the nearest to latencyQuantile is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from weavefn.autoscale.metrics.port import (
    MetricName,
    MetricSourceError,
    MissingReason,
    Reading,
    Target,
    expand,
    split_query,
)
from weavefn.model.resource import WeaviateCluster

_POD = (
    'resource.type="k8s_container" AND resource.labels.namespace_name="{namespace}" AND '
    'resource.labels.pod_name=monitoring.regex.full_match("{cluster}-[0-9]+") AND '
    'resource.labels.container_name="weaviate"'
)
_TARGET = (
    'resource.type="prometheus_target" AND resource.labels.namespace="{namespace}" AND '
    'resource.labels.instance=monitoring.regex.full_match("{cluster}-[0-9]+:.*")'
)
DEFAULT_QUERIES = {
    MetricName.CPU: f"kubernetes.io/container/cpu/request_utilization;filter={_POD};scale=100",
    MetricName.MEMORY: (
        "kubernetes.io/container/memory/request_utilization;"
        f'filter={_POD} AND metric.labels.memory_type="non-evictable";scale=100'
    ),
    MetricName.QPS: (
        "prometheus.googleapis.com/weaviate_http_request_duration_seconds/histogram;"
        f"filter={_TARGET};aligner=ALIGN_DELTA;reducer=REDUCE_SUM;value=count_rate"
    ),
    MetricName.LATENCY: (
        "prometheus.googleapis.com/queries_durations_ms/histogram;"
        f"filter={_TARGET};aligner=ALIGN_DELTA;reducer={{percentile}};scale=0.001"
    ),
}
PERIOD_SECONDS = 60
LOOKBACK_SECONDS = 300
PERCENTILES = (5, 50, 95, 99)


@dataclass(frozen=True)
class SeriesQuery:
    project: str
    filter: str
    aligner: str
    reducer: str
    count_rate: bool


Fetch = Callable[[SeriesQuery], list[float]]
"""Runs a query; returns the reduced series' point values, latest first."""


def percentile_reducer(quantile: float) -> str:
    nearest = min(PERCENTILES, key=lambda p: abs(p - quantile * 100))
    return f"REDUCE_PERCENTILE_{nearest:02d}"


def gke_project(cluster_env: str | None) -> str | None:
    kind, _, rest = (cluster_env or "").partition(":")
    return rest.split("/")[0] or None if kind == "gke" else None


def build_query(
    cluster: WeaviateCluster, target: Target, *, project: str | None
) -> tuple[SeriesQuery, float]:
    field = f"spec.autoScaling.metrics.{target.metric.value}.query"
    template = (target.query or DEFAULT_QUERIES[target.metric]).replace(
        "{percentile}", percentile_reducer(target.quantile)
    )
    head, options = split_query(expand(template, cluster), field=field)
    provider = cluster.spec.cloud_provider
    project = (provider.gcp.project if provider and provider.gcp else None) or project
    if not project:
        raise MetricSourceError(
            "spec.cloudProvider.gcp.project is required (or WEAVEFN_CLUSTER=gke:PROJECT/...)",
            reason=MissingReason.MISCONFIGURED,
        )
    try:
        scale = float(options.get("scale", "1"))
    except ValueError:
        raise MetricSourceError(
            f"{field}: scale must be a number", reason=MissingReason.MISCONFIGURED
        ) from None
    extra = options.get("filter")
    query = SeriesQuery(
        project=project,
        filter=f'metric.type="{head}"' + (f" AND {extra}" if extra else ""),
        aligner=options.get("aligner", "ALIGN_MEAN"),
        reducer=options.get("reducer", "REDUCE_MEAN"),
        count_rate=options.get("value") == "count_rate",
    )
    return query, scale


def list_series(query: SeriesQuery) -> list[float]:
    """The real query, through google-cloud-monitoring's MetricServiceClient."""
    import time

    from google.api_core.exceptions import GoogleAPIError
    from google.cloud import monitoring_v3

    now = time.time()
    try:
        pages = monitoring_v3.MetricServiceClient().list_time_series(
            request={
                "name": f"projects/{query.project}",
                "filter": query.filter,
                "interval": monitoring_v3.TimeInterval(
                    {
                        "end_time": {"seconds": int(now)},
                        "start_time": {"seconds": int(now) - LOOKBACK_SECONDS},
                    }
                ),
                "aggregation": monitoring_v3.Aggregation(
                    {
                        "alignment_period": {"seconds": PERIOD_SECONDS},
                        "per_series_aligner": query.aligner,
                        "cross_series_reducer": query.reducer,
                    }
                ),
                "view": monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
            }
        )
        series = list(pages)
    except GoogleAPIError as exc:
        raise MetricSourceError(f"cloud monitoring query failed: {type(exc).__name__}") from None
    values: list[float] = []
    for one in series[:1]:
        for point in one.points:  # newest first, as the API returns them
            typed = point.value
            if query.count_rate:
                values.append(typed.distribution_value.count / PERIOD_SECONDS)
            elif "distribution_value" in typed:
                values.append(typed.distribution_value.mean)
            else:
                values.append(typed.double_value or float(typed.int64_value))
    return values


class CloudMonitoringSource:
    def __init__(self, *, fetch: Fetch = list_series, project: str | None = None) -> None:
        self._fetch = fetch
        self._project = project or gke_project(os.environ.get("WEAVEFN_CLUSTER"))

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        query, scale = build_query(cluster, target, project=self._project)
        values = self._fetch(query)
        if not values:
            return Reading.absent(target, MissingReason.NO_DATA, "no time series matched")
        return Reading.of(target, values[0] * scale)
