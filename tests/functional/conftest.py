"""Fixtures wiring the service to the local cluster with a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import local_registry
from weavefn.service import Service

ROOT = Path(__file__).resolve().parents[2]
EPOCH = 1_795_000_000.0  # 2026-11-18, any fixed instant works


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return loaded


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(EPOCH)


@pytest.fixture
def kube(clock: ManualClock) -> LocalKube:
    return LocalKube(clock=clock, ready_delay=0.0)


@pytest.fixture
def now(clock: ManualClock) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(clock(), UTC)


@pytest.fixture
def service(kube: LocalKube, now: Callable[[], datetime], clock: ManualClock) -> Service:
    # A pass that waits within itself (for the garbage collector) lets simulated time pass.
    return Service(
        kube, clock=now, metrics=local_registry(kube.extras), workers=4, pause=clock.advance
    )


def storage_class(name: str, *, expandable: bool) -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "ebs.csi.aws.com",
        "allowVolumeExpansion": expandable,
    }
