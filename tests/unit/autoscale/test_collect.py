"""collect: which source reads each target, and one source failing never hides the others."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.port import (
    Hint,
    MetricName,
    MetricSourceError,
    MissingReason,
    Reading,
    Target,
)
from weavefn.autoscale.metrics.registry import configured_targets
from weavefn.model.autoscaling import MetricSourceKind as K
from weavefn.model.resource import WeaviateCluster
from weavefn.model.spec import ProviderType

from tests.unit.autoscale.conftest import make_cluster

ALL = {"targetCPU": 70, "targetMemory": 80, "targetQPS": 100, "targetLatency": "200ms"}

DEFAULTS = {
    "aws-without-prometheus": (ProviderType.AWS, None, K.CLOUDWATCH),
    "gcp-without-prometheus": (ProviderType.GCP, None, K.CLOUD_MONITORING),
    "azure-without-prometheus": (ProviderType.AZURE, None, K.AZURE_MONITOR),
    "aws-with-prometheus": (ProviderType.AWS, "http://prom:9090", K.PROMETHEUS),
    "no-provider": (None, None, K.PROMETHEUS),
}


@pytest.mark.parametrize(("provider", "url", "traffic"), DEFAULTS.values(), ids=DEFAULTS.keys())
def test_default_sources(provider: ProviderType | None, url: str | None, traffic: K) -> None:
    spec = make_cluster(ALL).spec.auto_scaling
    assert spec is not None
    sources = {
        t.metric: t.source for t in configured_targets(spec, provider=provider, prometheus_url=url)
    }
    assert sources == {
        MetricName.CPU: K.KUBERNETES,
        MetricName.MEMORY: K.KUBERNETES,
        MetricName.QPS: traffic,
        MetricName.LATENCY: traffic,
    }


def test_explicit_source_wins_and_unset_targets_are_not_read() -> None:
    spec = make_cluster(
        {"targetQPS": 5, "metrics": {"qps": {"source": "cloudwatch", "query": "A/B"}}}
    ).spec.auto_scaling
    assert spec is not None
    assert configured_targets(spec, provider=None, prometheus_url="http://p") == (
        Target(MetricName.QPS, K.CLOUDWATCH, "A/B", None, 0.95),
    )


class Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        return Reading.of(target, self.value)


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        raise self.error


FAILURES = {
    "source-error": (
        MetricSourceError("prometheus unreachable"),
        MissingReason.SOURCE_ERROR,
        "unreachable",
    ),
    "unexpected-bug": (KeyError("token=abc"), MissingReason.SOURCE_ERROR, "KeyError"),
}


@pytest.mark.parametrize(("error", "reason", "detail"), FAILURES.values(), ids=FAILURES.keys())
def test_one_failing_source_yields_a_missing_reading(
    error: Exception, reason: MissingReason, detail: str
) -> None:
    cluster = make_cluster({"targetCPU": 70, "targetQPS": 100})
    registry: dict[K, Any] = {K.KUBERNETES: Fixed(55.0), K.PROMETHEUS: Failing(error)}
    snapshot = collect(
        cluster, registry=registry, prometheus_url="http://p", hint=Hint(MetricName.QPS, 300)
    )
    cpu, qps = snapshot.get(MetricName.CPU), snapshot.get(MetricName.QPS)
    assert cpu is not None and cpu.value == 55.0
    assert qps is not None and qps.value is None and qps.missing == reason
    assert detail in qps.detail and "abc" not in qps.detail
    assert snapshot.hint == Hint(MetricName.QPS, 300)


def test_unregistered_source_is_misconfigured() -> None:
    snapshot = collect(make_cluster({"targetCPU": 70}), registry={})
    assert snapshot.readings[0].missing == MissingReason.MISCONFIGURED


def test_importing_autoscaling_loads_no_cloud_sdk() -> None:
    code = (
        "import sys, weavefn.autoscale.metrics.registry, weavefn.autoscale.metrics.collect, "
        "weavefn.autoscale.decision\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure') "
        "or m.startswith(('google.cloud.', 'google.api_core'))]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
