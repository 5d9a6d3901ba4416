"""Reconcile many clusters: list once, fan out to bounded workers, isolate and retry failures."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from weavefn.errors import InvalidInputError, RetryableError
from weavefn.kube.port import ClusterStore, Obj, ObjectApi, ObjectRef
from weavefn.model.keys import object_key
from weavefn.model.resource import parse_cluster
from weavefn.reconcile.live import Kind, LiveIndex, LiveState, kinds_of
from weavefn.reconcile.reconciler import ClusterReport, Reconciler
from weavefn.render import default_voters, render_supporting, statefulset_stub

log = logging.getLogger("weavefn")


class FleetApi(ClusterStore, ObjectApi, Protocol):
    """What the fleet reads itself: the clusters, and their objects by label (one list a kind)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter for transient API failures."""

    attempts: int = 4
    base: float = 0.2
    cap: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * 2**attempt))


@dataclass
class FleetReport:
    """Per-cluster outcome of one fleet pass."""

    clusters: dict[str, ClusterReport] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.clusters.values()) and not self.skipped

    @property
    def retryable(self) -> bool:
        return any(r.retryable for r in self.clusters.values()) or bool(self.skipped)


def refs_and_kinds(raw: Obj) -> tuple[list[ObjectRef], set[Kind]]:
    try:
        cluster = parse_cluster(raw)
    except InvalidInputError:
        return [], set()
    voters = cluster.status.voters or default_voters(
        cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters
    )
    # The StatefulSet's name is all a ref needs: the pass renders it once, with its pin.
    objects = [*render_supporting(cluster, voters=voters), statefulset_stub(cluster)]
    return [ObjectRef.of(o) for o in objects], kinds_of(objects)


class Fleet:
    """Runs a Reconciler over every cluster within a deadline."""

    def __init__(
        self,
        kube: FleetApi,
        reconciler: Reconciler,
        *,
        workers: int = 16,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.kube = kube
        self.reconciler = reconciler
        self.workers = workers
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = random.Random(seed)  # nosec B311 # retry jitter, not a secret

    def reconcile_all(
        self, *, deadline: float, namespace: str | None = None, name: str | None = None
    ) -> FleetReport:
        """Reconcile every cluster (or one); ``deadline`` is a time.monotonic() instant."""
        if name is not None and namespace is not None:
            clusters = [self.kube.get_cluster(namespace, name)]
        else:
            clusters = self.kube.list_clusters(namespace)
        plans = {object_key(raw): refs_and_kinds(raw) for raw in clusters}
        kinds = set().union(*(k for _, k in plans.values())) if plans else set()
        index = LiveIndex.gather(self.kube, kinds, namespace=namespace, instance=name)
        report = FleetReport()

        def run(raw: Obj) -> None:
            key = object_key(raw)
            if time.monotonic() >= deadline:
                report.skipped.append(key)  # left for the next trigger; nothing half-done
                return
            meta = raw["metadata"]
            live = index.for_cluster(meta.get("namespace", "default"), meta["name"], plans[key][0])
            report.clusters[key] = self._with_retries(raw, live, deadline)

        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            list(pool.map(run, clusters))
        return report

    def _with_retries(self, raw: Obj, live: LiveState, deadline: float) -> ClusterReport:
        key = object_key(raw)
        last: Exception | None = None
        for attempt in range(self.retry.attempts):
            try:
                if attempt:  # someone else acted, or the API hiccuped: look again first
                    raw, live = self._reread(raw)
                return self.reconciler.reconcile(raw, live)
            except RetryableError as exc:
                last = exc
                delay = self.retry.delay(attempt, self.rng)
                if attempt + 1 == self.retry.attempts or time.monotonic() + delay >= deadline:
                    break
                log.info("retrying", extra={"cluster": key, "error": str(exc)})
                self.sleep(delay)
            except Exception as exc:  # isolate: one cluster's bug must not stop the fleet
                log.exception("reconcile failed", extra={"cluster": key})
                return ClusterReport(key, ok=False, phase="Unknown", error=f"internal error: {exc}")
        message = f"gave up after {self.retry.attempts} attempts: {last}"
        self.reconciler.record_failure(raw, message)
        return ClusterReport(key, ok=False, phase="Degraded", error=message, retryable=True)

    def _reread(self, raw: Obj) -> tuple[Obj, LiveState]:
        meta = raw["metadata"]
        namespace, name = meta.get("namespace", "default"), meta["name"]
        fresh = self.kube.get_cluster(namespace, name)
        refs, kinds = refs_and_kinds(fresh)
        index = LiveIndex.gather(self.kube, kinds, namespace=namespace, instance=name)
        return fresh, index.for_cluster(namespace, name, refs)
