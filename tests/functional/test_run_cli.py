"""``weavefn run`` on a local cluster file: ticks and due follow-ups until nothing is in flight."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from weavefn.invocation import fixed_runtime
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock, open_local
from weavefn.running import Runner
from weavefn.runtime import build_runtime
from weavefn.triggers.model import UpgradeRequest

from tests.functional.conftest import ROOT
from tests.functional.test_cli_cluster import run
from tests.functional.test_upgrade import NEW, manifest

PRODUCTION = str(ROOT / "examples" / "production-aws.yaml")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cluster.json"
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{path}")
    return path


def status(path: Path) -> dict:  # type: ignore[type-arg]
    with open_local(path) as kube:
        found: dict = kube.get_cluster("weaviate", "production").get("status", {})  # type: ignore[type-arg]
    return found


def test_an_upgrade_finishes_in_one_run_on_simulated_time(state: Path, capsys) -> None:
    run(capsys, "apply", "-f", PRODUCTION)
    run(capsys, "reconcile")
    code, out, _ = run(capsys, "upgrade", "production", "--to", "1.28.5")
    assert code == 0 and "BackingUp" in out
    pending = json.loads(state.read_text())["extras"]["followUps"]
    assert [m["due"] for m in pending] == [status(state)["nextCheckAt"]]
    began = time.monotonic()

    code, out, _ = run(capsys, "run", "--until-idle")

    assert code == 0, out
    assert time.monotonic() - began < 30, "simulated minutes, not real ones"
    lines = out.splitlines()
    assert any("follow-up" in line and "1/3 pods on 1.28.5" in line for line in lines)
    assert lines[-1].endswith("idle: nothing in flight")
    final = status(state)
    assert final["lastOperation"]["phase"] == "Succeeded"
    assert final["currentVersion"] == "1.28.5"
    assert "nextCheckAt" not in final
    saved = json.loads(state.read_text())["extras"]
    assert saved["followUps"] == []
    assert saved["clock"]["offset"] > 40, "the clock moved on to each follow-up"


def test_an_idle_cluster_returns_at_once(state: Path, capsys) -> None:
    run(capsys, "apply", "-f", PRODUCTION)

    code, out, _ = run(capsys, "run", "--until-idle")

    assert code == 0
    assert "schedule" in out and out.splitlines()[-1].endswith("idle: nothing in flight")
    assert status(state)["phase"] == "Running"


def test_work_still_in_flight_at_the_timeout_exits_1(state: Path, capsys) -> None:
    run(capsys, "apply", "-f", PRODUCTION)
    run(capsys, "reconcile")
    run(capsys, "upgrade", "production", "--to", "1.28.5")

    code, _, err = run(capsys, "run", "--until-idle", "--timeout", "20")

    assert code == 1
    assert "still in flight after 20 s: weaviate/production" in err
    assert status(state)["operation"]["phase"] == "RollingOut"


@pytest.mark.parametrize("argv", [["--timeout", "0"], ["--tick", "-5"]])
def test_bad_bounds_are_usage_errors(state: Path, capsys, argv: list[str]) -> None:
    code, _, err = run(capsys, "run", *argv)

    assert code == 2 and "must be positive" in err


def test_on_a_real_cluster_the_runner_sleeps_until_each_next_check(clock: ManualClock) -> None:
    kube = LocalKube(clock=clock, ready_delay=20.0)
    kube.apply_cluster(manifest())
    # as on a real cluster: no queue kept beside it, no simulated time to move
    backend = replace(local_backend(kube), follow_ups=None, timekeeper=None)
    runtime = build_runtime(backend)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    runner = Runner(lambda: fixed_runtime(runtime), sleep=sleep)
    turns = []
    for _ in range(40):
        turn, moved = runner.round()
        assert not moved
        turns.append(turn)
        current = kube.get_cluster("weaviate", "search")["status"].get("currentVersion")
        if not turn.in_flight and current == NEW:
            break
        if len(turns) == 3:
            start_upgrade(kube, UpgradeRequest("weaviate/search", NEW, "test"))
        runner.wait(turn, limit=600)

    final = kube.get_cluster("weaviate", "search")["status"]
    assert final["lastOperation"]["phase"] == "Succeeded"
    assert [f.trigger for t in turns for f in t.fired].count("follow-up") >= 4
    assert all(0 < s <= 60 for s in slept), "never past the next tick"
    assert min(slept) < 20, "follow-ups sooner than the schedule"
