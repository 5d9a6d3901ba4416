"""One PNG of a comparison: load, replicas and latency over time for every policy (matplotlib)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.simulate.engine import PolicyName, Sample
from weavefn.simulate.run import Comparison


@dataclass(frozen=True)
class Pen:
    """How one policy is drawn: colour and dash pattern differ, so overlapping lines stay
    visible (a dashed line over a solid one shows both)."""

    color: str
    style: str | tuple[float, tuple[float, ...]]
    width: float


PENS = {
    PolicyName.WEAVEFN: Pen("#1f77b4", "solid", 1.6),
    PolicyName.HPA_CPU: Pen("#ff7f0e", (0, (5, 2)), 1.3),
    PolicyName.ALARM_5MIN: Pen("#2ca02c", (0, (1, 1.5)), 1.5),
    PolicyName.STATIC_PEAK: Pen("#7f7f7f", (0, (6, 2, 1, 2)), 1.0),
}
LATENCY_TICKS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)
MAX_POINTS = 4000
"""Points per line: a week at 15 s is 40 000 samples, more than a PNG can show."""


def _thin(samples: tuple[Sample, ...]) -> tuple[Sample, ...]:
    stride = max(1, len(samples) // MAX_POINTS)
    return samples[::stride]


def _hours(samples: tuple[Sample, ...]) -> list[float]:
    return [s.time / 3600 for s in samples]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InvalidInputError(
            [FieldError("--plot", "needs matplotlib: pip install 'weavefn[plot]'")], what="option"
        ) from None
    return plt


def check_plot_target(path: str | Path) -> None:
    """Refuse a plot that cannot be written before the run, not after it: matplotlib must be
    installed and the file's folder must exist and be writable."""
    _pyplot()
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        problem = "is a folder: name a .png file"
    elif not folder.is_dir():
        problem = f"cannot be written: folder {folder} does not exist"
    elif not os.access(folder, os.W_OK):
        problem = f"cannot be written: folder {folder} is not writable"
    else:
        return
    raise InvalidInputError([FieldError("--plot", f"{path} {problem}")], what="option")


def plot(comparison: Comparison, path: str | Path) -> Path:
    """Write the PNG and return its path; matplotlib is needed only here (extra ``plot``)."""
    plt = _pyplot()
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    figure, (load, replicas, latency) = plt.subplots(
        3, 1, figsize=(12, 10), sharex=True, height_ratios=(1, 1, 1.3)
    )
    first = _thin(comparison.runs[0].samples)
    load.plot(_hours(first), [s.qps for s in first], color="black", linewidth=0.8)
    load.set_ylabel("load (qps)")
    load.set_title(
        f"{comparison.trace}: ready delay {comparison.ready_delay:g} s, "
        f"replica capacity {comparison.model.capacity_qps:.0f} qps "
        f"(target {comparison.model.target_qps:g})"
    )
    # weavefn first, as a solid line; each baseline over it with its own dash pattern, so
    # where two policies coincide both stay visible (dashes over a solid line)
    for run in comparison.runs:
        samples = _thin(run.samples)
        label = (
            f"{run.policy.value}: {run.figures.replica_hours:.0f} replica-h, "
            f"{run.figures.minutes_above_target:.1f} min above target"
        )
        pen = PENS[run.policy]
        line = {"color": pen.color, "linestyle": pen.style, "linewidth": pen.width}
        replicas.step(_hours(samples), [s.replicas for s in samples], where="post", **line)
        latency.plot(_hours(samples), [s.latency * 1000 for s in samples], label=label, **line)
    replicas.set_ylabel("replicas")
    target_ms = comparison.latency_target * 1000
    latency.axhline(
        target_ms,
        color="red",
        linestyle="--",
        linewidth=0.8,
        label=f"latency target {target_ms:g} ms",
    )
    latency.set_yscale("log")
    # plain milliseconds on the axis, not powers of ten
    latency.yaxis.set_major_locator(FixedLocator(LATENCY_TICKS_MS))
    latency.yaxis.set_minor_locator(NullLocator())
    latency.yaxis.set_minor_formatter(NullFormatter())
    latency.yaxis.set_major_formatter(lambda value, _: f"{value:g}")
    latency.set_ylabel("latency p95 (ms, log scale)")
    latency.set_xlabel("hours since the trace's start")
    handles, labels = latency.get_legend_handles_labels()
    # below the axes, so the legend never covers the target line or a curve
    latency.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        fontsize="small",
        frameon=False,
    )
    for axis in (load, replicas, latency):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target
