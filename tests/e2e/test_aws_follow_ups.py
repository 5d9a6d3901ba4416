"""Follow-ups on AWS against a real moto server: a pass with work in flight sends one SQS message
delayed until its next check (DelaySeconds), and the queue handler, given that message when SQS
delivers it, advances the operation."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.queue.sqs import SqsQueue
from weavefn.runtime import build_runtime
from weavefn.triggers.model import UpgradeRequest

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.adapters.aws.conftest import sample
from tests.e2e.test_aws_e2e import REGION, client, moto_url
from tests.functional.test_upgrade import NEW, NS, manifest

pytestmark = pytest.mark.e2e
__all__ = ["moto_url"]  # the fixture, used by name

RESTART = 60.0
UPGRADING, STEADY = ("search", "catalog"), "archive"


def named(name: str) -> dict[str, Any]:
    found = copy.deepcopy(manifest(backup=False, **{"weaviate.io/skip-backup": "true"}))
    found["metadata"]["name"] = name
    return found


def attributes(url: str) -> dict[str, str]:
    names = ["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages"]
    found: dict[str, str] = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)[
        "Attributes"
    ]
    return found


def records(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:weavefn-reconcile",
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def upgrading_two_of_three() -> tuple[LocalKube, ManualClock]:
    """Three clusters on a clock at the wall's time, two of them upgrading: their top pods
    restarted on the new image, a few seconds before their readiness probes' next tick."""
    clock = ManualClock(time.time())
    kube = LocalKube(clock=clock, ready_delay=RESTART)
    for name in (*UPGRADING, STEADY):
        kube.apply_cluster(named(name))
    now = lambda: datetime.fromtimestamp(clock(), UTC)  # noqa: E731
    quiet = build_runtime(local_backend(kube), clock=now, follow_ups=None)
    quiet.service.follow_ups = None  # setting up: nothing queued yet
    quiet.service.reconcile()
    clock.advance(RESTART + 1)
    quiet.service.reconcile()
    for name in UPGRADING:
        start_upgrade(kube, UpgradeRequest(f"{NS}/{name}", NEW, "test"))
    quiet.service.reconcile()  # the top pods restart on the new image
    clock.advance(RESTART - 2.3)
    return kube, clock


def test_one_delayed_message_per_cluster_in_flight_and_its_delivery_advances_it(
    moto_url: str,
) -> None:
    url = client("sqs").create_queue(QueueName="weavefn-reconcile")["QueueUrl"]
    kube, clock = upgrading_two_of_three()
    now = lambda: datetime.fromtimestamp(clock(), UTC)  # noqa: E731
    runtime = build_runtime(local_backend(kube), clock=now, follow_ups=SqsQueue(url))
    instance = Instance(
        settings=Settings(cluster="local:unused", queue=f"sqs:{url}"),
        runtime_factory=lambda: fixed_runtime(runtime),
    )
    handlers = AwsHandlers(lambda: instance)
    tick = sample("schedule-eventbridge.json")

    assert handlers.schedule(tick, LocalContext())["ok"] is True

    assert attributes(url) == {
        "ApproximateNumberOfMessagesDelayed": "2",
        "ApproximateNumberOfMessages": "0",
    }, "one message per cluster with work in flight, none for the steady one, all delayed"
    assert "nextCheckAt" not in kube.get_cluster(NS, STEADY)["status"]
    handlers.schedule(tick, LocalContext())  # a second tick before they are due
    assert attributes(url)["ApproximateNumberOfMessagesDelayed"] == "2", "no second message"
    assert not client("sqs").receive_message(QueueUrl=url).get("Messages"), "not visible yet"

    received: list[dict[str, Any]] = []
    end = time.monotonic() + 10
    while len(received) < 2 and time.monotonic() < end:
        answer = client("sqs").receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        received.extend(answer.get("Messages", []))
    bodies = {json.loads(m["Body"])["cluster"]: json.loads(m["Body"]) for m in received}
    assert sorted(bodies) == [f"{NS}/{name}" for name in sorted(UPGRADING)]
    for name in UPGRADING:
        status = kube.get_cluster(NS, name)["status"]
        assert bodies[f"{NS}/{name}"]["due"] == status["nextCheckAt"]
        assert status["nextCheckReason"] == f"PodReady: waiting for {name}-2 on {NEW}"
    clock.advance(2.3)

    result = handlers.queue(records(received), LocalContext())

    assert result == {"batchItemFailures": []}
    for name in UPGRADING:
        operation = kube.get_cluster(NS, name)["status"]["operation"]
        assert operation["phase"] == "RollingOut" and operation["details"]["partition"] == 1
        assert operation["message"].startswith(f"1/3 pods on {NEW}")
    assert attributes(url)["ApproximateNumberOfMessagesDelayed"] == "2", "each queued its next"
