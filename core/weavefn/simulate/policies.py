"""The three baselines weavefn is compared with: static peak, HPA defaults on CPU, 5-minute alarm.

- Static peak: ``max(minReplicas, ceil(peak qps / targetQPS))`` replicas, all Ready from the start,
  never changed (targetQPS is a replica's capacity at the target utilization, see capacity.py).
- HPA defaults on CPU: weavefn's pure ``evaluate`` configured as a Kubernetes HPA v2 with only a
  CPU target (the spec's targetCPU, 70 when unset), minReplicas/maxReplicas from the spec and
  the default behavior (tolerance 0.1; scale-up window 0 s, max(+4 pods, +100%) per 15 s;
  scale-down window 300 s, -100% per 15 s), run every 15 s (the controller's sync period) on
  what metrics-server last reported, as the real one reads it: metrics-server scrapes every
  15 s (its default --metric-resolution), half a period off the HPA's sync, and each point is
  the mean CPU over the 15 s window before its scrape (the kubelet's usage rate between two
  scrapes). Its Raft-voter floor is 1: the HPA knows
  nothing of Raft. Not-yet-Ready pods are handled as the HPA's replica calculator does on the way
  up (counted as using 0%, which holds back a scale-up until the new pods are Ready); on the way
  down they are counted at the Ready pods' average where the HPA sets them aside, which scales
  down by at most the same count, a little later.
- 5-minute alarm: a CloudWatch-style alarm on the average QPS per Ready node over a 300 s period
  (one evaluation period), evaluated every 300 s, with a step policy: above targetQPS -> +1
  replica, below 60% of targetQPS -> -1 replica, otherwise nothing; the action repeats every
  period the condition holds (as EC2 Auto Scaling re-runs a policy while its alarm stays in
  ALARM), within [minReplicas, maxReplicas]. 60% rather than, say, 80%: after removing one of
  three nodes at 80% the other two would sit at 120% and the alarm would flap.

Every baseline's new pods become Ready ``ready_delay`` seconds after they start, like weavefn's.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from weavefn.autoscale.behavior import (
    DEFAULT_TOLERANCE,
    ScaleEvent,
    TimedReplicas,
    longest_period,
    prune_events,
    scale_down_rules,
    scale_up_rules,
)
from weavefn.autoscale.decision import DecisionInput, evaluate
from weavefn.autoscale.metrics.port import MetricName, MetricSnapshot, Reading
from weavefn.local.kube import ManualClock
from weavefn.model.autoscaling import AutoScalingSpec, MetricSourceKind
from weavefn.simulate.capacity import DEFAULT_TARGET_CPU, CapacityModel
from weavefn.simulate.engine import History, PolicyName, SimPods

ORIGIN = datetime.fromtimestamp(ManualClock.DEFAULT_START, UTC)
"""The wall-clock moment of trace time 0, for code that reads datetimes."""
HPA_SYNC = 15.0
METRICS_RESOLUTION = 15.0
SCRAPE_PHASE = 7.5
"""Seconds between the HPA's sync grid and metrics-server's scrapes (unaligned: half a period)."""
ALARM_PERIOD = 300.0
ALARM_LOWER_SHARE = 0.6


def moment(seconds: float) -> datetime:
    return ORIGIN + timedelta(seconds=seconds)


def _due(now: float, period: float) -> bool:
    return now > 0 and now % period == 0


class StaticPeak:
    """As many replicas as the trace's peak needs at the target utilization, all the time."""

    name = PolicyName.STATIC_PEAK

    def __init__(self, *, peak_qps: float, model: CapacityModel, min_replicas: int) -> None:
        self.replicas = max(min_replicas, model.replicas_for(peak_qps))
        self._pods = SimPods(self.replicas, ready_delay=0.0)

    @property
    def pods(self) -> SimPods:
        return self._pods

    def act(self, now: float, history: History) -> None:
        """Static provisioning never changes."""


def hpa_cpu(ready_cpu: float, *, ready: int, replicas: int, target: float) -> float:
    """The average CPU the HPA acts on: on the way up, not-yet-Ready pods count as 0%."""
    if ready >= replicas or ready_cpu / target <= 1 + DEFAULT_TOLERANCE:
        return ready_cpu
    return ready_cpu * ready / replicas


def metrics_server_cpu(history: History, *, now: float) -> tuple[float, int] | None:
    """metrics-server's latest point at ``now``: mean CPU per Ready pod over the window before
    its last scrape, and the Ready pods at that scrape; None before its first."""
    scrape = math.floor((now - SCRAPE_PHASE) / METRICS_RESOLUTION) * METRICS_RESOLUTION
    scrape += SCRAPE_PHASE
    window = [s for s in history.recent(METRICS_RESOLUTION, now=scrape) if s.time < scrape]
    if not window:
        return None
    ready = window[0].ready  # recent() is newest first
    return sum(s.cpu for s in window) / len(window), ready


class HpaCpu:
    """Kubernetes HPA v2 with default behavior on a CPU target; see the module docstring."""

    name = PolicyName.HPA_CPU

    def __init__(self, spec: AutoScalingSpec, *, replicas: int, ready_delay: float) -> None:
        target = float(spec.target_cpu) if spec.target_cpu is not None else DEFAULT_TARGET_CPU
        self.spec = AutoScalingSpec.model_validate(
            {
                "enabled": True,
                "minReplicas": spec.min_replicas,
                "maxReplicas": spec.max_replicas,
                "targetCPU": target,
            }
        )
        self.target = target
        self._pods = SimPods(replicas, ready_delay=ready_delay)
        self._recommendations: tuple[TimedReplicas, ...] = ()
        self._events: tuple[ScaleEvent, ...] = ()
        self._keep = longest_period(
            scale_up_rules(self.spec.behavior), scale_down_rules(self.spec.behavior)
        )

    @property
    def pods(self) -> SimPods:
        return self._pods

    def act(self, now: float, history: History) -> None:
        point = metrics_server_cpu(history, now=now)
        if not _due(now, HPA_SYNC) or point is None:
            return
        cpu, ready = point
        when = moment(now)
        readings: tuple[Reading, ...] = ()
        if ready > 0:
            value = hpa_cpu(cpu, ready=ready, replicas=self._pods.replicas, target=self.target)
            readings = (Reading(MetricName.CPU, MetricSourceKind.KUBERNETES, value),)
        decision = evaluate(
            DecisionInput(
                spec=self.spec,
                current=self._pods.replicas,
                voters=1,
                snapshot=MetricSnapshot(readings),
                now=when,
                recommendations=self._recommendations,
                scale_events=self._events,
            )
        )
        self._recommendations = decision.recommendations
        if decision.change:
            self._events = (
                *prune_events(self._events, now=when, keep_seconds=self._keep),
                ScaleEvent(when, decision.change),
            )
            self._pods.scale_to(decision.replicas, now=now)


class AlarmPeriod:
    """A 5-minute QPS-per-node alarm with a +1/-1 step policy; see the module docstring."""

    name = PolicyName.ALARM_5MIN

    def __init__(self, spec: AutoScalingSpec, *, replicas: int, ready_delay: float) -> None:
        if spec.target_qps is None:
            raise ValueError("the alarm baseline needs spec.autoScaling.targetQPS")
        self.upper = float(spec.target_qps)
        self.lower = ALARM_LOWER_SHARE * self.upper
        self.floor, self.ceiling = spec.min_replicas, spec.max_replicas
        self._pods = SimPods(replicas, ready_delay=ready_delay)

    @property
    def pods(self) -> SimPods:
        return self._pods

    def act(self, now: float, history: History) -> None:
        if not _due(now, ALARM_PERIOD):
            return
        per_node = history.mean(lambda s: s.qps_per_ready, ALARM_PERIOD, now=now)
        if per_node is None:
            return
        replicas = self._pods.replicas
        if per_node > self.upper:
            replicas = min(replicas + 1, self.ceiling)
        elif per_node < self.lower:
            replicas = max(replicas - 1, self.floor)
        self._pods.scale_to(replicas, now=now)
