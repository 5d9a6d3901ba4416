"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import realk8s
from tests.support.kubelet import random_pod_subnet
from tests.support.realk8s import ControlPlane

ROOT = Path(__file__).resolve().parent.parent


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
    return random_pod_subnet()
