"""Each policy on a tiny trace: when it scales, by how much, and what that costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.model.autoscaling import AutoScalingSpec
from weavefn.model.resource import parse_cluster
from weavefn.simulate.capacity import CapacityModel
from weavefn.simulate.engine import History, PolicyRun, Sample, run_policy
from weavefn.simulate.policies import (
    AlarmPeriod,
    HpaCpu,
    StaticPeak,
    hpa_cpu,
    metrics_server_cpu,
)
from weavefn.simulate.service_policy import WeavefnPolicy
from weavefn.simulate.trace import parse_trace, resample

ROOT = Path(__file__).resolve().parents[3]
SPEC = AutoScalingSpec.model_validate(
    {"enabled": True, "minReplicas": 3, "maxReplicas": 10, "targetCPU": 70, "targetQPS": 1000}
)
MODEL = CapacityModel.for_spec(SPEC)
TARGET = 0.05


def step_trace(*levels: tuple[float, float]) -> str:
    """(start second, qps) levels held until the next one; a sharp edge at each start."""
    rows = ["time,qps"]
    for (start, qps), (end, _) in zip(levels, [*levels[1:], (levels[-1][0] + 900, 0)], strict=True):
        rows += [f"{start:g},{qps:g}", f"{end - 1:g},{qps:g}"]
    return "\n".join(rows) + "\n"


def run(policy: Any, text: str) -> PolicyRun:
    load = resample(parse_trace(text), step=15)
    return run_policy(policy, load, model=MODEL, latency_target=TARGET)


def replicas_at(result: PolicyRun, second: float) -> int:
    return next(s.replicas for s in result.samples if s.time == second)


def test_static_peak_keeps_the_peaks_replicas_all_the_time() -> None:
    policy = StaticPeak(peak_qps=7200, model=MODEL, min_replicas=3)
    result = run(policy, step_trace((0, 2000), (600, 7200)))
    assert {s.replicas for s in result.samples} == {8}
    assert result.figures.scale_events == 0
    assert result.figures.minutes_above_target == 0
    assert result.figures.replica_hours == pytest.approx(8 * len(result.samples) * 15 / 3600)


def test_static_peak_never_goes_below_min_replicas() -> None:
    assert StaticPeak(peak_qps=500, model=MODEL, min_replicas=3).replicas == 3


@pytest.mark.parametrize(
    ("ready_cpu", "ready", "replicas", "expected"),
    [
        pytest.param(100.0, 3, 5, 60.0, id="up-unready-count-as-zero"),
        pytest.param(100.0, 5, 5, 100.0, id="all-ready"),
        pytest.param(40.0, 3, 5, 40.0, id="down-unready-at-average"),
        pytest.param(75.0, 3, 5, 75.0, id="within-tolerance-untouched"),
    ],
)
def test_hpa_cpu_reading(ready_cpu: float, ready: int, replicas: int, expected: float) -> None:
    assert hpa_cpu(ready_cpu, ready=ready, replicas=replicas, target=70) == expected


def test_hpa_scales_up_at_the_next_sync_then_waits_for_its_new_pods() -> None:
    policy = HpaCpu(SPEC, replicas=3, ready_delay=120)
    result = run(policy, step_trace((0, 2000), (300, 6000), (1500, 2000)))
    # CPU reads 100% (saturated): ceil(3 * 100 / 70) = 5 at the first sync after the edge
    assert replicas_at(result, 300) == 3
    assert replicas_at(result, 315) == 5
    # new pods count as 0% until Ready: no further scale-up during the ready delay
    assert replicas_at(result, 420) == 5
    # once Ready, 6000 qps on 5 replicas is 84% CPU: ceil(5 * 84 / 70) = 6
    assert replicas_at(result, 480) == 6
    assert result.figures.minutes_above_target == pytest.approx(2.25)


def test_hpa_scales_down_only_after_the_five_minute_window() -> None:
    policy = HpaCpu(SPEC, replicas=6, ready_delay=0)
    result = run(policy, step_trace((0, 5600), (300, 2000)))
    assert replicas_at(result, 585) == 6
    assert replicas_at(result, 630) == 3


@pytest.mark.parametrize(
    ("qps", "start", "after_one_period", "after_two"),
    [
        pytest.param(4500.0, 3, 4, 5, id="above-target-plus-one-per-period"),
        pytest.param(2500.0, 5, 4, 4, id="below-lower-threshold-minus-one"),
        pytest.param(3600.0, 4, 4, 4, id="between-thresholds-nothing"),
        pytest.param(100.0, 3, 3, 3, id="never-below-min"),
    ],
)
def test_alarm_period_steps_one_replica_per_five_minutes(
    qps: float, start: int, after_one_period: int, after_two: int
) -> None:
    policy = AlarmPeriod(SPEC, replicas=start, ready_delay=0)
    result = run(policy, step_trace((0, qps), (660, qps)))
    assert replicas_at(result, 285) == start
    assert replicas_at(result, 300) == after_one_period
    assert replicas_at(result, 600) == after_two


def test_weavefn_scales_through_the_real_service_path() -> None:
    raw = yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text())
    cluster = parse_cluster(raw, with_status=False)
    spec = cluster.spec.auto_scaling
    assert spec is not None
    policy = WeavefnPolicy(cluster, model=CapacityModel.for_spec(spec), ready_delay=60)
    result = run(policy, step_trace((0, 2000), (300, 6000), (1500, 2000)))

    before = replicas_at(result, 285)
    peak = max(s.replicas for s in result.samples)
    assert before == 3 and peak >= 5
    # the cluster itself says what happened: scale events in status, ScaledUp Events
    status = policy.kube.get_cluster("weaviate", "production")["status"]
    assert status["autoscaling"]["scaleEvents"]
    reasons = {e["reason"] for e in policy.kube.list_events("weaviate")}
    assert {"ScaledUp", "ScaledDown"} <= reasons
    # back down once the load is gone and the 300 s window has passed
    assert result.samples[-1].replicas < peak


def test_weavefn_follows_up_a_burst_at_each_rate_period_between_ticks() -> None:
    raw = yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text())
    cluster = parse_cluster(raw, with_status=False)
    spec = cluster.spec.auto_scaling
    assert spec is not None
    policy = WeavefnPolicy(cluster, model=CapacityModel.for_spec(spec), ready_delay=60)
    load = resample(parse_trace(step_trace((0, 2000), (300, 9000))), step=5)
    result = run_policy(policy, load, model=MODEL, latency_target=TARGET)

    # the 10 s alarm fires within seconds of the burst; the rate policy's next step is taken
    # by a follow-up at its period, long before the next schedule tick (360 s)
    first = next(s.time for s in result.samples if s.replicas > 3)
    assert 300 < first <= 320
    assert replicas_at(result, 340) == spec.max_replicas
    assert policy.delivered > 0


def test_the_hpa_reads_metrics_server_s_last_point_not_the_last_sample() -> None:
    history = History()
    for second in range(0, 60, 5):  # CPU 50% until 40 s, then 150%
        cpu = 50.0 if second < 40 else 150.0
        history.samples.append(Sample(float(second), 0.0, 3, 3, cpu, 0.01))

    # at the 45 s sync, metrics-server's last scrape was at 37.5 s: the 15 s before it
    assert metrics_server_cpu(history, now=45.0) == (50.0, 3)
    # its next point, scraped at 52.5 s, averages 40-50 s
    assert metrics_server_cpu(history, now=60.0) == (150.0, 3)
