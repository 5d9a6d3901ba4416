"""Azure Monitor and Cloud Monitoring sources: the queries they build and the values they map."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.autoscale.metrics.azure_monitor import AzureMonitorSource, MetricsQuery
from weavefn.autoscale.metrics.cloud_monitoring import CloudMonitoringSource, SeriesQuery
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.port import MetricName, MissingReason, Reading
from weavefn.model.autoscaling import MetricSourceKind

from tests.unit.autoscale.conftest import make_cluster

AKS = (
    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1"
)
AZURE = {"type": "azure", "region": "westeurope"}
GCP = {"type": "gcp", "gcp": {"project": "acme"}}


class Recorder:
    def __init__(self, *values: float) -> None:
        self.values = list(values)
        self.queries: list[Any] = []

    def __call__(self, query: Any) -> list[float]:
        self.queries.append(query)
        return self.values


def azure_read(
    autoscaling: dict[str, Any], fetch: Recorder, *, provider: dict[str, Any] = AZURE
) -> Reading:
    cluster = make_cluster({"targetCPU": None, **autoscaling}, provider=provider)
    source = AzureMonitorSource(fetch=fetch, resource_id=AKS)
    registry = {MetricSourceKind.AZURE_MONITOR: source}
    return collect(cluster, registry=registry, prometheus_url="").readings[0]


def gcp_read(
    autoscaling: dict[str, Any], fetch: Recorder, *, provider: dict[str, Any] = GCP
) -> Reading:
    cluster = make_cluster({"targetCPU": None, **autoscaling}, provider=provider)
    source = CloudMonitoringSource(fetch=fetch)
    return collect(
        cluster, registry={MetricSourceKind.CLOUD_MONITORING: source}, prometheus_url=""
    ).readings[0]


def test_azure_qps_default_reads_the_aks_resource_for_this_cluster() -> None:
    fetch = Recorder(80.0, 120.0)
    reading = azure_read({"targetQPS": 100}, fetch)
    assert reading.value == 120.0  # the latest value
    assert fetch.queries == [
        MetricsQuery(
            endpoint="https://westeurope.metrics.monitor.azure.com",
            resource_id=AKS,
            namespace="Weaviate",
            metric="qps",
            aggregation="Average",
            filter="cluster eq 'prod/search'",
        )
    ]


def test_azure_latency_in_milliseconds_becomes_seconds() -> None:
    assert azure_read({"targetLatency": "100ms"}, Recorder(250.0)).value == pytest.approx(0.25)


def test_azure_custom_query_names_namespace_with_slashes() -> None:
    fetch = Recorder(55.0)
    query = (
        "Microsoft.ContainerService/managedClusters/node_cpu_usage_percentage;aggregation=Maximum"
    )
    azure_read(
        {"targetCPU": 70, "metrics": {"cpu": {"source": "azureMonitor", "query": query}}}, fetch
    )
    sent = fetch.queries[0]
    assert (sent.namespace, sent.metric, sent.aggregation) == (
        "Microsoft.ContainerService/managedClusters",
        "node_cpu_usage_percentage",
        "Maximum",
    )


AZURE_REFUSALS = {
    "cpu-without-query": (
        {"targetCPU": 70, "metrics": {"cpu": {"source": "azureMonitor"}}},
        AZURE,
        "kubernetes source",
    ),
    "no-region": ({"targetQPS": 100}, {"type": "azure"}, "spec.cloudProvider.region"),
    "malformed-option": (
        {
            "targetQPS": 1,
            "metrics": {"qps": {"source": "azureMonitor", "query": "Weaviate/qps;oops"}},
        },
        AZURE,
        "spec.autoScaling.metrics.qps.query",
    ),
}


@pytest.mark.parametrize(
    ("spec", "provider", "named"), AZURE_REFUSALS.values(), ids=AZURE_REFUSALS.keys()
)
def test_azure_misconfiguration_names_the_field(
    spec: dict[str, Any], provider: dict[str, Any], named: str
) -> None:
    fetch = Recorder(1.0)
    reading = azure_read(spec, fetch, provider=provider)
    assert reading.missing == MissingReason.MISCONFIGURED and named in reading.detail
    assert fetch.queries == []


GCP_DEFAULTS = {
    "cpu-request-utilization-percent": (
        {"targetCPU": 70, "metrics": {"cpu": {"source": "cloudMonitoring"}}},
        0.91,
        91.0,
        'metric.type="kubernetes.io/container/cpu/request_utilization" AND resource.type="k8s_container"',
        "REDUCE_MEAN",
    ),
    "memory-request-utilization-percent": (
        {"targetMemory": 80, "metrics": {"memory": {"source": "cloudMonitoring"}}},
        0.5,
        50.0,
        'metric.type="kubernetes.io/container/memory/request_utilization"',
        "REDUCE_MEAN",
    ),
    "qps-from-histogram-count": (
        {"targetQPS": 100},
        42.0,
        42.0,
        'metric.type="prometheus.googleapis.com/weaviate_http_request_duration_seconds/histogram"',
        "REDUCE_SUM",
    ),
    "latency-nearest-percentile": (
        {"targetLatency": "200ms", "latencyQuantile": 0.9},
        300.0,
        0.3,
        'metric.type="prometheus.googleapis.com/queries_durations_ms/histogram"',
        "REDUCE_PERCENTILE_95",
    ),
}


@pytest.mark.parametrize(
    ("spec", "raw", "value", "filter_start", "reducer"),
    GCP_DEFAULTS.values(),
    ids=GCP_DEFAULTS.keys(),
)
def test_gcp_defaults(
    spec: dict[str, Any], raw: float, value: float, filter_start: str, reducer: str
) -> None:
    fetch = Recorder(raw, 0.0)
    reading = gcp_read(spec, fetch)
    assert reading.value == pytest.approx(value)  # newest first
    sent: SeriesQuery = fetch.queries[0]
    assert sent.project == "acme" and sent.reducer == reducer
    assert sent.filter.startswith(filter_start)
    assert '"prod"' in sent.filter and "search-[0-9]+" in sent.filter


def test_gcp_without_project_is_misconfigured() -> None:
    reading = gcp_read({"targetQPS": 100}, Recorder(1.0), provider={"type": "gcp"})
    assert reading.missing == MissingReason.MISCONFIGURED
    assert "spec.cloudProvider.gcp.project" in reading.detail


def test_gcp_no_series_is_missing() -> None:
    reading = gcp_read({"targetQPS": 100}, Recorder())
    assert (reading.metric, reading.missing) == (MetricName.QPS, MissingReason.NO_DATA)
