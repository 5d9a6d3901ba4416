"""One warm function instance on a local cluster holding the production example, for fuzzing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from weavefn import invocation
from weavefn.errors import UnavailableError
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.queue.memory import MemoryQueue
from weavefn.runtime import build_runtime
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.sns_signature import SnsVerifier

ROOT = Path(__file__).resolve().parents[2]
EPOCH = 1_795_000_000.0
SECRET = b"fuzz-upgrade-secret"
ADMISSION_TOKEN = "fuzz-admission-token"


def no_network(url: str) -> bytes:
    raise UnavailableError("the fuzzing rig has no network")


@dataclass
class Rig:
    kube: LocalKube
    clock: ManualClock
    instance: Instance
    queue: MemoryQueue


def build_rig() -> Rig:
    clock = ManualClock(EPOCH)
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
    manifest: dict[str, Any] = yaml.safe_load((ROOT / "examples/production-aws.yaml").read_text())
    kube.apply_cluster(manifest)
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    assert runtime.service.reconcile().ok
    queue = MemoryQueue()
    instance = Instance(
        settings=Settings(
            cluster="local:unused.json", upgrade_secret=SECRET, admission_token=ADMISSION_TOKEN
        ),
        runtime_factory=lambda: fixed_runtime(runtime),
        replay=InMemoryReplayGuard(clock=clock),
        verifier=SnsVerifier(no_network, now=clock),
        queue=queue,
    )
    return Rig(kube=kube, clock=clock, instance=instance, queue=queue)


@contextmanager
def as_current(instance: Instance) -> Iterator[None]:
    """Every entry point that asks for the warm instance gets this one."""
    original = invocation.current
    invocation.current = lambda: instance  # type: ignore[assignment]
    try:
        yield
    finally:
        invocation.current = original  # type: ignore[assignment]


@contextmanager
def no_writes_unless(rig: Rig, accepted: Any) -> Iterator[None]:
    """Run a call; if ``accepted()`` says it was refused, the cluster saw no write at all."""
    before = rig.kube.writes
    yield
    if not accepted():
        assert rig.kube.writes == before, "refused input still wrote to the cluster"
