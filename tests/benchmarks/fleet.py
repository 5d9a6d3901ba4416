"""Build a fleet of WeaviateClusters on the local cluster and time reconciles over it."""

from __future__ import annotations

import copy
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import local_registry
from weavefn.service import Service

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Pass:
    seconds: float
    reads: int
    writes: int
    ok: int
    clusters: int

    @property
    def reads_per_cluster(self) -> float:
        return self.reads / self.clusters

    @property
    def writes_per_cluster(self) -> float:
        return self.writes / self.clusters


def fleet(count: int, *, latency: float, workers: int) -> tuple[LocalKube, Service]:
    clock = ManualClock()
    kube = LocalKube(clock=clock, latency=0.0)
    template: dict[str, Any] = yaml.safe_load(
        (ROOT / "examples" / "production-aws.yaml").read_text()
    )
    for index in range(count):
        manifest = copy.deepcopy(template)
        manifest["metadata"] = {"name": f"wv{index:04d}", "namespace": f"team{index % 50:02d}"}
        kube.apply_cluster(manifest)
    kube.latency = latency
    service = Service(
        kube,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
        metrics=local_registry(kube.extras),
        workers=workers,
    )
    return kube, service


def timed_pass(kube: LocalKube, service: Service, clusters: int) -> Pass:
    kube.reset_calls()
    started = time.perf_counter()
    report = service.reconcile(deadline=time.monotonic() + 600)
    seconds = time.perf_counter() - started
    ok = sum(1 for r in report.clusters.values() if r.ok)
    return Pass(seconds, kube.reads, kube.writes, ok, clusters)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
