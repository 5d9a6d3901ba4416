"""Alarm-triggered scaling on the local cluster: the alarm's path from payload to replicas."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import LoadModel
from weavefn.service import Service
from weavefn.triggers.model import AlarmTrigger
from weavefn.triggers.parse import parse_alarm

from tests.functional.conftest import ROOT, example

NS, NAME = "weaviate", "production"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)
EVENTS = ROOT / "events"


def alarm(path: str) -> AlarmTrigger:
    (trigger,) = parse_alarm(json.loads((EVENTS / path).read_text()))
    return trigger


def replicas(kube: LocalKube) -> int:
    found = kube.get(STS)
    assert found is not None
    return int(found["spec"]["replicas"])


def deadline() -> float:
    return time.monotonic() + 30


@pytest.fixture
def running(kube: LocalKube, service: Service) -> LocalKube:
    kube.apply_cluster(example("production-aws.yaml"))
    assert service.reconcile().ok
    return kube


@pytest.mark.parametrize(
    "sample",
    [
        "aws/cloudwatch-alarm-sns.json",
        "aws/cloudwatch-alarm-eventbridge.json",
        "aws/cloudwatch-alarm-lambda-action.json",
        "azure/azure-monitor-metric-alert.json",
        "gcp/cloud-monitoring-incident.json",
    ],
)
def test_a_firing_alarm_scales_the_cluster_out(running: LocalKube, service: Service, sample: str):
    trigger = alarm(sample)

    outcome = service.handle(trigger, deadline=deadline())

    assert outcome.ok, outcome
    assert replicas(running) > 3
    status = running.get_cluster(NS, NAME)["status"]
    assert status["autoscaling"]["lastScaleTime"]
    assert trigger.event_id in status["autoscaling"]["processedEvents"]
    scaled = [e for e in running.list_events(NS) if e["reason"] == "ScaledUp"]
    assert len(scaled) == 1 and "3 ->" in scaled[0]["note"]


def test_scale_out_follows_the_observed_load(running: LocalKube, service: Service):
    # 1480.5 queries/s per node on 3 nodes against 1000 per replica: ceil(3 * 1.4805) = 5
    service.handle(alarm("aws/cloudwatch-alarm-sns.json"), deadline=deadline())

    assert replicas(running) == 5
    assert len(running.list_pods(NS, {"app.kubernetes.io/instance": NAME})) == 5


def test_duplicate_delivery_scales_once(running: LocalKube, service: Service):
    trigger = alarm("aws/cloudwatch-alarm-sns.json")
    service.handle(trigger, deadline=deadline())
    after_first = replicas(running)

    outcome = service.handle(trigger, deadline=deadline())

    assert outcome.ok
    assert replicas(running) == after_first
    assert len([e for e in running.list_events(NS) if e["reason"] == "ScaledUp"]) == 1


def test_concurrent_invocations_scale_once(clock: ManualClock, now):
    kube = LocalKube(clock=clock, latency=0.01)
    from weavefn.local.metrics import local_registry

    service = Service(kube, clock=now, metrics=local_registry(kube.extras), workers=2)
    kube.apply_cluster(example("production-aws.yaml"))
    service.reconcile()
    sns = alarm("aws/cloudwatch-alarm-sns.json")
    bridge = alarm("aws/cloudwatch-alarm-eventbridge.json")  # same breach, other delivery id
    outcomes: list[Any] = []

    def invoke(trigger: AlarmTrigger) -> None:
        outcomes.append(service.handle(trigger, deadline=deadline()))

    threads = [threading.Thread(target=invoke, args=(t,)) for t in (sns, bridge, sns, bridge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(o.ok for o in outcomes), outcomes
    scales = [c for c in kube.calls if c.kind == "Scale" and not c.verb.is_read]
    # one scale at creation (the scaler creates replicas) aside, the breach scales once
    assert len([e for e in kube.list_events(NS) if e["reason"] == "ScaledUp"]) == 1, scales
    assert replicas(kube) == 5


def test_an_alarm_naming_no_cluster_is_acknowledged(running: LocalKube, service: Service):
    trigger = alarm("aws/cloudwatch-alarm-sns.json")
    stray = AlarmTrigger(**{**trigger.__dict__, "cluster": "weaviate/unknown", "event_id": "x"})
    running.reset_calls()

    outcome = service.handle(stray, deadline=deadline())

    assert outcome.ok and not outcome.retry
    assert "names no known cluster" in outcome.message
    assert running.writes == 0


def test_an_alarm_found_through_spec_alarms(kube: LocalKube, service: Service):
    manifest = example("production-aws.yaml")
    manifest["spec"]["autoScaling"]["alarms"] = ["weaviate-production-qps-high"]
    kube.apply_cluster(manifest)
    service.reconcile()
    trigger = alarm("aws/cloudwatch-alarm-sns.json")
    unnamed = AlarmTrigger(**{**trigger.__dict__, "cluster": None})

    service.handle(unnamed, deadline=deadline())

    assert replicas(kube) == 5


def test_paused_autoscaling_holds(running: LocalKube, service: Service):
    manifest = example("production-aws.yaml")
    manifest["metadata"]["annotations"] = {"weaviate.io/autoscaling-paused": "true"}
    running.apply_cluster(manifest)

    service.handle(alarm("aws/cloudwatch-alarm-sns.json"), deadline=deadline())

    assert replicas(running) == 3
    cond = {c["type"]: c for c in running.get_cluster(NS, NAME)["status"]["conditions"]}
    assert cond["AutoscalingActive"]["reason"] == "Paused"


def test_paused_replicas_pins_the_count(running: LocalKube, service: Service):
    manifest = example("production-aws.yaml")
    manifest["metadata"]["annotations"] = {"weaviate.io/paused-replicas": "4"}
    running.apply_cluster(manifest)

    service.reconcile()

    assert replicas(running) == 4


def test_scale_in_is_refused_before_weaviate_1_32(running: LocalKube, service: Service, clock):
    running.patch_scale(NS, NAME, 6)
    service.reconcile()
    LoadModel(running.extras).set(f"{NS}/{NAME}", cpu=10, memory=10, qps=300, latency=0.005)
    for _ in range(8):  # past the 300 s scale-down stabilization window
        clock.advance(60)
        service.reconcile()

    assert replicas(running) == 6
    cond = {c["type"]: c for c in running.get_cluster(NS, NAME)["status"]["conditions"]}
    assert cond["ScaleInBlocked"]["status"] == "True"
    blocked = [e for e in running.list_events(NS) if e["reason"] == "ScaleInBlocked"]
    assert len(blocked) == 1, "refused once, not on every pass"


def test_scaling_waits_while_an_operation_runs(running: LocalKube, service: Service):
    from weavefn.model.operations import OperationEnvelope as Operation
    from weavefn.model.operations import OperationKind

    raw = running.get_cluster(NS, NAME)
    raw["status"]["operation"] = Operation(
        kind=OperationKind.UPGRADE,
        phase="RollingOut",
        started_at="2026-11-18T10:00:00Z",
        phase_started_at="2026-11-18T10:00:00Z",
    ).model_dump(by_alias=True, mode="json")
    running.replace_cluster_status(raw)

    service.handle(alarm("aws/cloudwatch-alarm-sns.json"), deadline=deadline())

    assert replicas(running) == 3
    status = running.get_cluster(NS, NAME)["status"]
    assert status["autoscaling"]["desiredReplicas"] == 5, "the recommendation is still recorded"
    cond = {c["type"]: c for c in status["conditions"]}
    assert cond["AutoscalingActive"]["reason"] == "WaitingForOperation"


def test_events_folder_is_there() -> None:
    assert Path(EVENTS / "aws" / "cloudwatch-alarm-sns.json").exists()
