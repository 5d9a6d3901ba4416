"""The kubernetes source turns PodMetrics into utilization of the spec's requests."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.kubernetes import KubernetesSource
from weavefn.autoscale.metrics.port import MetricName, MissingReason
from weavefn.model.autoscaling import MetricSourceKind

from tests.unit.autoscale.conftest import make_cluster


def pod(name: str, **containers: tuple[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "prod"},
        "containers": [
            {"name": c, "usage": {"cpu": cpu, "memory": mem}}
            for c, (cpu, mem) in containers.items()
        ],
    }


class FakePodMetrics:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.calls: list[tuple[str, str]] = []

    def list_pod_metrics(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        self.calls.append((namespace, selector))
        return self.items


PODS = {
    "average-over-pods": (
        [pod("search-0", weaviate=("250m", "1Gi")), pod("search-1", weaviate=("750m", "3Gi"))],
        50.0,
        50.0,
    ),
    "sidecar-ignored": (
        [pod("search-0", weaviate=("500m", "2Gi"), **{"istio-proxy": ("900m", "1Gi")})],
        50.0,
        50.0,
    ),
    "other-workloads-ignored": (
        [
            pod("search-0", weaviate=("1", "4Gi")),
            pod("search-qna-transformers-7d9f-abc", app=("4", "8Gi")),
        ],
        100.0,
        100.0,
    ),
    "nanocores-and-kibibytes": (
        [pod("search-0", weaviate=("1500000000n", "6291456Ki"))],
        150.0,
        150.0,
    ),
}


@pytest.mark.parametrize(("items", "cpu", "memory"), PODS.values(), ids=PODS.keys())
def test_utilization_of_request(items: list[dict[str, Any]], cpu: float, memory: float) -> None:
    cluster = make_cluster({"targetCPU": 70, "targetMemory": 80})
    api = FakePodMetrics(items)
    snapshot = collect(cluster, registry={MetricSourceKind.KUBERNETES: KubernetesSource(api)})
    assert snapshot.get(MetricName.CPU).value == pytest.approx(cpu)  # type: ignore[union-attr]
    assert snapshot.get(MetricName.MEMORY).value == pytest.approx(memory)  # type: ignore[union-attr]
    assert api.calls[0] == ("prod", "app.kubernetes.io/instance=search")


def test_no_pod_metrics_yet_is_missing_not_zero() -> None:
    cluster = make_cluster({"targetCPU": 70})
    snapshot = collect(
        cluster, registry={MetricSourceKind.KUBERNETES: KubernetesSource(FakePodMetrics([]))}
    )
    reading = snapshot.get(MetricName.CPU)
    assert reading is not None and reading.value is None
    assert reading.missing == MissingReason.NO_DATA


def test_missing_request_names_the_field() -> None:
    cluster = make_cluster({"targetMemory": 80}, resources={"requests": {"cpu": "1"}})
    api = FakePodMetrics([pod("search-0", weaviate=("1", "1Gi"))])
    snapshot = collect(cluster, registry={MetricSourceKind.KUBERNETES: KubernetesSource(api)})
    reading = snapshot.get(MetricName.MEMORY)
    assert reading is not None and reading.missing == MissingReason.MISCONFIGURED
    assert "spec.resources.requests.memory" in reading.detail
