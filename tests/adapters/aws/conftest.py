"""The AWS handlers wired to a local cluster holding the production example, and its samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.queue.memory import MemoryQueue
from weavefn.runtime import Runtime, build_runtime

from functions.aws.handlers import AwsHandlers, LocalContext

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events" / "aws"
EPOCH = 1_795_000_000.0
NS, NAME = "weaviate", "production"
SECRET = b"test-upgrade-secret"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return loaded


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(EPOCH)


@pytest.fixture
def kube(clock: ManualClock) -> LocalKube:
    kube = LocalKube(clock=clock, ready_delay=0.0)
    kube.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast-ssd"},
            "provisioner": "ebs.csi.aws.com",
            "allowVolumeExpansion": True,
        }
    )
    kube.apply_cluster(example("production-aws.yaml"))
    return kube


@pytest.fixture
def runtime(kube: LocalKube, clock: ManualClock) -> Runtime:
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    assert runtime.service.reconcile().ok  # the cluster exists and runs before any trigger
    return runtime


@pytest.fixture
def queue() -> MemoryQueue:
    return MemoryQueue()


@pytest.fixture
def make_instance(runtime: Runtime, queue: MemoryQueue) -> Callable[..., Instance]:
    def make(**settings: Any) -> Instance:
        return Instance(
            settings=Settings(cluster="local:unused", upgrade_secret=SECRET, **settings),
            runtime_factory=lambda: fixed_runtime(runtime),
            queue=queue,
        )

    return make


@pytest.fixture
def handlers(make_instance: Callable[..., Instance]) -> AwsHandlers:
    instance = make_instance()
    return AwsHandlers(lambda: instance)


@pytest.fixture
def context() -> LocalContext:
    return LocalContext(budget_seconds=30.0, aws_request_id="test-request")


def replicas(kube: LocalKube) -> int:
    return kube.get_scale(NS, NAME).replicas


def status(kube: LocalKube) -> dict[str, Any]:
    found: dict[str, Any] = kube.get_cluster(NS, NAME).get("status", {})
    return found
