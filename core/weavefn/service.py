"""The core service: resolve which clusters a trigger names, run the pass on each, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from weavefn.errors import NotFoundError
from weavefn.kube.port import KubeApi, Obj
from weavefn.model.resource import object_key, split_key
from weavefn.reconcile.fleet import Fleet, FleetReport, refs_and_kinds
from weavefn.reconcile.live import LiveIndex
from weavefn.reconcile.reconciler import Reconciler
from weavefn.triggers.model import ClusterTrigger, Outcome, ScheduleTrigger, Trigger

DEFAULT_BUDGET = 50.0


def find_clusters(kube: KubeApi, *, namespace: str | None, name: str | None) -> list[Obj]:
    """The clusters a CLI call names: all, one namespace, or one by name (any namespace)."""
    if name is None:
        return kube.list_clusters(namespace)
    if namespace is not None:
        return [kube.get_cluster(namespace, name)]
    found = [c for c in kube.list_clusters(None) if c["metadata"]["name"] == name]
    if not found:
        raise NotFoundError(f"no WeaviateCluster named {name!r} in any namespace")
    if len(found) > 1:
        where = ", ".join(object_key(c) for c in found)
        raise NotFoundError(f"{name!r} is ambiguous ({where}): pass -n NAMESPACE")
    return found


class Service:
    """Turns triggers into reconcile passes over the clusters they name."""

    def __init__(self, kube: KubeApi, *, clock: Callable[[], datetime], workers: int = 16):
        self.kube = kube
        self.clock = clock
        self.workers = workers

    def reconciler(self) -> Reconciler:
        return Reconciler(self.kube, clock=self.clock)

    def reconcile(
        self,
        *,
        namespace: str | None = None,
        name: str | None = None,
        deadline: float | None = None,
    ) -> FleetReport:
        deadline = deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET
        fleet = Fleet(self.kube, self.reconciler(), workers=self.workers)
        if name is not None:
            (raw,) = find_clusters(self.kube, namespace=namespace, name=name)
            namespace = raw["metadata"]["namespace"]
        return fleet.reconcile_all(deadline=deadline, namespace=namespace, name=name)

    def plan(
        self, *, namespace: str | None = None, name: str | None = None
    ) -> dict[str, list[str]]:
        plans: dict[str, list[str]] = {}
        reconciler = self.reconciler()
        for raw in find_clusters(self.kube, namespace=namespace, name=name):
            meta = raw["metadata"]
            refs, kinds = refs_and_kinds(raw)
            index = LiveIndex.gather(
                self.kube, kinds, namespace=meta["namespace"], instance=meta["name"]
            )
            live = index.for_cluster(meta["namespace"], meta["name"], refs)
            plans[object_key(raw)] = reconciler.plan(raw, live)
        return plans

    def handle(self, trigger: Trigger, *, deadline: float) -> Outcome:
        """Run one trigger to completion or to its deadline, and say what happened."""
        if isinstance(trigger, ScheduleTrigger):
            report = self.reconcile(deadline=deadline)
        elif isinstance(trigger, ClusterTrigger):
            namespace, name = split_key(trigger.cluster)
            report = self.reconcile(namespace=namespace, name=name, deadline=deadline)
        else:
            raise NotImplementedError(type(trigger).__name__)
        return Outcome(
            ok=report.ok,
            retry=report.retryable,
            message=f"{len(report.clusters)} cluster(s) reconciled, {len(report.skipped)} deferred",
            clusters={k: r.summary() for k, r in report.clusters.items()},
        )
