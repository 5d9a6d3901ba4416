"""The simulation loop: step a policy through the load, integrate replicas, latency and cost.

At each step (15 s by default) the policy acts first on what it has observed so far, then the
step's sample is taken with the pods that exist and are Ready at that moment. A sample stands
for the whole step: replica-hours, minutes above the latency target and utilization are sums
over samples. A scale event is a step at which the replica count differs from the previous one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Protocol

from weavefn.simulate.capacity import CapacityModel
from weavefn.simulate.trace import LoadPoint

STEP = 15.0
"""Seconds between samples: the HPA's sync period, and a divisor of every other period."""
PROGRESS_EVERY = 500
"""Load points between progress reports: often enough for a bar, rare enough to cost nothing."""


class PolicyName(StrEnum):
    WEAVEFN = "weavefn"
    STATIC_PEAK = "static-peak"
    HPA_CPU = "hpa-cpu"
    ALARM_5MIN = "alarm-5min"


@dataclass(frozen=True)
class Sample:
    """One step as the cluster lived it."""

    time: float
    qps: float
    replicas: int
    """Pods that exist (starting or Ready): what is paid for."""
    ready: int
    cpu: float
    """Percent per Ready replica."""
    latency: float
    """Seconds, at the spec's latency quantile."""

    @property
    def qps_per_ready(self) -> float:
        return self.qps / self.ready if self.ready else float("inf")


@dataclass
class History:
    """Samples so far, with the windowed means that monitoring would report."""

    samples: list[Sample] = field(default_factory=list)

    def recent(self, seconds: float, *, now: float) -> list[Sample]:
        """Samples that began within ``seconds`` before ``now``."""
        found: list[Sample] = []
        for sample in reversed(self.samples):
            if sample.time < now - seconds:
                break
            found.append(sample)
        return found

    def mean(self, value: Callable[[Sample], float], seconds: float, *, now: float) -> float | None:
        window = self.recent(seconds, now=now)
        if not window:
            return None
        return sum(value(s) for s in window) / len(window)

    @property
    def last(self) -> Sample | None:
        return self.samples[-1] if self.samples else None


class Pods(Protocol):
    """The replicas a policy runs: how many exist, and how many are Ready at a moment."""

    @property
    def replicas(self) -> int: ...

    def ready(self, at: float) -> int: ...


class Policy(Protocol):
    """A way of choosing replicas; ``act`` is called at every step before it is sampled."""

    name: PolicyName

    @property
    def pods(self) -> Pods: ...

    def act(self, now: float, history: History) -> None: ...


class SimPods:
    """Pods of a baseline: a new pod is Ready ``ready_delay`` after it starts; removal is at once
    and takes the newest pods first, as a StatefulSet removes its highest ordinals."""

    def __init__(self, replicas: int, *, ready_delay: float, start: float = 0.0) -> None:
        self.ready_delay = ready_delay
        self._ready_at = [start] * replicas

    @property
    def replicas(self) -> int:
        return len(self._ready_at)

    def ready(self, at: float) -> int:
        return sum(1 for moment in self._ready_at if moment <= at)

    def scale_to(self, replicas: int, *, now: float) -> None:
        if replicas > self.replicas:
            self._ready_at.extend([now + self.ready_delay] * (replicas - self.replicas))
        else:
            del self._ready_at[replicas:]


@dataclass(frozen=True)
class Figures:
    """What a run cost and how well it served."""

    replica_hours: float
    minutes_above_target: float
    scale_events: int
    mean_utilization: float
    """Queries served over the capacity paid for (every pod, starting or Ready), time-weighted."""


@dataclass(frozen=True)
class PolicyRun:
    policy: PolicyName
    figures: Figures
    samples: tuple[Sample, ...]


def figures_of(
    samples: Sequence[Sample], *, step: float, model: CapacityModel, latency_target: float
) -> Figures:
    served = sum(model.served(s.qps, s.ready) for s in samples)
    paid = sum(s.replicas for s in samples) * model.capacity_qps
    changes = sum(1 for a, b in pairwise(samples) if a.replicas != b.replicas)
    return Figures(
        replica_hours=sum(s.replicas for s in samples) * step / 3600,
        minutes_above_target=sum(step for s in samples if s.latency > latency_target) / 60,
        scale_events=changes,
        mean_utilization=served / paid if paid else 0.0,
    )


def run_policy(
    policy: Policy,
    load: Sequence[LoadPoint],
    *,
    model: CapacityModel,
    latency_target: float,
    step: float = STEP,
    progress: Callable[[int], None] | None = None,
) -> PolicyRun:
    """Step ``policy`` through ``load`` (sampled every ``step`` seconds) and sum the figures.

    ``progress`` is told how many load points were stepped, every PROGRESS_EVERY points.
    """
    history = History()
    for index, point in enumerate(load):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index)
        policy.act(point.time, history)
        pods = policy.pods
        ready = pods.ready(point.time)
        demand = point.cpu if point.cpu is not None else model.cpu_demand(point.qps)
        history.samples.append(
            Sample(
                time=point.time,
                qps=point.qps,
                replicas=pods.replicas,
                ready=ready,
                cpu=model.cpu_percent(demand, ready),
                latency=model.latency(point.qps, ready),
            )
        )
    samples = tuple(history.samples)
    figures = figures_of(samples, step=step, model=model, latency_target=latency_target)
    return PolicyRun(policy.name, figures, samples)
