"""The explicit registry of metric sources, and which source reads a target by default.

Defaults when spec.autoScaling.metrics does not name a source for a target:

| target       | default source                                                          |
| ------------ | ----------------------------------------------------------------------- |
| cpu, memory  | kubernetes (metrics.k8s.io PodMetrics vs the spec's requests)           |
| qps, latency | prometheus when a URL is configured (WEAVEFN_PROMETHEUS_URL), else the  |
|              | provider's monitoring: aws -> cloudwatch, gcp -> cloudMonitoring,       |
|              | azure -> azureMonitor; no provider -> prometheus (reports the missing   |
|              | URL)                                                                    |

Adding a source is one module and one line in ``build_registry``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from weavefn.autoscale.metrics.azure_monitor import AzureMonitorSource
from weavefn.autoscale.metrics.cloud_monitoring import CloudMonitoringSource
from weavefn.autoscale.metrics.cloudwatch import CloudWatchSource
from weavefn.autoscale.metrics.kubernetes import KubernetesSource, PodMetricsApi
from weavefn.autoscale.metrics.port import MetricName, MetricSource, Registry, Target
from weavefn.autoscale.metrics.prometheus import PrometheusSource
from weavefn.model.autoscaling import AutoScalingSpec, MetricSourceKind
from weavefn.model.spec import ProviderType

__all__ = ["Registry", "build_registry", "configured_targets", "default_source"]

PROMETHEUS_URL_ENV = "WEAVEFN_PROMETHEUS_URL"

PROVIDER_MONITORING = {
    ProviderType.AWS: MetricSourceKind.CLOUDWATCH,
    ProviderType.GCP: MetricSourceKind.CLOUD_MONITORING,
    ProviderType.AZURE: MetricSourceKind.AZURE_MONITOR,
}


def build_registry(
    *, pod_metrics: PodMetricsApi, env: Mapping[str, str] | None = None
) -> dict[MetricSourceKind, MetricSource]:
    """Every source, ready to read. Cloud SDKs load only when a source first reads."""
    env = os.environ if env is None else env
    return {
        MetricSourceKind.KUBERNETES: KubernetesSource(pod_metrics),
        MetricSourceKind.PROMETHEUS: PrometheusSource(default_url=env.get(PROMETHEUS_URL_ENV)),
        MetricSourceKind.CLOUDWATCH: CloudWatchSource(),
        MetricSourceKind.AZURE_MONITOR: AzureMonitorSource(),
        MetricSourceKind.CLOUD_MONITORING: CloudMonitoringSource(),
    }


def configured_targets(
    spec: AutoScalingSpec, *, provider: ProviderType | None, prometheus_url: str | None
) -> tuple[Target, ...]:
    """A Target for every metric the spec sets a target for, with its source resolved."""
    wanted = (
        (MetricName.CPU, spec.target_cpu, spec.metrics.cpu),
        (MetricName.MEMORY, spec.target_memory, spec.metrics.memory),
        (MetricName.QPS, spec.target_qps, spec.metrics.qps),
        (MetricName.LATENCY, spec.target_latency, spec.metrics.latency),
    )
    found = []
    for metric, target_value, given in wanted:
        if target_value is None:
            continue
        if given is not None:
            source, query, url = given.source, given.query, given.url
        else:
            source, query, url = default_source(metric, provider, prometheus_url), None, None
        found.append(Target(metric, source, query, url, spec.latency_quantile))
    return tuple(found)


def default_source(
    metric: MetricName, provider: ProviderType | None, prometheus_url: str | None
) -> MetricSourceKind:
    if metric in (MetricName.CPU, MetricName.MEMORY):
        return MetricSourceKind.KUBERNETES
    if prometheus_url or provider is None:
        return MetricSourceKind.PROMETHEUS
    return PROVIDER_MONITORING[provider]
