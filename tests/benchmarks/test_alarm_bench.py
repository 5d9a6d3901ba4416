"""Alarm payload in -> scale call out, in process on the local cluster (target: under 20 ms).

    .venv/bin/pytest tests/benchmarks/test_alarm_bench.py -o addopts="" --benchmark-only

Each round parses a fresh CloudWatch-via-SNS payload (new message id, state change now) and
runs it through the service against a running 3-replica production cluster, which it scales
to 5. Between rounds (untimed) the cluster is put back to 3 replicas.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pytest_benchmark.fixture import BenchmarkFixture
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import local_registry
from weavefn.service import Service
from weavefn.triggers.cloudwatch import parse_sns_alarms

ROOT = Path(__file__).resolve().parents[2]
NS, NAME = "weaviate", "production"


def test_alarm_to_scale(benchmark: BenchmarkFixture) -> None:
    clock = ManualClock()
    kube = LocalKube(clock=clock)
    service = Service(
        kube,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
        metrics=local_registry(kube.extras),
        workers=1,
    )
    kube.apply_cluster(yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text()))
    service.reconcile()
    sample: dict[str, Any] = json.loads((ROOT / "events/aws/cloudwatch-alarm-sns.json").read_text())
    counter = itertools.count()

    def fresh_payload() -> tuple[tuple[dict[str, Any]], dict[str, Any]]:
        kube.patch_scale(NS, NAME, 3)
        clock.advance(600)  # past stabilization and rate windows: every round may scale
        service.reconcile()
        payload = copy.deepcopy(sample)
        record = payload["Records"][0]["Sns"]
        record["MessageId"] = f"bench-{next(counter)}"
        message = json.loads(record["Message"])
        stamp = datetime.fromtimestamp(clock(), UTC) + timedelta(seconds=1)
        message["StateChangeTime"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        record["Message"] = json.dumps(message)
        return (payload,), {}

    def alarm_in_scale_out(payload: dict[str, Any]) -> int:
        (trigger,) = parse_sns_alarms(payload)
        service.handle(trigger, deadline=time.monotonic() + 30)
        return kube.get_scale(NS, NAME).replicas

    replicas = benchmark.pedantic(alarm_in_scale_out, setup=fresh_payload, rounds=200)

    assert replicas == 5
    scaled = [e for e in kube.list_events(NS) if e["reason"] == "ScaledUp"]
    assert len(scaled) >= 200
