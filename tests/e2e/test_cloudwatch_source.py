"""The cloudwatch source reads, through GetMetricData, what was put into a real moto server."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from weavefn.autoscale.metrics.cloudwatch import CloudWatchSource
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.port import MetricName, MissingReason
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.model.resource import parse_cluster

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # moto keeps its backends per process: start every test from an empty account
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    yield url
    server.stop()


def cluster(autoscaling: dict[str, Any]) -> Any:
    return parse_cluster(
        {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "metadata": {"name": "search", "namespace": "prod"},
            "spec": {
                "version": "1.32.4",
                "replicas": 3,
                "storage": {"size": "10Gi"},
                "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2"}},
                "cloudProvider": {"type": "aws", "region": "eu-west-1"},
                "autoScaling": {"enabled": True, **autoscaling},
            },
        }
    )


def put(
    url: str, namespace: str, name: str, dimensions: dict[str, str], values: list[float]
) -> None:
    import boto3  # type: ignore[import-untyped]

    client = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=url)
    now = datetime.now(UTC)
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": now - timedelta(seconds=30),
                "Value": value,
            }
            for value in values
        ],
    )


def test_qps_default_reads_the_clusters_dimension(moto_url: str) -> None:
    put(moto_url, "Weaviate", "QPS", {"weaviate.io/cluster": "prod/search"}, [400.0, 600.0])
    put(moto_url, "Weaviate", "QPS", {"weaviate.io/cluster": "prod/other"}, [9000.0])
    source = CloudWatchSource(endpoint_url=moto_url, k8s_cluster="eks1")
    snapshot = collect(
        cluster({"targetQPS": 100}),
        registry={MetricSourceKind.CLOUDWATCH: source, MetricSourceKind.KUBERNETES: source},
        prometheus_url="",
    )
    qps = snapshot.get(MetricName.QPS)
    assert qps is not None and qps.value == pytest.approx(500.0)  # the Average of the minute


def test_container_insights_cpu_is_converted_to_percent_of_request(moto_url: str) -> None:
    dims = {"ClusterName": "eks1", "Namespace": "prod", "PodName": "search"}
    put(moto_url, "ContainerInsights", "pod_cpu_utilization_over_pod_limit", dims, [40.0])
    source = CloudWatchSource(endpoint_url=moto_url, k8s_cluster="eks1")
    snapshot = collect(
        cluster({"targetCPU": 70, "metrics": {"cpu": {"source": "cloudwatch"}}}),
        registry={MetricSourceKind.CLOUDWATCH: source},
    )
    cpu = snapshot.get(MetricName.CPU)
    # 40% of a 2-core limit is 80% of the 1-core request
    assert cpu is not None and cpu.value == pytest.approx(80.0)


def test_no_datapoint_is_missing(moto_url: str) -> None:
    source = CloudWatchSource(endpoint_url=moto_url, k8s_cluster="eks1")
    snapshot = collect(
        cluster({"targetQPS": 100, "metrics": {"qps": {"source": "cloudwatch"}}}),
        registry={MetricSourceKind.CLOUDWATCH: source, MetricSourceKind.KUBERNETES: source},
    )
    qps = snapshot.get(MetricName.QPS)
    assert qps is not None and qps.missing == MissingReason.NO_DATA
