"""The composition root: one object wiring a KubeApi to the service, for the CLI and functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from weavefn.kube.access import connect
from weavefn.kube.port import KubeApi
from weavefn.service import Service


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything one invocation needs, built from one cluster setting."""

    kube: KubeApi
    service: Service


def build_runtime(kube: KubeApi, *, clock: Callable[[], datetime] = utcnow) -> Runtime:
    return Runtime(kube=kube, service=Service(kube, clock=clock))


@contextmanager
def open_runtime_for(setting: str) -> Iterator[Runtime]:
    """Connect to the cluster ``setting`` names and wire the service to it."""
    with connect(setting) as kube:
        yield build_runtime(kube)
