"""Shared test fixtures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from weavefn.crd import build_crd
from weavefn.errors import NotFoundError
from weavefn.kube.real import RealKube

from tests.support import realk8s
from tests.support.kubelet import Kubelet, random_pod_subnet
from tests.support.realk8s import ControlPlane

ROOT = Path(__file__).resolve().parent.parent
REAL_TIMEOUT = 20.0


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A real kube-apiserver and kube-controller-manager, started once, only when asked for."""
    reason = realk8s.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    plane = realk8s.start(tmp_path_factory.mktemp("realk8s"))
    try:
        yield plane
    finally:
        realk8s.stop(plane)


@pytest.fixture(scope="session")
def pod_subnet() -> str:
    """One loopback /24 for this session's pod IPs (two runs on one machine cannot collide)."""
    return random_pod_subnet()


@pytest.fixture(scope="session")
def real_kube(control_plane: ControlPlane) -> RealKube:
    """An admin RealKube with the WeaviateCluster CRD weavefn generates installed."""
    kube = control_plane.admin_kube()
    kube.apply(build_crd())
    end = time.monotonic() + REAL_TIMEOUT
    while True:
        try:
            kube.list_clusters("default")
            return kube
        except NotFoundError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def kubelet(control_plane: ControlPlane, pod_subnet: str) -> Kubelet:
    node = Kubelet(control_plane.admin_client(), pod_subnet)
    node.ensure_node()
    return node
