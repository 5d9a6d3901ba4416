"""Two backends behind the KubeApi port: the local cluster, and a real API server via RealKube.

Every contract case runs on both. The real one is right; a case that passes there and fails on
the local cluster is a defect of the model. ``eventually`` waits for what controllers do
asynchronously: on the local cluster it moves the manual clock (the next controller round), on
the real one it acts as the kubelet and polls.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from weavefn.kube.real import RealKube
from weavefn.local.kube import LocalKube, ManualClock

from tests.support.kubelet import Kubelet
from tests.support.realk8s import ControlPlane

T = TypeVar("T")
REAL_TIMEOUT = 20.0


@dataclass
class Backend:
    name: str
    kube: Any
    """LocalKube or RealKube: the KubeApi port plus get_cluster_scale."""
    namespace: str
    _eventually: Callable[[Callable[[], Any], str], Any]
    compact: Callable[[], None] = lambda: None
    """Forget past revisions (etcd's compaction): open continue tokens expire."""

    def eventually(self, check: Callable[[], T | None], what: str) -> T:
        """The first truthy value of ``check()`` once controllers have had their turn."""
        found: T = self._eventually(check, what)
        return found


def _local() -> Backend:
    clock = ManualClock()
    kube = LocalKube(clock=clock)

    def eventually(check: Callable[[], Any], what: str) -> Any:
        for _ in range(30):
            found = check()
            if found:
                return found
            clock.advance(1.0)
        raise AssertionError(f"never happened on the local cluster: {what}")

    return Backend("local", kube, "contract", eventually, kube.compact)


def _real(request: pytest.FixtureRequest) -> Backend:
    kube: RealKube = request.getfixturevalue("real_kube")
    node: Kubelet = request.getfixturevalue("kubelet")
    namespace = f"contract-{uuid.uuid4().hex[:8]}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})

    def eventually(check: Callable[[], Any], what: str) -> Any:
        end = time.monotonic() + REAL_TIMEOUT
        while True:
            node.sync(namespace)
            found = check()
            if found:
                return found
            if time.monotonic() > end:
                raise AssertionError(f"never happened on the real API server: {what}")
            time.sleep(0.05)

    plane: ControlPlane = request.getfixturevalue("control_plane")
    return Backend("real", kube, namespace, eventually, plane.compact_etcd)


@pytest.fixture(params=["local", "real"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield _local() if request.param == "local" else _real(request)
