"""Figures: how long a scale-in drain takes, from DrainStarted to the shrink, on the local
cluster with its simulated Weaviate (a MOVE takes about 9 s: registered 1 s, hydrating 5 s,
finalizing 2 s, dehydrating 1 s; weavefn.local.weaviate.state.SimTiming).

Run: ``.venv/bin/python -m tests.benchmarks.test_drain_figures`` (prints a table). "schedule
only": a pass every 60 s and nothing else (the tree before follow-ups); "follow-ups": a tick a
minute plus each pass's follow-up, FOLLOW_UP_DELIVERY s after it is due.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from weavefn.invocation import fixed_runtime
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import LoadModel
from weavefn.running import Runner
from weavefn.runtime import Runtime, build_runtime
from weavefn.simulate.platform import FOLLOW_UP_DELIVERY

from tests.soak.fleet import Flavor, manifest, secret

NS, NAME = "search", "mover-000"
KEY = f"{NS}/{NAME}"
START = 1_795_000_000.0
CPU_FOR_THREE = 45.0
"""4 nodes at 45% of a 70% CPU target: 3 are enough, so one node is drained."""
HOLDING_FOUR = 60.0


@dataclass(frozen=True)
class DrainFigure:
    mode: str
    moves: int
    seconds: float
    passes: int


def _cluster() -> tuple[LocalKube, ManualClock, Runtime]:
    clock = ManualClock(START)
    kube = LocalKube(clock=clock, ready_delay=20.0)
    kube.apply(secret(NS))
    raw = manifest(NAME, NS, Flavor.MOVER, rng=random.Random(1))
    raw["spec"]["replicas"] = 4
    raw["spec"]["autoScaling"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 0}}
    kube.apply_cluster(raw)
    LoadModel(kube.extras).set(KEY, cpu=HOLDING_FOUR)
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    for _ in range(4):
        runtime.service.reconcile()
        clock.advance(30.0)
    if runtime.held is not None:
        runtime.held.take_due(datetime.fromtimestamp(clock() + 3600, UTC))  # start clean
    LoadModel(kube.extras).set(KEY, cpu=CPU_FOR_THREE)
    return kube, clock, runtime


def _status(kube: LocalKube) -> dict[str, object]:
    found: dict[str, object] = kube.get_cluster(NS, NAME).get("status", {})
    return found


def measure(*, follow_ups: bool) -> DrainFigure:
    kube, clock, runtime = _cluster()
    runner = Runner(lambda: fixed_runtime(runtime), delivery=FOLLOW_UP_DELIVERY)
    started: float | None = None
    passes = 0
    for _ in range(2000):
        if follow_ups:
            turn, _ = runner.round()
            passes += len(turn.fired)
            at = turn.now.timestamp()
        else:
            runtime.service.reconcile()
            if runtime.held is not None:  # the schedule alone: follow-ups are dropped
                runtime.held.take_due(datetime.fromtimestamp(clock() + 3600, UTC))
            passes += 1
            at = clock()
            clock.advance(60.0)
        status = _status(kube)
        operation = status.get("operation") or {}
        assert isinstance(operation, dict)
        if started is None and operation.get("kind") == "ScaleInDrain":
            started = at
        last = status.get("lastOperation") or {}
        assert isinstance(last, dict)
        if started is not None and not operation and last.get("kind") == "ScaleInDrain":
            assert last.get("phase") == "Succeeded", last
            moved = re.search(r"after moving (\d+) replica", str(last.get("message")))
            mode = "follow-ups" if follow_ups else "schedule only, every 60 s"
            return DrainFigure(mode, int(moved.group(1)) if moved else 0, at - started, passes)
    raise AssertionError("the drain never ended")


@pytest.mark.parametrize("follow_ups", [False, True], ids=["schedule-only", "follow-ups"])
def test_drain_figures(follow_ups: bool) -> None:
    figure = measure(follow_ups=follow_ups)
    print(figure)
    assert figure.moves > 0
    if follow_ups:
        # bound by the moves: each MOVE (about 9 s, several at once) plus a 5 s poll
        assert figure.seconds <= figure.moves * (9 + 5 + FOLLOW_UP_DELIVERY)


def main() -> None:
    logging.disable(logging.WARNING)
    print(f"{'mode':28} {'MOVEs':>5} {'seconds':>8} {'passes':>6}")
    for follow_ups in (False, True):
        f = measure(follow_ups=follow_ups)
        print(f"{f.mode:28} {f.moves:>5} {f.seconds:>8.0f} {f.passes:>6}")


if __name__ == "__main__":
    main()
