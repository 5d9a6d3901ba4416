"""The composition root: one object wiring a KubeApi to the service, for the CLI and functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from weavefn.autoscale.metrics.registry import Registry
from weavefn.kube.access import connect
from weavefn.kube.port import KubeApi
from weavefn.observe.calls import MeteredKube
from weavefn.service import PassObserver, Service
from weavefn.weaviate.connect import connector_for


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything one invocation needs, built from one cluster setting."""

    kube: KubeApi
    service: Service


def metric_registry(kube: KubeApi) -> Registry:
    """Simulated monitoring for the local cluster; the real sources for a real one."""
    from weavefn.kube.local import LocalKube

    if isinstance(kube, LocalKube):
        from weavefn.autoscale.metrics.local import local_registry

        return local_registry(kube.extras)
    from weavefn.autoscale.metrics.kubernetes import CustomObjectsPodMetrics
    from weavefn.autoscale.metrics.registry import build_registry

    api_client = getattr(kube, "api_client", None)
    return build_registry(pod_metrics=CustomObjectsPodMetrics(api_client))


def build_runtime(
    kube: KubeApi,
    *,
    clock: Callable[[], datetime] = utcnow,
    observer: PassObserver | None = None,
) -> Runtime:
    """The service on ``kube``, its API calls counted for the pass metrics ``observer`` gets."""
    service = Service(
        MeteredKube(kube),
        clock=clock,
        metrics=metric_registry(kube),
        weaviate=connector_for(kube),
        observer=observer,
    )
    return Runtime(kube=kube, service=service)


@contextmanager
def open_runtime_for(setting: str, *, observer: PassObserver | None = None) -> Iterator[Runtime]:
    """Connect to the cluster ``setting`` names and wire the service to it."""
    with connect(setting) as kube:
        yield build_runtime(kube, observer=observer)
