"""One PNG of a comparison: load, replicas and latency over time for every policy (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from weavefn.errors import FieldError, InvalidInputError
from weavefn.simulate.engine import PolicyName, Sample
from weavefn.simulate.run import Comparison

COLORS = {
    PolicyName.WEAVEFN: "#1f77b4",
    PolicyName.STATIC_PEAK: "#7f7f7f",
    PolicyName.HPA_CPU: "#ff7f0e",
    PolicyName.ALARM_5MIN: "#2ca02c",
}
MAX_POINTS = 4000
"""Points per line: a week at 15 s is 40 000 samples, more than a PNG can show."""


def _thin(samples: tuple[Sample, ...]) -> tuple[Sample, ...]:
    stride = max(1, len(samples) // MAX_POINTS)
    return samples[::stride]


def _hours(samples: tuple[Sample, ...]) -> list[float]:
    return [s.time / 3600 for s in samples]


def plot(comparison: Comparison, path: str | Path) -> Path:
    """Write the PNG and return its path; matplotlib is needed only here (extra ``plot``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InvalidInputError(
            [FieldError("--plot", "needs matplotlib: pip install 'weavefn[plot]'")], what="option"
        ) from None
    figure, (load, replicas, latency) = plt.subplots(
        3, 1, figsize=(12, 9), sharex=True, height_ratios=(1, 1, 1.2)
    )
    first = _thin(comparison.runs[0].samples)
    load.plot(_hours(first), [s.qps for s in first], color="black", linewidth=0.8)
    load.set_ylabel("load (qps)")
    load.set_title(
        f"{comparison.trace}: ready delay {comparison.ready_delay:g} s, "
        f"replica capacity {comparison.model.capacity_qps:.0f} qps "
        f"(target {comparison.model.target_qps:g})"
    )
    # weavefn drawn last, so the baselines never hide it
    for run in reversed(comparison.runs):
        samples = _thin(run.samples)
        label = (
            f"{run.policy.value}: {run.figures.replica_hours:.0f} replica-h, "
            f"{run.figures.minutes_above_target:.1f} min above target"
        )
        color = COLORS[run.policy]
        replicas.step(_hours(samples), [s.replicas for s in samples], where="post", color=color)
        latency.plot(
            _hours(samples),
            [s.latency * 1000 for s in samples],
            color=color,
            linewidth=0.8,
            label=label,
        )
    replicas.set_ylabel("replicas")
    latency.axhline(comparison.latency_target * 1000, color="red", linestyle="--", linewidth=0.8)
    latency.set_yscale("log")
    latency.set_ylabel("latency p95 (ms, log)")
    latency.set_xlabel("hours since the trace's start")
    handles, labels = latency.get_legend_handles_labels()
    latency.legend(handles[::-1], labels[::-1], loc="upper left", fontsize="small")
    for axis in (load, replicas, latency):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target
