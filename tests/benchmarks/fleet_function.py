"""The function side of the 10,000 benchmark: steady passes through RealKube, figures as JSON.

``python -m tests.benchmarks.fleet_function URL --passes 3 --workers 64`` runs reconcile passes
over every cluster the API server at URL holds (or ``--kubeconfig PATH``: a real one), as a
function would (the official kubernetes client, RealKube, JSON over HTTP), and prints one JSON
line per pass (seconds, API calls and writes as the function counted them, and as the local
server counted them when it is one) and the process's peak RSS. Only what a function
imports is loaded: not the local cluster, not the simulations.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import urllib.request
from datetime import UTC, datetime

from kubernetes.client import ApiClient, Configuration
from weavefn.autoscale.metrics.port import MissingReason, Reading, Target
from weavefn.autoscale.metrics.registry import Registry
from weavefn.kube.real import RealKube
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.model.resource import WeaviateCluster
from weavefn.observe.calls import MeteredKube
from weavefn.observe.emf import EmfEmitter
from weavefn.observe.emitters import MetricsObserver
from weavefn.observe.points import Point
from weavefn.service import Service

IDLE = {"cpu": 30.0, "memory": 40.0}
"""What the local cluster's load model reports for an idle cluster (weavefn.local.metrics)."""


class IdleSource:
    """The same readings the fleet's first pass saw, without importing the simulations."""

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        value = IDLE.get(target.metric.value)
        if value is None:
            return Reading.absent(target, MissingReason.NO_DATA, "no simulated load set")
        return Reading.of(target, value)


def idle_registry() -> Registry:
    return dict.fromkeys(MetricSourceKind, IdleSource())


class PowertoolsEmitter:
    """The same points as EMF lines built by Powertools' provider (the encoder's baseline)."""

    def emit(self, points: list[Point], *, at: datetime) -> None:
        from tests.benchmarks.test_emf_bench import powertools_lines

        powertools_lines(points, at=at)


def calls(url: str, *, reset: bool = False) -> dict[str, int]:
    request = urllib.request.Request(f"{url}/_local/calls", method="DELETE" if reset else "GET")
    with urllib.request.urlopen(request, timeout=30) as answer:  # nosec B310 # loopback
        found: dict[str, int] = json.load(answer)
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?", default="")
    parser.add_argument("--kubeconfig", default="")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument(
        "--emit",
        choices=["none", "emf", "powertools"],
        default="none",
        help="also write EMF lines (discarded): by weavefn's encoder, or by Powertools' provider",
    )
    args = parser.parse_args()
    cfg = Configuration()
    if args.kubeconfig:
        from kubernetes.config.kube_config import load_kube_config

        load_kube_config(config_file=args.kubeconfig, client_configuration=cfg)
    else:
        cfg.host = args.url
    cfg.connection_pool_maxsize = args.workers
    kube = RealKube(ApiClient(cfg), timeout=120.0)
    registry = idle_registry()
    observer = None
    if args.emit == "emf":
        observer = MetricsObserver(lambda: EmfEmitter(write=lambda line: None))
    elif args.emit == "powertools":
        observer = MetricsObserver(PowertoolsEmitter)
    service = Service(
        MeteredKube(kube),
        clock=lambda: datetime.now(UTC),
        metrics=registry,
        workers=args.workers,
        observer=observer,
    )
    for number in range(args.passes):
        if args.url:
            calls(args.url, reset=True)
        started = time.perf_counter()
        report = service.reconcile(deadline=time.monotonic() + 3600)
        seconds = time.perf_counter() - started
        counted = {f"server_{k}": v for k, v in calls(args.url).items()} if args.url else {}
        line = {
            "pass": number,
            "seconds": round(seconds, 2),
            "ok": sum(1 for r in report.clusters.values() if r.ok),
            "clusters": len(report.clusters),
            "skipped": len(report.skipped),
            "api_calls": report.api_calls,
            "api_errors": report.api_errors,
            "writes": sum(r.writes for r in report.clusters.values()),
            **counted,
        }
        print(json.dumps(line), flush=True)
        del report
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": round(peak, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
