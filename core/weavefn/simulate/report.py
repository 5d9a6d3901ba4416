"""A comparison as text: the figures side by side, and whether weavefn met its two targets."""

from __future__ import annotations

from weavefn.simulate.run import HPA_SHARE, STATIC_SAVING_TARGET, Comparison

HEADER = ("policy", "replica-hours", "min above target", "scale events", "mean utilization")


def table(comparison: Comparison) -> str:
    rows = [HEADER] + [
        (
            run.policy.value,
            f"{run.figures.replica_hours:.1f}",
            f"{run.figures.minutes_above_target:.1f}",
            str(run.figures.scale_events),
            f"{run.figures.mean_utilization:.1%}",
        )
        for run in comparison.runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(lines)


def verdict(comparison: Comparison) -> str:
    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    return "\n".join(
        (
            f"at most {HPA_SHARE:g}x hpa-cpu's minutes above the latency target (or none), "
            f"with no more replica-hours: "
            f"{mark(comparison.beats_hpa_on_latency)}",
            f"at least {STATIC_SAVING_TARGET:.0%} fewer replica-hours than static-peak: "
            f"{mark(comparison.saves_vs_static)} ({comparison.saving_vs_static:.1%} fewer)",
        )
    )


def render(comparison: Comparison) -> str:
    """The whole report: what was simulated, the table, the verdict."""
    model = comparison.model
    intro = (
        f"trace {comparison.trace}: {comparison.duration / 3600:.1f} h; "
        f"replica capacity {model.capacity_qps:.0f} qps ({model.workers} workers, "
        f"{model.service_time * 1000:.1f} ms base service time), "
        f"latency target {comparison.latency_target * 1000:.0f} ms "
        f"at p{model.quantile * 100:g}, pods Ready {comparison.ready_delay:g} s after start"
    )
    return f"{intro}\n\n{table(comparison)}\n\n{verdict(comparison)}"
