"""Figures: invocations and simulated minutes for upgrades and a rollback on the local cluster.

Run: ``.venv/bin/python -m tests.benchmarks.test_upgrade_figures`` (prints a table), or
``.venv/bin/pytest tests/benchmarks/test_upgrade_figures.py -p no:cacheprovider -s``.
Pods take 60 s to become Ready after a restart. "schedule only": a trigger every ``every`` s
and nothing else (main's behaviour, kept for comparison). "follow-ups": as deployed, a tick a
minute plus each pass's follow-up, delivered FOLLOW_UP_DELIVERY s after it is due (queue delay
and a cold start, weavefn.simulate.platform).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from weavefn.local.kube import ManualClock
from weavefn.simulate.platform import FOLLOW_UP_DELIVERY

from tests.functional.test_upgrade import NEW, running_cluster

RESTART = 60.0
START = 1_795_000_000.0
TARGETS = {("upgrade", 3): 3.5, ("upgrade", 10): 10.5}
"""Minutes an upgrade may take with follow-ups (issue 11); a rollback: 2 from the stuck pod."""
ROLLBACK_TARGET = 2.0


@dataclass(frozen=True)
class Figure:
    case: str
    replicas: int
    mode: str
    invocations: int
    minutes: float
    outcome: str
    rollback_minutes: float | None = None
    """From the first pass that saw the pod stuck (follow-ups) or the decision to roll back
    (schedule only) to RolledBack."""


def measure(*, replicas: int, every: float, follow_ups: bool = False, fail: bool = False) -> Figure:
    clock = ManualClock(START)
    run = running_cluster(clock, replicas=replicas, ready_delay=RESTART)
    run.every = every
    if fail:
        run.kube.fail_image(NEW)
    run.request(NEW)
    began = clock()
    if follow_ups:
        final = run.with_follow_ups(limit=1000, delivery=FOLLOW_UP_DELIVERY)
    else:
        final = run.until_done(limit=500)
    case = "rollback (image cannot be pulled)" if fail else "upgrade"
    times = [p.get("at", began + i * every) for i, p in enumerate(run.passes)]
    phases = [(p["status"].get("operation") or {}).get("phase") for p in run.passes]
    rollback = None
    if "RollingBack" in phases:
        stuck = _first_stuck(run.passes) if follow_ups else phases.index("RollingBack")
        rollback = (times[-1] - times[stuck]) / 60
    mode = "follow-ups" if follow_ups else f"schedule only, every {every:.0f} s"
    return Figure(
        case=case,
        replicas=replicas,
        mode=mode,
        invocations=run.invocations,
        minutes=((times[-1] if follow_ups else clock()) - began) / 60,
        outcome=final["lastOperation"]["phase"],
        rollback_minutes=rollback,
    )


def _first_stuck(passes: list[dict[str, object]]) -> int:
    """The first pass after which a pod on the new image exists (it can never be Ready)."""
    for index, found in enumerate(passes):
        pods = found["pods"]
        assert isinstance(pods, dict)
        if any(image == NEW for image, _ in pods.values()):
            return index
    raise AssertionError("no pod ever ran the new image")


CASES = [
    {"replicas": 3, "every": 60.0},
    {"replicas": 10, "every": 60.0},
    {"replicas": 3, "every": 60.0, "fail": True},
    {"replicas": 3, "every": 60.0, "follow_ups": True},
    {"replicas": 10, "every": 60.0, "follow_ups": True},
    {"replicas": 3, "every": 60.0, "follow_ups": True, "fail": True},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_figures(case: dict[str, object]) -> None:
    figure = measure(**case)  # type: ignore[arg-type]
    print(figure)
    replicas = figure.replicas
    if figure.case == "upgrade":
        assert figure.outcome == "Succeeded"
        if case.get("follow_ups"):
            assert figure.minutes <= TARGETS[("upgrade", replicas)]
        else:  # each pod costs one restart plus at most one trigger interval of latency
            assert figure.minutes <= (replicas * (RESTART + 60.0) + 2 * 60.0) / 60
    else:
        assert figure.outcome == "RolledBack"
        assert figure.rollback_minutes is not None
        if case.get("follow_ups"):
            assert figure.rollback_minutes <= ROLLBACK_TARGET


def main() -> None:
    print(f"{'case':34} {'replicas':>8} {'mode':28} {'invocations':>11} {'minutes':>8}  outcome")
    logging.disable(logging.WARNING)  # Events are logged too; keep the table readable
    for case in CASES:
        f = measure(**case)  # type: ignore[arg-type]
        print(
            f"{f.case:34} {f.replicas:>8} {f.mode:28} {f.invocations:>11} "
            f"{f.minutes:>8.1f}  {f.outcome}"
            + (f" (stuck -> RolledBack {f.rollback_minutes:.1f} min)" if f.rollback_minutes else "")
        )


if __name__ == "__main__":
    main()
