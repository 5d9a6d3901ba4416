"""The cloudwatch metric source: the latest datapoint of one metric through GetMetricData.

A query reads ``Namespace/MetricName;Dimension=Value;...;stat=Average;unit=ms`` (the metric
name is after the last ``/``, so ``AWS/...`` namespaces work). ``stat`` is any CloudWatch
statistic (``Average``, ``Maximum``, ``p95``...); ``unit=ms`` divides by 1000 (latency is read
in seconds). Defaults, with ``{k8s_cluster}`` the EKS cluster from WEAVEFN_CLUSTER:

| target  | default                                                                          |
| ------- | -------------------------------------------------------------------------------- |
| cpu     | ContainerInsights/pod_cpu_utilization_over_pod_limit; ClusterName, Namespace,    |
|         | PodName=<name>; Average; converted to percent of request via limit/request       |
| memory  | ContainerInsights/pod_memory_utilization_over_pod_limit, same dimensions         |
| qps     | Weaviate/QPS; weaviate.io/cluster=<namespace>/<name>; Average (cluster total)    |
| latency | Weaviate/QueryLatency; weaviate.io/cluster=<namespace>/<name>; p<quantile>; ms   |

Container Insights reports pod utilization against the limit only, hence the conversion; it
needs both ``requests`` and ``limits`` in the spec.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from weavefn.autoscale.metrics.port import (
    MetricName,
    MetricSourceError,
    MissingReason,
    Reading,
    Target,
    expand,
    split_query,
)
from weavefn.model.resource import CLUSTER_TAG, WeaviateCluster
from weavefn.model.units import parse_quantity

_POD_DIMENSIONS = ";ClusterName={k8s_cluster};Namespace={namespace};PodName={cluster}"
DEFAULT_QUERIES = {
    MetricName.CPU: "ContainerInsights/pod_cpu_utilization_over_pod_limit" + _POD_DIMENSIONS,
    MetricName.MEMORY: "ContainerInsights/pod_memory_utilization_over_pod_limit" + _POD_DIMENSIONS,
    MetricName.QPS: f"Weaviate/QPS;{CLUSTER_TAG}={{key}}",
    MetricName.LATENCY: f"Weaviate/QueryLatency;{CLUSTER_TAG}={{key}};unit=ms",
}
PERIOD_SECONDS = 60
LOOKBACK = timedelta(minutes=5)


def k8s_cluster_name(cluster_env: str | None) -> str:
    """``eks:us-east-1/prod`` (WEAVEFN_CLUSTER) -> ``prod``."""
    if not cluster_env:
        return ""
    return cluster_env.partition(":")[2].rsplit("/", 1)[-1]


def metric_query(
    cluster: WeaviateCluster, target: Target, *, k8s_cluster: str
) -> tuple[dict[str, Any], str, float]:
    """The MetricStat.Metric, the statistic, and the factor that brings values to our units."""
    field = f"spec.autoScaling.metrics.{target.metric.value}.query"
    template = target.query or DEFAULT_QUERIES[target.metric]
    head, options = split_query(
        expand(template, cluster).replace("{k8s_cluster}", k8s_cluster), field=field
    )
    namespace, _, name = head.rpartition("/")
    if not namespace or not name:
        raise MetricSourceError(
            f"{field}: {head!r} is not Namespace/MetricName", reason=MissingReason.MISCONFIGURED
        )
    default_stat = (
        f"p{target.quantile * 100:g}" if target.metric == MetricName.LATENCY else "Average"
    )
    stat = options.pop("stat", default_stat)
    factor = 0.001 if options.pop("unit", "") == "ms" else 1.0
    if target.query is None and target.metric in (MetricName.CPU, MetricName.MEMORY):
        factor = _limit_over_request(cluster, target.metric)
    dimensions = [{"Name": k, "Value": v} for k, v in options.items()]
    return {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions}, stat, factor


def _limit_over_request(cluster: WeaviateCluster, metric: MetricName) -> float:
    resource = metric.value
    request = getattr(cluster.spec.resources.requests, resource)
    limit = getattr(cluster.spec.resources.limits, resource)
    if request is None or limit is None:
        raise MetricSourceError(
            f"Container Insights reports {resource} against the limit: set both "
            f"spec.resources.requests.{resource} and limits.{resource}, or give a query",
            reason=MissingReason.MISCONFIGURED,
        )
    return float(parse_quantity(limit) / parse_quantity(request))


def _client(region: str | None, endpoint_url: str | None) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client("cloudwatch", region_name=region, endpoint_url=endpoint_url)


class CloudWatchSource:
    def __init__(
        self,
        *,
        k8s_cluster: str | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._k8s_cluster = k8s_cluster or k8s_cluster_name(os.environ.get("WEAVEFN_CLUSTER"))
        self._endpoint_url = endpoint_url
        self._clock = clock

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        metric, stat, factor = metric_query(cluster, target, k8s_cluster=self._k8s_cluster)
        provider = cluster.spec.cloud_provider
        region = (provider.region if provider else None) or os.environ.get("AWS_REGION")
        now = self._clock()
        try:
            answer = _client(region, self._endpoint_url).get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "m",
                        "MetricStat": {"Metric": metric, "Period": PERIOD_SECONDS, "Stat": stat},
                        "ReturnData": True,
                    }
                ],
                StartTime=now - LOOKBACK,
                EndTime=now,
                ScanBy="TimestampDescending",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise MetricSourceError(f"cloudwatch GetMetricData failed: {code}") from None
        except BotoCoreError as exc:
            raise MetricSourceError(f"cloudwatch unreachable: {type(exc).__name__}") from None
        results = answer.get("MetricDataResults") or [{}]
        values = results[0].get("Values") or []
        if not values:
            return Reading.absent(
                target,
                MissingReason.NO_DATA,
                f"no {metric['Namespace']}/{metric['MetricName']} datapoint in the last "
                f"{int(LOOKBACK.total_seconds() // 60)} minutes",
            )
        # TimestampDescending: the first value is the latest complete period
        return Reading.of(target, float(values[0]) * factor)
