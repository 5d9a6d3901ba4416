"""The core service: resolve which clusters a trigger names, run the pass on each, report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from weavefn.autoscale.drain import Drain
from weavefn.autoscale.executor import AutoscaleStep, ScaleInPath, refuse_scale_in
from weavefn.autoscale.metrics.port import Hint, Registry, metric_for_alarm
from weavefn.autoscale.rebalance import Rebalancer
from weavefn.autoscale.spec_replicas import SpecReplicasStep
from weavefn.errors import NotFoundError, TerminalError
from weavefn.kube.port import ClusterStore, KubeApi, Obj
from weavefn.lifecycle.backup import BackupScheduler
from weavefn.lifecycle.cluster_auth import ClusterAuthStep
from weavefn.lifecycle.plan import plan_operations
from weavefn.lifecycle.restore.step import Restorer
from weavefn.lifecycle.template.step import TemplateRollouter, template_pin
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.lifecycle.upgrade.step import Upgrader, upgrade_pin
from weavefn.model.keys import object_key, split_key
from weavefn.observe.calls import counting
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.delivery import arrived_early, done, queue_follow_ups, superseded_by
from weavefn.reconcile.fleet import Fleet, FleetReport, refs_and_kinds
from weavefn.reconcile.followup import stamp
from weavefn.reconcile.live import LiveIndex
from weavefn.reconcile.reconciler import Reconciler
from weavefn.reconcile.template import Pin
from weavefn.triggers.model import (
    AlarmState,
    AlarmTrigger,
    ClusterTrigger,
    Outcome,
    RestoreRequest,
    ScheduleTrigger,
    Trigger,
    UpgradeRequest,
)
from weavefn.weaviate.connect import WeaviateConnector
from weavefn.weaviate.port import WeaviateApi

if TYPE_CHECKING:
    from weavefn.queue.port import FollowUpQueue

log = logging.getLogger("weavefn")

DEFAULT_BUDGET = 50.0
PassObserver = Callable[[FleetReport], None]
"""Told of every pass (the metric emitters); it must not raise."""


def operation_pin(ctx: ClusterContext) -> Pin | None:
    """What the one operation in flight holds the StatefulSet to, if it rolls pods."""
    return upgrade_pin(ctx) or template_pin(ctx)


def find_clusters(kube: ClusterStore, *, namespace: str | None, name: str | None) -> list[Obj]:
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

    def __init__(
        self,
        kube: KubeApi,
        *,
        clock: Callable[[], datetime],
        metrics: Registry | None = None,
        scale_in: ScaleInPath = refuse_scale_in,
        workers: int = 16,
        weaviate: WeaviateConnector | None = None,
        pause: Callable[[float], None] = time.sleep,
        observer: PassObserver | None = None,
        follow_ups: FollowUpQueue | None = None,
    ) -> None:
        self.observer = observer
        self.follow_ups = follow_ups
        """Where passes queue their follow-ups; None: only the schedule comes back."""
        self.kube = kube
        self.pause = pause
        self.weaviate = weaviate
        self.clock = clock
        self.metrics: Registry = metrics or {}
        self.scale_in = scale_in
        self.workers = workers

    def reconciler(
        self,
        *,
        hint: Hint | None = None,
        hint_time: datetime | None = None,
        event_id: str | None = None,
        delivered: str | None = None,
    ) -> Reconciler:
        def autoscale(scale_in: ScaleInPath) -> AutoscaleStep:
            return AutoscaleStep(
                registry=self.metrics,
                scale_in=scale_in,
                hint=hint,
                hint_time=hint_time,
                event_id=event_id,
            )

        if self.weaviate is None:
            # No way to reach Weaviate: no upgrades, backups, drains or pod-template rollouts
            # (a changed template is held); new clusters still get their internal auth Secret.
            return Reconciler(
                self.kube,
                clock=self.clock,
                before=[ClusterAuthStep(can_switch=False)],
                after=[SpecReplicasStep(self.scale_in), autoscale(self.scale_in)],
                pause=self.pause,
                delivered=delivered,
            )
        connector = self.weaviate

        def api_for(ctx: ClusterContext) -> WeaviateApi:
            return connector.for_cluster(ctx.cluster, ctx.live.pods)

        drain = Drain(api_for)
        # A drain moves every replica off the departing nodes before the StatefulSet shrinks.
        scale_in = drain.scale_in if self.scale_in is refuse_scale_in else self.scale_in
        return Reconciler(
            self.kube,
            clock=self.clock,
            # the operations that act before objects are applied: the pin follows the upgrade or
            # the pod-template rollout in flight (one at a time); an asked restore is taken up
            # before another operation can begin
            before=[
                Restorer(api_for),
                Upgrader(api_for),
                ClusterAuthStep(),
                TemplateRollouter(api_for),
                BackupScheduler(api_for),
                drain,
            ],
            after=[SpecReplicasStep(scale_in), autoscale(scale_in), Rebalancer(api_for)],
            pin=operation_pin,
            planners=[plan_operations],
            pause=self.pause,
            delivered=delivered,
        )

    def reconcile(
        self,
        *,
        namespace: str | None = None,
        name: str | None = None,
        deadline: float | None = None,
        reconciler: Reconciler | None = None,
    ) -> FleetReport:
        deadline = deadline if deadline is not None else time.monotonic() + DEFAULT_BUDGET
        fleet = Fleet(self.kube, reconciler or self.reconciler(), workers=self.workers)
        started = time.monotonic()
        report = FleetReport()
        try:
            with counting() as listed:
                if name is not None:
                    (raw,) = find_clusters(self.kube, namespace=namespace, name=name)
                    namespace = raw["metadata"]["namespace"]
                report = fleet.reconcile_all(deadline=deadline, namespace=namespace, name=name)
            queue_follow_ups(self.follow_ups, report)
        finally:
            # a pass that failed before any cluster (a list call) is reported too
            report.seconds = time.monotonic() - started
            report.api_calls += listed.calls + sum(r.api_calls for r in report.clusters.values())
            report.api_errors += listed.errors + sum(r.api_errors for r in report.clusters.values())
            if self.observer is not None:
                self.observer(report)
        return report

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
        if isinstance(trigger, AlarmTrigger):
            return self._alarm(trigger, deadline=deadline)
        if isinstance(trigger, ScheduleTrigger):
            report = self.reconcile(deadline=deadline)
        elif isinstance(trigger, ClusterTrigger):
            if trigger.due is not None:
                return self._follow_up(trigger, trigger.due, deadline=deadline)
            namespace, name = split_key(trigger.cluster)
            report = self.reconcile(namespace=namespace, name=name, deadline=deadline)
        elif isinstance(trigger, UpgradeRequest):
            message = start_upgrade(self.kube, trigger)
            namespace, name = split_key(trigger.cluster)
            outcome = _outcome(self.reconcile(namespace=namespace, name=name, deadline=deadline))
            return replace(outcome, message=f"{message}; {outcome.message}")
        elif isinstance(trigger, RestoreRequest):
            return self.restore(trigger, deadline=deadline)
        else:
            raise NotImplementedError(type(trigger).__name__)
        return _outcome(report)

    def _follow_up(self, trigger: ClusterTrigger, due: datetime, *, deadline: float) -> Outcome:
        """A follow-up: the pass it was queued for, unless it came early or was superseded."""
        key, now = trigger.cluster, self.clock()
        early = arrived_early(self.follow_ups, trigger, due=due, now=now)
        if early is not None:
            return early
        namespace, name = split_key(key)
        try:
            raw = self.kube.get_cluster(namespace, name)
        except NotFoundError:
            return done(key, "follow-up for a cluster that is gone: nothing to do")
        superseded = superseded_by(raw, key=key, due=due)
        if superseded is not None:
            return superseded
        reconciler = self.reconciler(delivered=stamp(due))
        report = self.reconcile(
            namespace=namespace, name=name, deadline=deadline, reconciler=reconciler
        )
        return _outcome(report)

    def restore(self, request: RestoreRequest, *, deadline: float) -> Outcome:
        """Check and record the restore ``request`` asks for, then run a pass that takes it up."""
        from weavefn.lifecycle.restore.request import request_restore

        if self.weaviate is None:
            raise TerminalError("this runtime cannot reach Weaviate: no restore is possible")
        message = request_restore(self.kube, self.weaviate, request, now=self.clock())
        namespace, name = split_key(request.cluster)
        outcome = _outcome(self.reconcile(namespace=namespace, name=name, deadline=deadline))
        return replace(outcome, message=f"{message}; {outcome.message}")

    def clusters_for_alarm(self, alarm: AlarmTrigger) -> list[Obj]:
        """The clusters an alarm names: by its cluster dimension, or by spec.autoScaling.alarms."""
        if alarm.cluster is not None:
            namespace, name = split_key(alarm.cluster)
            try:
                return [self.kube.get_cluster(namespace, name)]
            except NotFoundError:
                return []
        return [
            raw
            for raw in self.kube.list_clusters(None)
            if alarm.alarm_name
            in ((raw.get("spec") or {}).get("autoScaling") or {}).get("alarms", [])
        ]

    def _alarm(self, alarm: AlarmTrigger, *, deadline: float) -> Outcome:
        clusters = self.clusters_for_alarm(alarm)
        if not clusters:
            # Acknowledged, not retried: a retry storm cannot make an unknown alarm known.
            log.warning("alarm names no cluster", extra={"alarm": alarm.alarm_name})
            return Outcome(ok=True, message=f"alarm {alarm.alarm_name!r} names no known cluster")
        hint = _hint(alarm)
        merged = FleetReport()
        for raw in clusters:
            meta = raw["metadata"]
            reconciler = self.reconciler(
                hint=hint, hint_time=alarm.occurred_at, event_id=alarm.event_id
            )
            report = self.reconcile(
                namespace=meta["namespace"],
                name=meta["name"],
                deadline=deadline,
                reconciler=reconciler,
            )
            merged.clusters.update(report.clusters)
            merged.skipped.extend(report.skipped)
        return _outcome(merged)


_PER_REPLICA_WORDS = ("pernode", "per_node", "per-node", "perreplica", "per_replica", "perpod")


def _hint(alarm: AlarmTrigger) -> Hint | None:
    """A firing alarm's observed value stands in for a metric its source cannot read."""
    if alarm.state is not AlarmState.FIRING or alarm.observed is None or not alarm.metric:
        return None
    metric = metric_for_alarm(alarm.metric)
    if metric is None:
        return None
    per_replica = any(word in alarm.metric.lower() for word in _PER_REPLICA_WORDS)
    return Hint(metric, alarm.observed, per_replica=per_replica)


def _outcome(report: FleetReport) -> Outcome:
    return Outcome(
        ok=report.ok,
        retry=report.retryable,
        message=f"{len(report.clusters)} cluster(s) reconciled, {len(report.skipped)} deferred",
        clusters={k: r.summary() for k, r in report.clusters.items()},
    )
