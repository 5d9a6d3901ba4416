"""Run weavefn and the three baselines over one trace and compare them; checks what can be run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.autoscaling import AutoScalingSpec
from weavefn.model.resource import WeaviateCluster
from weavefn.model.units import parse_duration
from weavefn.simulate.capacity import CapacityModel
from weavefn.simulate.engine import Policy, PolicyName, PolicyRun, run_policy
from weavefn.simulate.platform import ALARM_PERIOD
from weavefn.simulate.policies import HPA_SYNC, AlarmPeriod, HpaCpu, StaticPeak
from weavefn.simulate.service_policy import WeavefnPolicy
from weavefn.simulate.trace import Trace, resample

DEFAULT_READY_DELAY = 120.0
"""Seconds from a pod's start to Ready: image on the node, Weaviate start, memberlist join."""
STEP = 5.0
"""Seconds between samples: divides the HPA's 15 s sync and the alarm's 10 s period, so each
acts exactly on its own grid; follow-ups are delivered between samples, at their moment."""
HPA_SHARE = 0.75
"""weavefn's goal against HPA defaults: at most this share of its minutes above target."""
STATIC_SAVING_TARGET = 0.30
"""weavefn's goal: at least 30% fewer replica-hours than static peak provisioning."""


@dataclass(frozen=True)
class Comparison:
    """Every policy's run over one trace, weavefn first."""

    trace: str
    duration: float
    latency_target: float
    ready_delay: float
    model: CapacityModel
    runs: tuple[PolicyRun, ...]

    def run(self, policy: PolicyName) -> PolicyRun:
        return next(r for r in self.runs if r.policy is policy)

    @property
    def saving_vs_static(self) -> float:
        """Share of static peak's replica-hours weavefn does without (0.4 = 40% fewer)."""
        static = self.run(PolicyName.STATIC_PEAK).figures.replica_hours
        ours = self.run(PolicyName.WEAVEFN).figures.replica_hours
        return 1 - ours / static if static else 0.0

    @property
    def beats_hpa_on_latency(self) -> bool:
        """At most HPA_SHARE of HPA defaults' minutes above the latency target (or none at all)
        with no more replica-hours than the HPA: faster, and not by buying more pods."""
        ours = self.run(PolicyName.WEAVEFN).figures
        hpa = self.run(PolicyName.HPA_CPU).figures
        cheaper = ours.replica_hours <= hpa.replica_hours
        if ours.minutes_above_target == 0:
            return True
        return cheaper and ours.minutes_above_target <= HPA_SHARE * hpa.minutes_above_target

    @property
    def saves_vs_static(self) -> bool:
        return self.saving_vs_static >= STATIC_SAVING_TARGET


def simulation_spec(cluster: WeaviateCluster) -> AutoScalingSpec:
    """The cluster's autoscaling spec, if the simulator can run it; else every reason why not."""
    spec = cluster.spec.auto_scaling
    base = "spec.autoScaling"
    if spec is None:
        raise InvalidInputError(
            [FieldError(base, "the simulator needs an autoScaling block")], what="cluster"
        )
    errors = []
    if not spec.enabled:
        errors.append(FieldError(f"{base}.enabled", "must be true to simulate autoscaling"))
    if spec.target_qps is None:
        errors.append(
            FieldError(
                f"{base}.targetQPS",
                "the capacity model sizes replicas from it: set queries per second per replica",
            )
        )
    if spec.target_latency is None:
        errors.append(
            FieldError(f"{base}.targetLatency", "minutes above the latency target need one")
        )
    if errors:
        raise InvalidInputError(errors, what="cluster")
    return spec


def simulate(
    cluster: WeaviateCluster,
    trace: Trace,
    *,
    ready_delay: float = DEFAULT_READY_DELAY,
    step: float = STEP,
    progress: Callable[[float], None] | None = None,
) -> Comparison:
    """Replay ``trace`` through weavefn and the baselines; every policy starts with the same
    replicas (spec.replicas within [minReplicas, maxReplicas]) Ready.

    ``progress`` is told the share of the whole run done so far (0 to 1), now and then.
    """
    spec = simulation_spec(cluster)
    if ready_delay < 0:
        raise InvalidInputError(
            [FieldError("readyDelay", "must not be negative")], what="simulation"
        )
    if step <= 0 or HPA_SYNC % step or ALARM_PERIOD % step:
        raise ValueError(
            f"the step must divide the HPA's {HPA_SYNC:g} s sync and the alarm's "
            f"{ALARM_PERIOD:g} s period"
        )
    assert spec.target_latency is not None  # checked by simulation_spec
    model = CapacityModel.for_spec(spec)
    start = min(max(cluster.spec.replicas, spec.min_replicas), spec.max_replicas)
    policies: tuple[Policy, ...] = (
        WeavefnPolicy(cluster, model=model, ready_delay=ready_delay),
        StaticPeak(peak_qps=trace.peak_qps, model=model, min_replicas=spec.min_replicas),
        HpaCpu(spec, replicas=start, ready_delay=ready_delay),
        AlarmPeriod(spec, replicas=start, ready_delay=ready_delay),
    )
    load = resample(trace, step=step)
    target = parse_duration(spec.target_latency)
    total = max(1, len(load) * len(policies))

    def stepped(done_before: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        report = progress
        return lambda index: report((done_before + index) / total)

    runs = tuple(
        run_policy(
            policy,
            load,
            model=model,
            latency_target=target,
            step=step,
            progress=stepped(number * len(load)),
        )
        for number, policy in enumerate(policies)
    )
    if progress is not None:
        progress(1.0)
    return Comparison(
        trace=trace.name,
        duration=trace.duration,
        latency_target=target,
        ready_delay=ready_delay,
        model=model,
        runs=runs,
    )
