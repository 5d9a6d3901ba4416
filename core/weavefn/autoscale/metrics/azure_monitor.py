"""The azureMonitor metric source: Azure Monitor metrics of one resource (the AKS cluster).

A query reads ``Namespace/metric;resource=<resource id>;aggregation=Average;filter=...;unit=ms``
(the metric name is after the last ``/``). The resource defaults to the AKS cluster named by
WEAVEFN_CLUSTER (``aks:SUBSCRIPTION/RESOURCE_GROUP/NAME``); the regional endpoint comes from
spec.cloudProvider.region. Defaults:

| target  | default                                                                       |
| ------- | ----------------------------------------------------------------------------- |
| qps     | Weaviate/qps, Average, filter ``cluster eq '<namespace>/<name>'`` (total QPS)  |
| latency | Weaviate/query_latency_ms, Maximum, same filter; the exporter publishes the    |
|         | configured quantile in milliseconds                                           |
| cpu     | none: AKS platform metrics are per node, not per pod request; use the          |
| memory  | kubernetes source, or give a query                                            |

Container Insights with managed Prometheus keeps Weaviate's own histograms in an Azure
Monitor workspace, which answers PromQL: point the prometheus source at it instead.
Credentials: DefaultAzureCredential (workload identity in AKS, managed identity in Functions).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

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

_FILTER = ";filter=cluster eq '{key}'"
DEFAULT_QUERIES = {
    MetricName.QPS: "Weaviate/qps;aggregation=Average" + _FILTER,
    MetricName.LATENCY: "Weaviate/query_latency_ms;aggregation=Maximum;unit=ms" + _FILTER,
}
LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class MetricsQuery:
    endpoint: str
    resource_id: str
    namespace: str
    metric: str
    aggregation: str
    filter: str | None


Fetch = Callable[[MetricsQuery], list[float]]
"""Runs a query; returns the aggregated values, latest last."""


def aks_resource_id(cluster_env: str | None) -> str | None:
    """``aks:SUB/RG/NAME`` (WEAVEFN_CLUSTER) -> the managed cluster's resource id."""
    kind, _, rest = (cluster_env or "").partition(":")
    parts = rest.split("/")
    if kind != "aks" or len(parts) != 3 or not all(parts):
        return None
    sub, group, name = parts
    return (
        f"/subscriptions/{sub}/resourceGroups/{group}"
        f"/providers/Microsoft.ContainerService/managedClusters/{name}"
    )


def build_query(
    cluster: WeaviateCluster, target: Target, *, resource_id: str | None
) -> tuple[MetricsQuery, float]:
    field = f"spec.autoScaling.metrics.{target.metric.value}.query"
    template = target.query or DEFAULT_QUERIES.get(target.metric)
    if template is None:
        raise MetricSourceError(
            f"{field} is required: Azure Monitor has no per-pod {target.metric.value} "
            "utilization metric (use the kubernetes source)",
            reason=MissingReason.MISCONFIGURED,
        )
    head, options = split_query(expand(template, cluster), field=field)
    namespace, _, metric = head.rpartition("/")
    resource = options.get("resource") or resource_id
    provider = cluster.spec.cloud_provider
    region = provider.region if provider else None
    problems = []
    if not namespace or not metric:
        problems.append(f"{field}: {head!r} is not Namespace/metric")
    if not resource:
        problems.append(f"{field}: no resource= and WEAVEFN_CLUSTER names no AKS cluster")
    if not region:
        problems.append("spec.cloudProvider.region is required for Azure Monitor metrics")
    if problems or resource is None or region is None:
        raise MetricSourceError("; ".join(problems), reason=MissingReason.MISCONFIGURED)
    query = MetricsQuery(
        endpoint=f"https://{region}.metrics.monitor.azure.com",
        resource_id=resource,
        namespace=namespace,
        metric=metric,
        aggregation=options.get("aggregation", "Average"),
        filter=options.get("filter"),
    )
    return query, 0.001 if options.get("unit") == "ms" else 1.0


def query_metrics(query: MetricsQuery) -> list[float]:
    """The real query, through azure-monitor-querymetrics' MetricsClient."""
    from azure.core.exceptions import AzureError
    from azure.identity import DefaultAzureCredential
    from azure.monitor.querymetrics import MetricsClient

    client = MetricsClient(query.endpoint, DefaultAzureCredential())
    try:
        results = client.query_resources(
            resource_ids=[query.resource_id],
            metric_namespace=query.namespace,
            metric_names=[query.metric],
            timespan=LOOKBACK,
            granularity=timedelta(minutes=1),
            aggregations=[query.aggregation],
            filter=query.filter,
        )
    except AzureError as exc:
        raise MetricSourceError(f"azure monitor query failed: {type(exc).__name__}") from None
    attribute = query.aggregation.lower()
    values: list[float] = []
    for result in results:
        for metric in result.metrics:
            for series in metric.timeseries:
                values.extend(
                    float(v) for p in series.data if (v := getattr(p, attribute, None)) is not None
                )
    return values


class AzureMonitorSource:
    def __init__(self, *, fetch: Fetch = query_metrics, resource_id: str | None = None) -> None:
        self._fetch = fetch
        self._resource_id = resource_id or aks_resource_id(os.environ.get("WEAVEFN_CLUSTER"))

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        query, factor = build_query(cluster, target, resource_id=self._resource_id)
        values = self._fetch(query)
        if not values:
            return Reading.absent(
                target, MissingReason.NO_DATA, f"no {query.namespace}/{query.metric} value"
            )
        return Reading.of(target, values[-1] * factor)
