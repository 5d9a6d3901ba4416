"""The simulator's capacity model, pure: what a replica serves, how busy it is, how slow it gets.

Every constant and formula the simulator's figures rest on is here.

Capacity. The spec's two targets are read as one operating point: a replica serving
``targetQPS`` queries per second runs at ``targetCPU`` percent (70 when unset). CPU is linear in
load, so a replica saturates (100% of its CPU request) at

    capacity_qps = targetQPS / (targetCPU / 100)          e.g. 1000 / 0.70 = 1428.6 qps

and "capacity at the target utilization" is ``targetQPS`` itself. Requests are taken to be what
a replica can use (Guaranteed QoS), so CPU never reads above 100%.

CPU. The trace's optional ``cpu`` column is the CPU the load demands, in percent of one
replica's capacity summed over the cluster (450 = four and a half replicas fully busy); without
it, demand = 100 * qps / capacity_qps. Each Ready replica reports
``min(100, demand / ready)`` percent.

Latency. Each Ready replica is an M/M/c queue with c = ``workers`` query slots, each serving
one query in the base service time s (queries are spread evenly over Ready replicas):

    s        = 10 ms                 (an HNSW query on an idle replica: BASE_SERVICE_TIME)
    workers  = max(1, round(capacity_qps * s))           (14 for capacity 1428.6 qps)
    s        = workers / capacity_qps                    (re-derived so capacity stays exact)
    lambda   = qps / ready           a = lambda * s      rho = a / workers
    C        = Erlang C(workers, a)  the probability that a query waits
    W_q(q)   = 0 when C <= 1 - q, else ln(C / (1 - q)) / (workers / s - lambda)
    latency  = s + W_q(q)            at the spec's latencyQuantile q (default 0.95)

The waiting time of M/M/c is exponential beyond the probability C, which gives W_q(q); the
service time is added as the constant s because a vector search's cost varies little with
load. Over a window of several steps, latency is the quantile of all the window's queries
pooled (as ``histogram_quantile`` over a rate window reports it), found by bisection on the
pooled share of queries slower than x: sum(qps_i * P_i(latency > x)) / sum(qps_i) = 1 - q, with
P_i(latency > x) = C_i * exp(-(workers / s - lambda_i) * (x - s)) for x >= s. When rho >= 1 (or no replica is Ready) the queue grows without bound and latency reads
TIMEOUT = 5 s, a client's timeout. Each step is a steady state: a backlog built while
saturated is not carried into the next step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from weavefn.model.autoscaling import AutoScalingSpec

BASE_SERVICE_TIME = 0.010
"""Seconds one query takes on an idle replica before it is re-derived from the capacity."""
DEFAULT_TARGET_CPU = 70.0
"""Percent: the operating point when the spec sets a QPS target but no CPU target."""
TIMEOUT = 5.0
"""Seconds: what a saturated replica's latency reads as (clients give up)."""


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with ``offered`` load a = lambda / mu."""
    if offered <= 0:
        return 0.0
    if offered >= servers:
        return 1.0
    # Erlang B by its stable recursion, then C = c B / (c - a (1 - B))
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    return servers * blocking / (servers - offered * (1 - blocking))


@dataclass(frozen=True)
class CapacityModel:
    """One replica's capacity and the latency it gives at a load; see the module docstring."""

    capacity_qps: float
    target_qps: float
    workers: int
    service_time: float
    quantile: float = 0.95

    @classmethod
    def of(
        cls, *, target_qps: float, target_cpu: float | None = None, quantile: float = 0.95
    ) -> CapacityModel:
        utilization = (target_cpu if target_cpu is not None else DEFAULT_TARGET_CPU) / 100
        capacity = target_qps / utilization
        workers = max(1, round(capacity * BASE_SERVICE_TIME))
        return cls(capacity, target_qps, workers, workers / capacity, quantile)

    @classmethod
    def for_spec(cls, spec: AutoScalingSpec) -> CapacityModel:
        """The model for a cluster whose spec sets ``targetQPS`` (the caller checks it does)."""
        if spec.target_qps is None:
            raise ValueError("the capacity model needs spec.autoScaling.targetQPS")
        target_cpu = float(spec.target_cpu) if spec.target_cpu is not None else None
        return cls.of(
            target_qps=float(spec.target_qps),
            target_cpu=target_cpu,
            quantile=spec.latency_quantile,
        )

    @property
    def target_utilization(self) -> float:
        return self.target_qps / self.capacity_qps

    def cpu_demand(self, qps: float) -> float:
        """Percent of one replica's CPU the load needs, summed over the cluster."""
        return 100.0 * qps / self.capacity_qps

    def cpu_percent(self, demand: float, ready: int) -> float:
        """What each Ready replica reports; 0 when none is Ready (nothing to measure)."""
        if ready <= 0:
            return 0.0
        return min(100.0, demand / ready)

    def served(self, qps: float, ready: int) -> float:
        """Queries per second actually answered: the load, up to the Ready replicas' capacity."""
        return min(qps, max(ready, 0) * self.capacity_qps)

    def latency(self, qps: float, ready: int) -> float:
        """Seconds at the model's quantile for ``qps`` spread over ``ready`` replicas."""
        if qps <= 0:
            return self.service_time if ready > 0 else TIMEOUT
        if ready <= 0:
            return TIMEOUT
        arrival = qps / ready
        offered = arrival * self.service_time
        if offered >= self.workers:
            return TIMEOUT
        waits = erlang_c(self.workers, offered)
        tail = 1.0 - self.quantile
        if waits <= tail:
            return self.service_time
        drain = self.workers / self.service_time - arrival
        return min(TIMEOUT, self.service_time + math.log(waits / tail) / drain)

    def _tail_terms(self, qps: float, ready: int) -> tuple[float, float] | None:
        """(C, drain rate) of one step's waiting time; None when it is saturated."""
        if ready <= 0 or qps / ready * self.service_time >= self.workers:
            return None
        arrival = qps / ready
        return erlang_c(self.workers, arrival * self.service_time), (
            self.workers / self.service_time - arrival
        )

    def pooled_latency(self, steps: Sequence[tuple[float, int]]) -> float | None:
        """The quantile over all queries of several steps of (qps, ready), as a histogram
        quantile over a window reports it, found by bisection; None for no steps."""
        if not steps:
            return None
        total = sum(qps for qps, _ in steps)
        if total <= 0:
            return self.service_time
        terms = [(qps / total, self._tail_terms(qps, ready)) for qps, ready in steps if qps > 0]
        allowed = 1 - self.quantile
        saturated = sum(weight for weight, found in terms if found is None)
        if saturated > allowed:
            return TIMEOUT

        def tail(latency: float) -> float:
            wait = latency - self.service_time
            return saturated + sum(
                weight * found[0] * math.exp(-found[1] * wait)
                for weight, found in terms
                if found is not None
            )

        low, high = self.service_time, TIMEOUT
        if tail(low) <= allowed:
            return low
        for _ in range(40):
            middle = (low + high) / 2
            low, high = (middle, high) if tail(middle) > allowed else (low, middle)
        return high

    def replicas_for(self, qps: float) -> int:
        """Replicas that serve ``qps`` at the target utilization: ceil(qps / targetQPS)."""
        return max(1, math.ceil(qps / self.target_qps - 1e-9))
