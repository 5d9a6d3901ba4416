"""The full soak (benchmark, not in the default run): 10,000 trigger events across 50 clusters.

``.venv/bin/pytest tests/benchmarks/test_soak_full.py -q -s`` prints the counts; the same run
as a script: ``.venv/bin/python -m tests.soak.soak --seed 20261118 --events 10000``.
"""

from __future__ import annotations

import json

import pytest

from tests.soak.soak import SoakConfig, run_soak

SEED = 20_261_118


@pytest.mark.timeout(1_800)
def test_full_soak_keeps_every_invariant() -> None:
    report = run_soak(SoakConfig(seed=SEED, events=10_000, clusters=50))
    print(json.dumps(report.summary(), indent=2))
    assert not report.violations, "\n".join(str(v) for v in report.violations[:20])
    assert sum(report.events.values()) >= 10_000
    assert report.upgrades.get("Succeeded", 0) > 0 and report.summary()["drains"] > 0
