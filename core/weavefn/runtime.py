"""The composition root: open a backend (real or local) and wire the service to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from weavefn.backend import Access, Backend
from weavefn.kube.access import AccessKind, ClusterSetting, connect, parse_setting
from weavefn.kube.port import KubeApi
from weavefn.observe.calls import MeteredKube
from weavefn.service import PassObserver, Service


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything one invocation needs, built from one cluster setting."""

    kube: KubeApi
    service: Service


def build_runtime(
    backend: Backend,
    *,
    clock: Callable[[], datetime] | None = None,
    observer: PassObserver | None = None,
) -> Runtime:
    """The service on ``backend``, its API calls counted for the pass metrics ``observer`` gets."""
    service = Service(
        MeteredKube(backend.kube),
        clock=clock or utcnow,
        metrics=backend.metrics,
        weaviate=backend.weaviate,
        observer=observer,
    )
    return Runtime(kube=backend.kube, service=service)


def open_backend(setting: str, *, access: Access = Access.WRITE) -> AbstractContextManager[Backend]:
    """The backend a cluster setting names, open until the context exits.

    ``access`` READ keeps a local cluster's file as it is (and requires it to exist); a real
    API server is the same either way.
    """
    parsed = parse_setting(setting)
    if parsed.kind is AccessKind.LOCAL:
        # The only door into the simulations: a real setting never loads weavefn.local.
        from weavefn.local.backend import open_local_backend

        return open_local_backend(parsed, access=access)
    return open_real_backend(parsed)


@contextmanager
def open_real_backend(parsed: ClusterSetting) -> Iterator[Backend]:
    """An API server, Weaviate over HTTP (endpoint or service proxy), the real metric sources."""
    from weavefn.autoscale.metrics.kubernetes import CustomObjectsPodMetrics
    from weavefn.autoscale.metrics.registry import build_registry
    from weavefn.weaviate.connect import KubeWeaviateConnector

    with connect(parsed) as kube:
        yield Backend(
            kube=kube,
            weaviate=KubeWeaviateConnector(kube, proxy=kube),
            metrics=build_registry(pod_metrics=CustomObjectsPodMetrics(kube.api_client)),
        )


@contextmanager
def open_runtime_for(
    setting: str, *, observer: PassObserver | None = None, access: Access = Access.WRITE
) -> Iterator[Runtime]:
    """Open the backend ``setting`` names and wire the service to it."""
    with open_backend(setting, access=access) as backend:
        yield build_runtime(backend, observer=observer)
