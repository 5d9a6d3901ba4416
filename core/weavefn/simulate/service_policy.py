"""weavefn under simulation: the real Service, Reconciler, AutoscaleStep and evaluate on a local
cluster whose clock is the simulation's, with monitoring that reads the simulated load.

What runs, and when (the platform's part is modelled in simulate/platform.py):

- a schedule trigger every 60 s (an EventBridge rule's finest period): a full reconcile pass,
  which re-evaluates autoscaling; it stays the safety net;
- a CloudWatch-style high-resolution alarm on QPS per Ready node (one 10 s period) at the
  scale-out point, targetQPS x (1 + scale-up tolerance): below it ``evaluate`` would not act,
  so an alarm there would only wake weavefn for nothing and then stay in ALARM, never
  notifying again. It is evaluated every 10 s, 5 s off the schedule's grid; each state
  transition (OK -> ALARM, ALARM -> OK) is delivered to ``Service.handle`` as an AlarmTrigger
  naming the cluster, like an SNS notification;
- follow-ups: every pass that leaves work in flight (a scale held by its rate policy, new pods
  not yet Ready, a stabilization window) queues one; it is delivered as a ClusterTrigger
  FOLLOW_UP_DELIVERY s after it is due (queue delay plus a cold start), at that exact moment,
  between the simulation's samples;
- monitoring: every metric source reads the last METRIC_WINDOW s of the simulation, as the
  real sources query it (mean QPS of the cluster, mean CPU over all pods with a starting one
  at 0%, the latency quantile of all the window's queries pooled); memory reads a constant
  40% because query load does not move it in this model;
- scale-in: the simulated cluster holds no data, so the drain the real path performs before
  shrinking is taken to finish at once: the step records the scale event and shrinks the
  StatefulSet through the scale subresource, as the scale-out path does;
- pods become Ready ``ready_delay`` seconds after they start (the local cluster's kubelet); the
  Ready times are read back from the pods after each pass, so the finer integration steps in
  between make no API call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from weavefn.autoscale.behavior import scale_up_rules
from weavefn.autoscale.executor import ScaleIn
from weavefn.autoscale.history import parse_time, scaled
from weavefn.autoscale.metrics.port import MetricName, MissingReason, Reading, Target
from weavefn.events import ClusterEvent, EventReason
from weavefn.local.followups import LocalFollowUps
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.model.autoscaling import AutoScalingSpec, MetricSourceKind
from weavefn.model.resource import WeaviateCluster
from weavefn.reconcile.context import ClusterContext
from weavefn.render.labels import selector_labels
from weavefn.service import Service
from weavefn.simulate.capacity import CapacityModel
from weavefn.simulate.engine import History, PolicyName, Sample
from weavefn.simulate.platform import ALARM_PERIOD, FOLLOW_UP_DELIVERY, SCHEDULE_PERIOD
from weavefn.simulate.policies import ORIGIN, moment
from weavefn.triggers.model import (
    AlarmSource,
    AlarmState,
    AlarmTrigger,
    ClusterTrigger,
    ScheduleTrigger,
)

ALARM_OFFSET = 5.0
METRIC_WINDOW = 60.0
"""The real sources' window: CloudWatch and Cloud Monitoring at 60 s periods, PromQL rate[1m]."""
MEMORY_PERCENT = 40.0
ALARM_METRIC = "QPSPerNode"
PASS_BUDGET = 50.0
"""Seconds of real time one pass may take, as a function's remaining time would allow."""


class SimulatedMonitoring:
    """A MetricSource for every source kind, answering from the simulation's history."""

    def __init__(self, model: CapacityModel) -> None:
        self.model = model
        self.history = History()
        self.now = 0.0

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        value: float | None
        if target.metric is MetricName.MEMORY:
            value = MEMORY_PERCENT
        elif target.metric is MetricName.LATENCY:
            window = self.history.recent(METRIC_WINDOW, now=self.now)
            value = self.model.pooled_latency([(s.qps, s.ready) for s in window])
        else:
            value = self.history.mean(_FIELDS[target.metric], METRIC_WINDOW, now=self.now)
        if value is None:
            return Reading.absent(target, MissingReason.NO_DATA, "no simulated sample yet")
        return Reading.of(target, value)


_FIELDS: dict[MetricName, Callable[[Sample], float]] = {
    MetricName.QPS: lambda s: s.qps,
    # metrics.k8s.io reports every running pod and the kubernetes source does not filter by
    # readiness: a starting pod serves nothing and shows about 0%
    MetricName.CPU: lambda s: s.cpu * s.ready / s.replicas if s.replicas else 0.0,
}


def drain_at_once(ctx: ClusterContext, request: ScaleIn) -> None:
    """Scale in as if the departing nodes' drain had just finished (they hold no data here)."""
    spec = ctx.cluster.spec.auto_scaling
    meta = ctx.cluster.metadata
    current = ctx.kube.get_scale(meta.namespace, meta.name).replicas
    if spec is None or request.target >= current:
        return
    ctx.status.autoscaling = scaled(
        ctx.status.autoscaling,
        spec=spec,
        replicas=request.target,
        change=request.target - current,
        now=ctx.now,
    )
    ctx.save_status()
    ctx.kube.patch_scale(meta.namespace, meta.name, request.target)
    ctx.writes += 1
    text = f"scaled {current} -> {request.target}: {request.reason}"
    ctx.note(ClusterEvent(EventReason.SCALED_DOWN, text, action="Scale"))


class KubePods:
    """The local cluster's pods as the simulation sees them: count and Ready times."""

    def __init__(self) -> None:
        self.count = 0
        self.ready_times: tuple[float, ...] = ()

    @property
    def replicas(self) -> int:
        return self.count

    def ready(self, at: float) -> int:
        return sum(1 for moment_ in self.ready_times if moment_ <= at)


class WeavefnPolicy:
    """The real service path on a local cluster, driven by the simulation's clock."""

    name = PolicyName.WEAVEFN

    def __init__(
        self, cluster: WeaviateCluster, *, model: CapacityModel, ready_delay: float
    ) -> None:
        self.cluster = cluster
        spec = cluster.spec.auto_scaling or AutoScalingSpec()
        tolerance = scale_up_rules(spec.behavior).tolerance
        self.alarm_threshold = model.target_qps * (1 + tolerance)
        self.ready_delay = ready_delay
        origin = ORIGIN.timestamp()
        warmup = ready_delay + SCHEDULE_PERIOD
        self.clock = ManualClock(origin - warmup)
        self.kube = LocalKube(clock=self.clock, ready_delay=ready_delay)
        self.monitoring = SimulatedMonitoring(model)
        registry = dict.fromkeys(MetricSourceKind, self.monitoring)
        self.follow_ups = LocalFollowUps(self.kube.extras)
        self.service = Service(
            self.kube,
            clock=lambda: moment(self.clock() - origin),
            metrics=registry,
            scale_in=drain_at_once,
            workers=1,
            follow_ups=self.follow_ups,
        )
        self.alarm_firing = False
        self.notifications = 0
        self.delivered = 0
        """Follow-ups delivered (each one pass, or an acknowledgement if superseded)."""
        self._pods = KubePods()
        self._setup(warmup)

    def _setup(self, warmup: float) -> None:
        storage = self.cluster.spec.storage
        if storage is not None and storage.storage_class_name:
            self.kube.apply(_storage_class(storage.storage_class_name))
        self.kube.apply_cluster(self.cluster.to_dict())
        self._pass(ScheduleTrigger(event_id="warmup-0", occurred_at=moment(-warmup)))
        # The cluster starts the trace running and Ready, as the baselines do.
        self.clock.advance(warmup)
        self._pass(ScheduleTrigger(event_id="warmup-1", occurred_at=moment(0)))

    @property
    def pods(self) -> KubePods:
        return self._pods

    def act(self, now: float, history: History) -> None:
        self.monitoring.history = history
        self._deliver_until(now)
        self.monitoring.now = now
        self._move_to(now)
        if now > 0 and now % SCHEDULE_PERIOD == 0:
            self._pass(ScheduleTrigger(event_id=f"schedule-{now:.0f}", occurred_at=moment(now)))
        if now % ALARM_PERIOD == ALARM_OFFSET:
            self._alarm(now, history)

    def _move_to(self, now: float) -> None:
        at = ORIGIN.timestamp() + now
        if at > self.clock():
            self.clock.advance(at - self.clock())

    def _deliver_until(self, now: float) -> None:
        """Deliver each follow-up that arrives by ``now``, at the moment it arrives."""
        while (due := self.follow_ups.next_due()) is not None:
            arrival = (due - ORIGIN).total_seconds() + FOLLOW_UP_DELIVERY
            if arrival > now:
                return
            self._move_to(arrival)
            self.monitoring.now = arrival
            for trigger in self.follow_ups.take_due(due):
                self.delivered += 1
                self._pass(trigger)

    def _alarm(self, now: float, history: History) -> None:
        spec = self.cluster.spec.auto_scaling
        if spec is None or spec.target_qps is None:
            return
        per_node = history.mean(lambda s: s.qps_per_ready, ALARM_PERIOD, now=now)
        if per_node is None:
            return
        firing = per_node > self.alarm_threshold
        if firing == self.alarm_firing:
            return  # alarms notify on transitions only
        self.alarm_firing = firing
        self.notifications += 1
        meta = self.cluster.metadata
        self._pass(
            AlarmTrigger(
                source=AlarmSource.CLOUDWATCH_SNS,
                event_id=f"alarm-{self.notifications}",
                alarm_name=f"{meta.name}-qps-per-node",
                state=AlarmState.FIRING if firing else AlarmState.RESOLVED,
                occurred_at=moment(now),
                cluster=self.cluster.key,
                metric=ALARM_METRIC,
                observed=min(per_node, 1e12),
                threshold=self.alarm_threshold,
            )
        )

    def _pass(self, trigger: ScheduleTrigger | AlarmTrigger | ClusterTrigger) -> None:
        self.service.handle(trigger, deadline=time.monotonic() + PASS_BUDGET)
        meta = self.cluster.metadata
        replicas = self.kube.get_scale(meta.namespace, meta.name).replicas
        if replicas == self._pods.count and len(self._pods.ready_times) == replicas:
            return  # Ready times of pods already seen do not change
        pods = self.kube.list_pods(meta.namespace, selector_labels(self.cluster))
        origin = ORIGIN.timestamp()
        self._pods.count = replicas
        starting = self.clock() + self.ready_delay
        self._pods.ready_times = tuple(
            _ready_at(pod, self.ready_delay, starting=starting) - origin for pod in pods
        )


def _ready_at(pod: dict[str, Any], ready_delay: float, *, starting: float) -> float:
    """When a pod is (or will be) Ready, in epoch seconds; ``starting`` if it shows no start."""
    status = pod.get("status") or {}
    for condition in status.get("conditions", []):
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            moment_ = parse_time(condition.get("lastTransitionTime", ""))
            return moment_.timestamp() if moment_ else float("-inf")
    started = parse_time(status.get("startTime", ""))
    return started.timestamp() + ready_delay if started else starting


def _storage_class(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "simulated",
        "allowVolumeExpansion": True,
    }
