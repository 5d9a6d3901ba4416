"""Figures: invocations and simulated minutes for upgrades and a rollback on the local cluster.

Run: ``.venv/bin/python -m tests.benchmarks.test_upgrade_figures`` (prints a table), or
``.venv/bin/pytest tests/benchmarks/test_upgrade_figures.py -p no:cacheprovider -s``.
Pods take 60 s to become Ready after a restart; the scheduled trigger fires every ``every`` s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from weavefn.local.kube import ManualClock

from tests.functional.test_upgrade import NEW, running_cluster

RESTART = 60.0
START = 1_795_000_000.0


@dataclass(frozen=True)
class Figure:
    case: str
    replicas: int
    every: float
    invocations: int
    minutes: float
    outcome: str
    rollback_minutes: float | None = None
    """From the decision to roll back to RolledBack."""


def measure(*, replicas: int, every: float, fail: bool = False) -> Figure:
    clock = ManualClock(START)
    run = running_cluster(clock, replicas=replicas, ready_delay=RESTART)
    run.every = every
    if fail:
        run.kube.fail_image(NEW)
    run.request(NEW)
    began = clock()
    final = run.until_done(limit=500)
    case = "rollback (first pod never Ready)" if fail else "upgrade"
    phases = [(p["status"].get("operation") or {}).get("phase") for p in run.passes]
    rollback = None
    if "RollingBack" in phases:
        rollback = (len(phases) - 1 - phases.index("RollingBack")) * every / 60
    return Figure(
        case=case,
        replicas=replicas,
        every=every,
        invocations=run.invocations,
        minutes=(clock() - began) / 60,
        outcome=final["lastOperation"]["phase"],
        rollback_minutes=rollback,
    )


CASES = [
    {"replicas": 3, "every": 60.0},
    {"replicas": 10, "every": 60.0},
    {"replicas": 3, "every": 60.0, "fail": True},
    {"replicas": 3, "every": 30.0},
    {"replicas": 10, "every": 30.0},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_figures(case: dict[str, object]) -> None:
    figure = measure(**case)  # type: ignore[arg-type]
    print(figure)
    replicas = figure.replicas
    if figure.case == "upgrade":
        assert figure.outcome == "Succeeded"
        # Each pod costs one restart plus at most one trigger interval of latency.
        assert figure.minutes <= (replicas * (RESTART + figure.every) + 2 * figure.every) / 60
    else:
        assert figure.outcome == "RolledBack"
        assert figure.rollback_minutes is not None and figure.rollback_minutes <= 3


def main() -> None:
    print(f"{'case':34} {'replicas':>8} {'every':>6} {'invocations':>11} {'minutes':>8}  outcome")
    logging.disable(logging.WARNING)  # Events are logged too; keep the table readable
    for case in CASES:
        f = measure(**case)  # type: ignore[arg-type]
        print(
            f"{f.case:34} {f.replicas:>8} {f.every:>5.0f}s {f.invocations:>11} "
            f"{f.minutes:>8.1f}  {f.outcome}"
            + (f" (revert {f.rollback_minutes:.1f} min)" if f.rollback_minutes else "")
        )


if __name__ == "__main__":
    main()
