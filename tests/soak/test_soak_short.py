"""The CI soak: 1,000 trigger events (and the follow-ups their passes queue) across 50 clusters
under injected faults, zero violations.

Reproduce a failure with its seed: ``.venv/bin/python -m tests.soak.soak --seed N --events 1000``.
"""

from __future__ import annotations

import json

import pytest

from tests.soak.soak import SoakConfig, run_soak

SEED = 20_261_118


@pytest.mark.timeout(240)
def test_short_soak_keeps_every_invariant() -> None:
    report = run_soak(SoakConfig(seed=SEED, events=1_000, clusters=50))
    summary = report.summary()
    print(json.dumps(summary, indent=2))
    assert not report.violations, "\n".join(str(v) for v in report.violations[:20])
    # the run exercised what it claims to: faults, scaling both ways, drains and upgrades
    assert summary["events"] >= 1_000
    assert sum(v for k, v in report.faults.items() if "Error" in k) > 50
    assert report.scale_outs > 0 and report.scale_ins > 0
    assert summary["drains"] > 0
    assert report.upgrades.get("Succeeded", 0) > 0
    # passes queued follow-ups and the platform delivered them, among the other events
    follow_ups = report.events["follow-up"]
    assert follow_ups > 50
    assert report.checks >= (summary["events"] - follow_ups) // 10


@pytest.mark.timeout(120)
def test_a_seed_replays_the_same_run_on_one_worker() -> None:
    config = SoakConfig(seed=3, events=150, clusters=10, workers=1)
    first, second = run_soak(config).summary(), run_soak(config).summary()
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert sum(v for k, v in first["faults_injected"].items() if "Error" in k) > 0
