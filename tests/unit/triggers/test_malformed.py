"""Malformed payloads fail with InvalidInputError naming the field, never echoing its value."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.triggers.azure_monitor import parse_azure_alert
from weavefn.triggers.cloud_monitoring import parse_incident
from weavefn.triggers.cloudwatch import parse_sns_alarms
from weavefn.triggers.cloudwatch_events import parse_eventbridge_alarm, parse_lambda_action_alarm
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.http_payloads import read_http
from weavefn.triggers.parse import parse_alarm, parse_trigger
from weavefn.triggers.queue import parse_azure_queue, parse_pubsub_cluster, parse_sqs
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.schedules import (
    parse_azure_timer,
    parse_cloud_scheduler_http,
    parse_cloud_scheduler_pubsub,
    parse_eventbridge_schedule,
)
from weavefn.triggers.signed_upgrade import authenticate_upgrade, sign_upgrade

from tests.unit.triggers.test_samples import load

SECRET = "hunter2-Sup3rSecret"
UPGRADE_SECRET = b"ci-shared-secret"
Edit = Callable[[Any], None]


def in_json(*keys: Any, edit: Callable[[Any], Any]) -> Edit:
    """Edit a JSON document carried as a string at ``keys`` (an SNS Message, a queue body)."""

    def apply(doc: Any) -> None:
        holder = doc
        for key in keys[:-1]:
            holder = holder[key]
        inner = json.loads(holder[keys[-1]])
        result = edit(inner)
        holder[keys[-1]] = json.dumps(inner if result is None else result)

    return apply


def in_b64(*keys: Any, edit: Callable[[Any], Any]) -> Edit:
    """Edit base64-encoded JSON at ``keys`` (Pub/Sub message data)."""

    def apply(doc: Any) -> None:
        holder = doc
        for key in keys[:-1]:
            holder = holder[key]
        inner = json.loads(base64.b64decode(holder[keys[-1]]))
        result = edit(inner)
        holder[keys[-1]] = base64.b64encode(
            json.dumps(inner if result is None else result).encode()
        ).decode()

    return apply


def setting(*keys: Any, value: Any) -> Callable[[Any], None]:
    def apply(doc: Any) -> None:
        for key in keys[:-1]:
            doc = doc[key]
        doc[keys[-1]] = value

    return apply


def deleting(*keys: Any) -> Callable[[Any], None]:
    def apply(doc: Any) -> None:
        for key in keys[:-1]:
            doc = doc[key]
        del doc[keys[-1]]

    return apply


SNS = "aws/cloudwatch-alarm-sns.json"
MATH = "aws/cloudwatch-alarm-metric-math-sns.json"
EB = "aws/cloudwatch-alarm-eventbridge.json"
ACTION = "aws/cloudwatch-alarm-lambda-action.json"
AZ = "azure/azure-monitor-metric-alert.json"
AZ_LOG = "azure/azure-monitor-log-alert.json"
INCIDENT = "gcp/cloud-monitoring-incident.json"
MSG = ("Records", 0, "Sns", "Message")
PUBSUB_DATA = ("data", "message", "data")
SQS_BODY = ("Records", 0, "body")

CASES: list[tuple[str, str, Edit, str]] = [
    # (id, sample, edit, expected path)
    (
        "sns-missing-state",
        SNS,
        in_json(*MSG, edit=deleting("NewStateValue")),
        "Records[0].Sns.Message.NewStateValue",
    ),
    (
        "sns-unknown-state",
        SNS,
        in_json(*MSG, edit=setting("NewStateValue", value=SECRET)),
        "Records[0].Sns.Message.NewStateValue",
    ),
    (
        "sns-name-wrong-type",
        SNS,
        in_json(*MSG, edit=setting("AlarmName", value=12)),
        "Records[0].Sns.Message.AlarmName",
    ),
    ("sns-message-not-json", SNS, setting(*MSG, value="{" + SECRET), "Records[0].Sns.Message"),
    ("sns-message-not-object", SNS, setting(*MSG, value="[1, 2]"), "Records[0].Sns.Message"),
    (
        "sns-bad-cluster",
        SNS,
        in_json(*MSG, edit=setting("Trigger", "Dimensions", 0, "value", value=SECRET)),
        "Records[0].Sns.Message.Trigger.Dimensions[0].value",
    ),
    ("sns-records-not-list", SNS, setting("Records", 0, "Sns", value=[]), "Records[0].Sns"),
    (
        "sns-second-record-bad",
        SNS,
        lambda d: d["Records"].append(
            {"EventSource": "aws:sns", "Sns": {**d["Records"][0]["Sns"], "Message": "[]"}}
        ),
        "Records[1].Sns.Message",
    ),
    (
        "sns-missing-message-id",
        SNS,
        deleting("Records", 0, "Sns", "MessageId"),
        "Records[0].Sns.MessageId",
    ),
    (
        "sns-bad-time",
        SNS,
        in_json(*MSG, edit=setting("StateChangeTime", value="yesterday")),
        "Records[0].Sns.Message.StateChangeTime",
    ),
    (
        "math-bad-cluster",
        MATH,
        in_json(
            *MSG,
            edit=setting(
                "Trigger",
                "Metrics",
                2,
                "MetricStat",
                "Metric",
                "Dimensions",
                0,
                "value",
                value="Weaviate/Prod",
            ),
        ),
        "Records[0].Sns.Message.Trigger.Metrics[2].MetricStat.Metric.Dimensions[0].value",
    ),
    (
        "eventbridge-missing-timestamp",
        EB,
        deleting("detail", "state", "timestamp"),
        "detail.state.timestamp",
    ),
    (
        "eventbridge-state-wrong-type",
        EB,
        setting("detail", "state", "value", value=["ALARM"]),
        "detail.state.value",
    ),
    (
        "eventbridge-dimensions-wrong-type",
        EB,
        setting(
            "detail",
            "configuration",
            "metrics",
            0,
            "metricStat",
            "metric",
            "dimensions",
            value=[SECRET],
        ),
        "detail.configuration.metrics[0].metricStat.metric.dimensions",
    ),
    (
        "eventbridge-bad-cluster",
        EB,
        setting(
            "detail",
            "configuration",
            "metrics",
            0,
            "metricStat",
            "metric",
            "dimensions",
            "weaviate.io/cluster",
            value="production",
        ),
        "detail.configuration.metrics[0].metricStat.metric.dimensions.weaviate.io/cluster",
    ),
    ("action-missing-arn", ACTION, deleting("alarmArn"), "alarmArn"),
    ("action-missing-name", ACTION, deleting("alarmData", "alarmName"), "alarmData.alarmName"),
    (
        "azure-missing-condition",
        AZ,
        deleting("data", "essentials", "monitorCondition"),
        "data.essentials.monitorCondition",
    ),
    (
        "azure-unknown-condition",
        AZ,
        setting("data", "essentials", "monitorCondition", value="Maybe"),
        "data.essentials.monitorCondition",
    ),
    (
        "azure-threshold-not-number",
        AZ,
        setting("data", "alertContext", "condition", "allOf", 0, "threshold", value=SECRET),
        "data.alertContext.condition.allOf[0].threshold",
    ),
    (
        "azure-bad-cluster",
        AZ,
        setting(
            "data", "alertContext", "condition", "allOf", 0, "dimensions", 0, "value", value=SECRET
        ),
        "data.alertContext.condition.allOf[0].dimensions[0].value",
    ),
    (
        "azure-resolved-without-time",
        AZ,
        setting("data", "essentials", "monitorCondition", value="Resolved"),
        "data.essentials.resolvedDateTime",
    ),
    (
        "azure-bad-custom-property",
        AZ_LOG,
        setting("data", "customProperties", "weaviate.io/cluster", value="a/b/c"),
        "data.customProperties.weaviate.io/cluster",
    ),
    (
        "incident-bad-base64",
        INCIDENT,
        setting(*PUBSUB_DATA, value="%%%" + SECRET),
        "data.message.data",
    ),
    (
        "incident-not-json",
        INCIDENT,
        setting(*PUBSUB_DATA, value=base64.b64encode(b"{" + SECRET.encode()).decode()),
        "data.message.data",
    ),
    (
        "incident-missing-state",
        INCIDENT,
        in_b64(*PUBSUB_DATA, edit=deleting("incident", "state")),
        "data.message.data.incident.state",
    ),
    (
        "incident-unknown-state",
        INCIDENT,
        in_b64(*PUBSUB_DATA, edit=setting("incident", "state", value="acknowledged")),
        "data.message.data.incident.state",
    ),
    (
        "incident-bad-label",
        INCIDENT,
        in_b64(
            *PUBSUB_DATA,
            edit=setting("incident", "metric", "labels", "weaviate_io_cluster", value=SECRET),
        ),
        "data.message.data.incident.metric.labels.weaviate_io_cluster",
    ),
    (
        "incident-missing-message-id",
        INCIDENT,
        lambda d: [d["data"]["message"].pop(k) for k in ("messageId", "message_id")],
        "data.message.messageId",
    ),
    (
        "math-two-clusters",
        MATH,
        in_json(
            *MSG,
            edit=setting(
                "Trigger",
                "Metrics",
                2,
                "MetricStat",
                "Metric",
                "Dimensions",
                0,
                "value",
                value="weaviate/staging",
            ),
        ),
        "Records[0].Sns.Message.Trigger.Metrics[2].MetricStat.Metric.Dimensions[0].value",
    ),
    ("schedule-missing-time", "aws/schedule-eventbridge.json", deleting("time"), "time"),
    (
        "timer-past-due-wrong-type",
        "azure/timer.json",
        setting("IsPastDue", value="perhaps"),
        "IsPastDue",
    ),
    (
        "scheduler-pubsub-missing-publish-time",
        "gcp/scheduler-pubsub.json",
        lambda d: [d["data"]["message"].pop(k) for k in ("publishTime", "publish_time")],
        "data.message.publishTime",
    ),
    (
        "scheduler-http-bad-time",
        "gcp/scheduler-http.json",
        setting("headers", "X-Cloudscheduler-Scheduletime", value="soon"),
        "headers.x-cloudscheduler-scheduletime",
    ),
    (
        "sqs-body-not-json",
        "aws/sqs-reconcile.json",
        setting(*SQS_BODY, value=SECRET),
        "Records[0].body",
    ),
    (
        "sqs-bad-cluster",
        "aws/sqs-reconcile.json",
        in_json(*SQS_BODY, edit=setting("cluster", value=SECRET)),
        "Records[0].body.cluster",
    ),
    (
        "sqs-cluster-wrong-type",
        "aws/sqs-reconcile.json",
        in_json(*SQS_BODY, edit=setting("cluster", value=7)),
        "Records[0].body.cluster",
    ),
    (
        "pubsub-missing-cluster",
        "gcp/pubsub-reconcile.json",
        in_b64(*PUBSUB_DATA, edit=lambda d: {"cluster": "", "reason": "x"}),
        "data.message.data.cluster",
    ),
    (
        "azure-queue-bad-base64",
        "azure/queue-reconcile.json",
        setting("body", value="not base64!"),
        "body",
    ),
    (
        "azure-queue-bad-cluster",
        "azure/queue-reconcile.json",
        setting("body", value=json.dumps({"cluster": "production"})),
        "body.cluster",
    ),
    (
        "upgrade-bad-version",
        "aws/apigw-upgrade-request.json",
        setting("body", value=json.dumps({"cluster": "weaviate/production", "version": "latest"})),
        "version",
    ),
    (
        "upgrade-missing-cluster",
        "gcp/http-upgrade-request.json",
        setting("body", value=json.dumps({"version": "1.27.3"})),
        "cluster",
    ),
    (
        "upgrade-body-not-json",
        "azure/http-upgrade-request.json",
        setting("body", value=SECRET),
        "(body)",
    ),
    (
        "apigw-bad-base64",
        "aws/apigw-upgrade-request.json",
        setting("isBase64Encoded", value=True),
        "body",
    ),
]


def signed_upgrade(request: HttpRequest) -> object:
    """The webhook's upgrade route: the body, signed by CI, through authentication."""
    now = 1_764_152_400
    headers = sign_upgrade(request.body, secret=UPGRADE_SECRET, timestamp=now)
    return authenticate_upgrade(
        body=request.body,
        headers=headers,
        secret=UPGRADE_SECRET,
        now=now,
        replay=InMemoryReplayGuard(),
    )


# What each function calls for its own trigger; detection is only for `weavefn invoke`.
PARSERS: dict[str, Callable[[Any], object]] = {
    SNS: parse_sns_alarms,
    MATH: parse_sns_alarms,
    EB: parse_eventbridge_alarm,
    ACTION: parse_lambda_action_alarm,
    AZ: parse_azure_alert,
    AZ_LOG: parse_azure_alert,
    INCIDENT: parse_incident,
    "aws/schedule-eventbridge.json": parse_eventbridge_schedule,
    "azure/timer.json": parse_azure_timer,
    "gcp/scheduler-pubsub.json": parse_cloud_scheduler_pubsub,
    "gcp/scheduler-http.json": lambda p: parse_cloud_scheduler_http(read_http(p)),
    "aws/sqs-reconcile.json": parse_sqs,
    "gcp/pubsub-reconcile.json": parse_pubsub_cluster,
    "azure/queue-reconcile.json": parse_azure_queue,
    "aws/apigw-upgrade-request.json": lambda p: signed_upgrade(read_http(p)),
    "gcp/http-upgrade-request.json": lambda p: signed_upgrade(read_http(p)),
    "azure/http-upgrade-request.json": lambda p: signed_upgrade(read_http(p)),
}


@pytest.mark.parametrize(
    ("sample", "edit", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_payload_names_the_field(sample: str, edit: Edit, path: str) -> None:
    payload = load(sample)
    edit(payload)
    with pytest.raises(InvalidInputError) as caught:
        PARSERS[sample](payload)
    assert path in [e.path for e in caught.value.errors]
    assert SECRET not in str(caught.value)
    assert "pydantic" not in str(caught.value).lower()


@pytest.mark.parametrize(
    "payload",
    [
        {"hello": "world"},
        [1, 2],
        "ALARM",
        {"version": "2.0", "rawPath": "/other", "requestContext": {}},
    ],
    ids=["unknown-object", "list", "string", "http-to-unknown-route"],
)
def test_unrecognised_payload_is_rejected_at_the_root(payload: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_trigger(payload)
    assert [e.path for e in caught.value.errors] == ["(root)"]


@pytest.mark.parametrize(
    "sample",
    ["aws/schedule-eventbridge.json", "aws/sqs-reconcile.json", "aws/apigw-admission-review.json"],
    ids=["schedule", "queue", "admission"],
)
def test_parse_alarm_refuses_what_is_no_alarm(sample: str) -> None:
    with pytest.raises(InvalidInputError, match="not an alarm"):
        parse_alarm(load(sample))


def test_admission_review_carries_no_trigger() -> None:
    with pytest.raises(InvalidInputError, match="admission-review"):
        parse_trigger(load("aws/apigw-admission-review.json"))


def test_empty_sns_batch_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_sns_alarms({"Records": []})
    assert [e.path for e in caught.value.errors] == ["Records"]


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (setting("headers", "X-Cloudscheduler", value="false"), "headers.x-cloudscheduler"),
        (deleting("headers", "X-Cloudscheduler"), "headers.x-cloudscheduler"),
    ],
    ids=["header-false", "header-missing"],
)
def test_scheduler_http_needs_its_header(edit: Edit, path: str) -> None:
    payload = load("gcp/scheduler-http.json")
    edit(payload)
    with pytest.raises(InvalidInputError) as caught:
        parse_cloud_scheduler_http(read_http(payload))
    assert [e.path for e in caught.value.errors] == [path]
