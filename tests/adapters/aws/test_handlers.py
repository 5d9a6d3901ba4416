"""The alarm, schedule and queue Lambda handlers fed the events/aws samples on a local cluster."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from weavefn.errors import RetryableError
from weavefn.invocation import Instance
from weavefn.local.kube import Fault, LocalKube, Verb
from weavefn.queue.memory import MemoryQueue

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.adapters.aws.conftest import example, replicas, sample, status

SCALE_OUT = [
    pytest.param("cloudwatch-alarm-sns.json", id="sns"),
    pytest.param("cloudwatch-alarm-eventbridge.json", id="eventbridge"),
    pytest.param("cloudwatch-alarm-lambda-action.json", id="lambda-action"),
]


def scaled_events(kube: LocalKube) -> list[dict[str, Any]]:
    return [e for e in kube.list_events("weaviate") if e["reason"] == "ScaledUp"]


@pytest.mark.parametrize("name", SCALE_OUT)
def test_firing_alarm_scales_the_cluster_out(
    name: str, handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    result = handlers.alarm(sample(name), context)

    assert result["ok"] is True
    assert "scaled 3 -> 5" in result["clusters"]["weaviate/production"]
    assert replicas(kube) == 5
    autoscaling = status(kube)["autoscaling"]
    assert autoscaling["desiredReplicas"] == 5
    assert autoscaling["lastScaleTime"]
    assert [(e["replicas"], e["change"]) for e in autoscaling["scaleEvents"]] == [(5, 2)]
    (event,) = scaled_events(kube)
    assert "3 -> 5" in event["note"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("cloudwatch-alarm-sns-resolved.json", id="resolved"),
        pytest.param("cloudwatch-alarm-metric-math-sns.json", id="metric-math"),
    ],
)
def test_other_alarm_samples_are_handled_without_scaling_out(
    name: str, handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    result = handlers.alarm(sample(name), context)

    assert result["ok"] is True
    assert replicas(kube) == 3
    assert status(kube)["autoscaling"]["processedEvents"]


def test_duplicate_delivery_scales_once(
    handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    event = sample("cloudwatch-alarm-sns.json")
    handlers.alarm(event, context)
    handlers.alarm(copy.deepcopy(event), context)

    assert replicas(kube) == 5
    assert len(scaled_events(kube)) == 1


def test_alarm_for_an_unknown_cluster_is_acknowledged(
    handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    event = sample("cloudwatch-alarm-eventbridge.json")
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {
        "weaviate.io/cluster": "weaviate/elsewhere"
    }
    kube.reset_calls()

    result = handlers.alarm(event, context)

    assert "no known cluster" in result["message"]
    assert kube.writes == 0


def test_alarm_raises_for_lambda_to_retry_when_the_api_server_is_down(
    handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    kube.add_fault(Fault.UNAVAILABLE, verb=Verb.GET, kind="WeaviateCluster")

    with pytest.raises(RetryableError):
        handlers.alarm(sample("cloudwatch-alarm-sns.json"), context)
    assert replicas(kube) == 3


def _sqs(*records: tuple[str, str]) -> dict[str, Any]:
    template = sample("sqs-reconcile.json")["Records"][0]
    return {"Records": [{**template, "messageId": m, "body": b} for m, b in records]}


def test_queue_reconciles_the_named_cluster(
    handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    result = handlers.queue(sample("sqs-reconcile.json"), context)

    assert result == {"batchItemFailures": []}
    assert status(kube)["phase"] == "Running"


def test_queue_batch_reports_only_the_retryable_record(
    handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    kube.apply_cluster(example("minimal.yaml"))
    # the first cluster read fails once, as a flaky API server would
    kube.add_fault(Fault.UNAVAILABLE, verb=Verb.GET, kind="WeaviateCluster")
    event = _sqs(
        ("flaky", '{"cluster": "weaviate/production"}'),
        ("garbage", "not json"),
        ("bad-name", '{"cluster": "Not A Name"}'),
        ("unknown", '{"cluster": "default/nope"}'),
        ("good", '{"cluster": "default/minimal"}'),
    )

    result = handlers.queue(event, context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "flaky"}]}
    assert kube.get_cluster("default", "minimal")["status"]["phase"] in {"Creating", "Running"}


def test_queue_reconciles_a_cluster_named_twice_in_a_batch_once(
    handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    body = '{"cluster": "weaviate/production"}'
    kube.reset_calls()

    result = handlers.queue(_sqs(("one", body), ("two", body)), context)

    assert result == {"batchItemFailures": []}
    gets = [c for c in kube.calls if c.verb is Verb.GET and c.kind == "WeaviateCluster"]
    single = len(gets)
    kube.reset_calls()
    handlers.queue(_sqs(("three", body)), context)
    assert single == len(
        [c for c in kube.calls if c.verb is Verb.GET and c.kind == "WeaviateCluster"]
    )


def test_schedule_reconciles_every_cluster_under_the_threshold(
    handlers: AwsHandlers, kube: LocalKube, queue: MemoryQueue, context: LocalContext
) -> None:
    kube.apply_cluster(example("minimal.yaml"))

    result = handlers.schedule(sample("schedule-eventbridge.json"), context)

    assert set(result["clusters"]) == {"weaviate/production", "default/minimal"}
    assert queue.bodies == []
    assert kube.get_cluster("default", "minimal")["status"]["phase"] in {"Creating", "Running"}


def test_schedule_fans_out_one_message_per_cluster_over_the_threshold(
    make_instance: Callable[..., Instance],
    kube: LocalKube,
    queue: MemoryQueue,
    context: LocalContext,
) -> None:
    kube.apply_cluster(example("minimal.yaml"))
    instance = make_instance(fanout_threshold=1)
    kube.reset_calls()

    result = AwsHandlers(lambda: instance).schedule(sample("schedule-eventbridge.json"), context)

    assert sorted(queue.clusters) == ["default/minimal", "weaviate/production"]
    assert result["ok"] is True
    assert kube.writes == 0
    assert [(c.verb, c.kind) for c in kube.calls] == [(Verb.LIST, "WeaviateCluster")]
    assert "status" not in kube.get_cluster("default", "minimal")


def test_schedule_fan_out_failure_is_reported_not_hidden(
    make_instance: Callable[..., Instance],
    kube: LocalKube,
    queue: MemoryQueue,
    context: LocalContext,
) -> None:
    kube.apply_cluster(example("minimal.yaml"))
    queue.failing = True

    result = AwsHandlers(lambda: make_instance(fanout_threshold=1)).schedule(
        sample("schedule-eventbridge.json"), context
    )

    assert result["ok"] is False
    assert "queued 0 of 2" in result["message"]


MALFORMED = [
    pytest.param(
        "alarm", {"Records": [{"EventSource": "aws:sns", "Sns": {}}]}, id="alarm-sns-empty"
    ),
    pytest.param(
        "alarm",
        {"detail-type": "Scheduled Event", "source": "aws.events"},
        id="alarm-gets-schedule",
    ),
    pytest.param(
        "alarm", sample("sns-http-notification.json"), id="alarm-gets-unverified-sns-http"
    ),
    pytest.param("alarm", ["not", "an", "object"], id="alarm-list"),
    pytest.param(
        "schedule", {"detail-type": "Scheduled Event", "source": "aws.events"}, id="schedule-no-id"
    ),
    pytest.param("schedule", sample("sqs-reconcile.json"), id="schedule-gets-sqs"),
    pytest.param("queue", {"Records": "nope"}, id="queue-records-not-list"),
    pytest.param(
        "queue", {"Records": [{"messageId": "x", "eventSource": "aws:sqs"}]}, id="queue-no-body"
    ),
]


@pytest.mark.parametrize(("handler", "event"), MALFORMED)
def test_malformed_events_are_dropped_with_a_clear_error_and_no_write(
    handler: str, event: Any, handlers: AwsHandlers, kube: LocalKube, context: LocalContext
) -> None:
    kube.reset_calls()

    result = getattr(handlers, handler)(event, context)

    assert kube.writes == 0
    if handler == "queue":
        assert result == {"batchItemFailures": []}  # redelivering cannot fix it
    else:
        assert result["ok"] is False
        assert "dropped: invalid" in result["message"]
