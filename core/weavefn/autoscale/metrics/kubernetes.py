"""The kubernetes metric source: metrics.k8s.io PodMetrics vs the spec's requests (cpu, memory).

Pods are found by ``app.kubernetes.io/instance=<name>`` and kept only when named like the
StatefulSet's pods (``<name>-<ordinal>``), so inference Deployments sharing the label do not
count. Only the ``weaviate`` container counts when a pod reports one: sidecars (service mesh
proxies) have requests of their own that the spec does not describe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from weavefn.autoscale.metrics.port import (
    MetricName,
    MetricSourceError,
    MissingReason,
    Reading,
    Target,
)
from weavefn.model.resource import WeaviateCluster
from weavefn.model.units import parse_quantity

CONTAINER = "weaviate"
INSTANCE_LABEL = "app.kubernetes.io/instance"


class PodMetricsApi(Protocol):
    """metrics.k8s.io/v1beta1 PodMetrics, as plain dicts."""

    def list_pod_metrics(self, namespace: str, selector: str) -> list[dict[str, Any]]: ...


class CustomObjectsPodMetrics:
    """PodMetricsApi over the kubernetes client's CustomObjectsApi."""

    def __init__(self, api_client: Any) -> None:
        self._api_client = api_client

    def list_pod_metrics(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        from kubernetes.client import CustomObjectsApi
        from kubernetes.client.exceptions import ApiException

        try:
            answer: Any = CustomObjectsApi(self._api_client).list_namespaced_custom_object(
                "metrics.k8s.io", "v1beta1", namespace, "pods", label_selector=selector
            )
        except ApiException as exc:
            # the reason only: an ApiException's body may echo request headers
            raise MetricSourceError(f"metrics.k8s.io answered {exc.status} {exc.reason}") from None
        items: list[dict[str, Any]] = answer.get("items", [])
        return items


def utilization(
    items: Iterable[dict[str, Any]], *, cluster: str, resource: str, request: Decimal
) -> float | None:
    """Average usage of ``resource`` over the cluster's pods, in percent of ``request``."""
    pod_name = re.compile(rf"^{re.escape(cluster)}-[0-9]+$")
    usages: list[Decimal] = []
    for item in items:
        if not pod_name.match(item.get("metadata", {}).get("name", "")):
            continue
        containers = item.get("containers") or []
        ours = [c for c in containers if c.get("name") == CONTAINER] or containers
        usages.append(sum((parse_quantity(c["usage"][resource]) for c in ours), Decimal(0)))
    if not usages:
        return None
    return float(sum(usages, Decimal(0)) / len(usages) / request * 100)


class KubernetesSource:
    def __init__(self, api: PodMetricsApi) -> None:
        self._api = api

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        if target.metric not in (MetricName.CPU, MetricName.MEMORY):
            raise MetricSourceError(
                f"the kubernetes source reads cpu and memory, not {target.metric.value}",
                reason=MissingReason.MISCONFIGURED,
            )
        resource = target.metric.value
        requested = getattr(cluster.spec.resources.requests, resource)
        if requested is None or parse_quantity(requested) <= 0:
            raise MetricSourceError(
                f"spec.resources.requests.{resource} is not set: utilization needs a request",
                reason=MissingReason.MISCONFIGURED,
            )
        items = self._api.list_pod_metrics(
            cluster.metadata.namespace, f"{INSTANCE_LABEL}={cluster.metadata.name}"
        )
        try:
            value = utilization(
                items,
                cluster=cluster.metadata.name,
                resource=resource,
                request=parse_quantity(requested),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MetricSourceError(f"unreadable PodMetrics: {exc}") from None
        if value is None:
            return Reading.absent(target, MissingReason.NO_DATA, "no PodMetrics for the pods yet")
        return Reading.of(target, value)
