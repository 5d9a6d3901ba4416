"""Reconcile many clusters: list once, fan out to bounded workers, isolate and retry failures."""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Protocol

from weavefn.errors import InvalidInputError, RetryableError
from weavefn.kube.paging import iter_pages
from weavefn.kube.port import ClusterStore, Obj, ObjectApi, ObjectRef
from weavefn.model.keys import object_key
from weavefn.model.resource import API_VERSION as CLUSTER_API_VERSION
from weavefn.model.resource import KIND as CLUSTER_KIND
from weavefn.model.resource import parse_cluster
from weavefn.observe.calls import counting
from weavefn.reconcile.live import Kind, LiveIndex, LiveState, kinds_of
from weavefn.reconcile.reconciler import ClusterReport, Reconciler
from weavefn.render import default_voters, render_supporting, statefulset_stub

log = logging.getLogger("weavefn")

CHUNK = 250
"""Clusters gathered and reconciled at a time in a fleet larger than that: the live objects
held at once are one chunk's, whatever the fleet's size."""
GATHER_WORKERS = 8
"""Kinds listed at once while gathering a chunk."""


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
    seconds: float = 0.0
    api_calls: int = 0
    api_errors: int = 0
    """The whole pass's: the fleet counts its list calls, the service adds the clusters'."""

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.clusters.values()) and not self.skipped

    @property
    def retryable(self) -> bool:
        return any(r.retryable for r in self.clusters.values()) or bool(self.skipped)


def _member(raw: Obj) -> tuple[str, str]:
    meta = raw.get("metadata") or {}
    return str(meta.get("namespace") or "default"), str(meta.get("name"))


Plan = tuple[list[ObjectRef], set[Kind]]
PLANS_KEPT = 20_000
_plans: OrderedDict[tuple[str, str], Plan] = OrderedDict()
_plans_lock = threading.Lock()


def refs_and_kinds(raw: Obj) -> Plan:
    """The refs and kinds a cluster renders to. A warm instance remembers them by uid and
    resourceVersion: an unchanged object renders the same, and rendering is most of the CPU a
    steady pass spends before reconciling."""
    meta = raw.get("metadata") or {}
    key = (str(meta.get("uid") or ""), str(meta.get("resourceVersion") or ""))
    if all(key):
        with _plans_lock:
            found = _plans.get(key)
            if found is not None:
                _plans.move_to_end(key)
                return found
    plan = _render_plan(raw)
    if all(key):
        with _plans_lock:
            _plans[key] = plan
            while len(_plans) > PLANS_KEPT:
                _plans.popitem(last=False)
    return plan


def _render_plan(raw: Obj) -> Plan:
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


@dataclass(frozen=True)
class _Chunk:
    """Clusters listed together, their rendered refs and kinds, and their live objects."""

    clusters: list[Obj]
    plans: dict[str, Plan]
    index: LiveIndex | None
    """None: the deadline passed before it was gathered."""


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
        chunk: int = CHUNK,
    ) -> None:
        self.kube = kube
        self.chunk = chunk
        self.reconciler = reconciler
        self.workers = workers
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = random.Random(seed)  # nosec B311 # retry jitter, not a secret

    def reconcile_all(
        self, *, deadline: float, namespace: str | None = None, name: str | None = None
    ) -> FleetReport:
        """Reconcile every cluster (or one); ``deadline`` is a time.monotonic() instant.

        While one chunk is reconciled, the next is listed and gathered on another thread, so
        the API server's time and the function's overlap.
        """
        report = FleetReport()
        chunks = self._chunks(namespace, name)
        lock = threading.Lock()

        def prepare() -> _Chunk | None:
            with counting() as tally:  # the list calls of this thread, for the pass's total
                try:
                    return gather()
                finally:
                    with lock:
                        report.api_calls += tally.calls
                        report.api_errors += tally.errors

        def gather() -> _Chunk | None:
            found = next(chunks, None)
            if found is None:
                return None
            clusters, members = found
            if time.monotonic() >= deadline:
                return _Chunk(clusters, {}, None)  # listed only, to be reported as skipped
            plans = {object_key(raw): refs_and_kinds(raw) for raw in clusters}
            kinds = set().union(*(k for _, k in plans.values())) if plans else set()
            index = LiveIndex.gather(
                self.kube,
                kinds,
                namespace=namespace,
                instance=name,
                members=members,
                workers=GATHER_WORKERS,
            )
            return _Chunk(clusters, plans, index)

        with (
            ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool,
            ThreadPoolExecutor(max_workers=1) as ahead,
        ):
            pending = ahead.submit(prepare)
            while (chunk := pending.result()) is not None:
                pending = ahead.submit(prepare)
                self._reconcile_chunk(chunk, pool=pool, report=report, deadline=deadline)
        return report

    def _chunks(
        self, namespace: str | None, name: str | None
    ) -> Iterator[tuple[list[Obj], frozenset[tuple[str, str]] | None]]:
        """The clusters a page at a time, with the members to narrow the gather to; a fleet
        that fits in one page is gathered whole (one list a kind), as before paging."""
        if name is not None and namespace is not None:
            yield [self.kube.get_cluster(namespace, name)], None
            return
        if name is not None:
            yield self.kube.list_clusters(namespace), None
            return
        pages = iter_pages(
            self.kube.list_page,
            CLUSTER_API_VERSION,
            CLUSTER_KIND,
            namespace=namespace,
            limit=self.chunk,
        )
        first = next(pages, [])
        second = next(pages, None)
        if second is None:
            yield first, None
            return
        for clusters in itertools.chain((first, second), pages):  # a page at a time
            yield clusters, frozenset(_member(raw) for raw in clusters)

    def _reconcile_chunk(
        self, chunk: _Chunk, *, pool: Executor, report: FleetReport, deadline: float
    ) -> None:
        index = chunk.index
        if index is None:
            # left for the next trigger; nothing half-done
            report.skipped.extend(object_key(raw) for raw in chunk.clusters)
            return

        def run(raw: Obj) -> None:
            key = object_key(raw)
            if time.monotonic() >= deadline:
                report.skipped.append(key)  # left for the next trigger; nothing half-done
                return
            meta = raw["metadata"]
            refs = chunk.plans[key][0]
            live = index.for_cluster(meta.get("namespace", "default"), meta["name"], refs)
            started = time.monotonic()
            with counting() as tally:
                done = self._with_retries(raw, live, deadline)
            report.clusters[key] = replace(
                done,
                seconds=time.monotonic() - started,
                api_calls=tally.calls,
                api_errors=tally.errors,
            )

        list(pool.map(run, chunk.clusters))

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
