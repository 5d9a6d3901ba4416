"""Recognise which platform shape a payload has, so one entry point can pick its parser.

Detection looks at the envelope only (plus the decoded Pub/Sub data, which is all a Pub/Sub
message has); validating the payload is the parser's job. Nothing here needs pydantic, so an
entry point can pick a parser before any payload model is built.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from weavefn.errors import FieldError, InvalidInputError


class Cloud(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    ANY = "any"
    """A cloud-neutral shape, such as a bare cluster message or AdmissionReview."""


class Category(StrEnum):
    ALARM = "alarm"
    SCHEDULE = "schedule"
    QUEUE = "queue"
    WEBHOOK = "webhook"


class PayloadKind(StrEnum):
    CLOUDWATCH_SNS = "cloudwatch-sns"
    CLOUDWATCH_EVENTBRIDGE = "cloudwatch-eventbridge"
    CLOUDWATCH_LAMBDA_ACTION = "cloudwatch-lambda-action"
    SNS_HTTP_NOTIFICATION = "sns-http-notification"
    SNS_SUBSCRIPTION = "sns-subscription"
    AZURE_MONITOR_ALERT = "azure-monitor-alert"
    CLOUD_MONITORING_INCIDENT = "cloud-monitoring-incident"
    EVENTBRIDGE_SCHEDULE = "eventbridge-schedule"
    CLOUD_SCHEDULER_HTTP = "cloud-scheduler-http"
    CLOUD_SCHEDULER_PUBSUB = "cloud-scheduler-pubsub"
    AZURE_TIMER = "azure-timer"
    SQS_MESSAGE = "sqs-message"
    PUBSUB_MESSAGE = "pubsub-message"
    AZURE_QUEUE_MESSAGE = "azure-queue-message"
    CLUSTER_MESSAGE = "cluster-message"
    UPGRADE_REQUEST = "upgrade-request"
    RESTORE_REQUEST = "restore-request"
    ADMISSION_REVIEW = "admission-review"

    @property
    def category(self) -> Category:
        return _CATEGORIES.get(self, Category.WEBHOOK)


_CATEGORIES = {
    PayloadKind.CLOUDWATCH_SNS: Category.ALARM,
    PayloadKind.CLOUDWATCH_EVENTBRIDGE: Category.ALARM,
    PayloadKind.CLOUDWATCH_LAMBDA_ACTION: Category.ALARM,
    PayloadKind.SNS_HTTP_NOTIFICATION: Category.ALARM,
    PayloadKind.AZURE_MONITOR_ALERT: Category.ALARM,
    PayloadKind.CLOUD_MONITORING_INCIDENT: Category.ALARM,
    PayloadKind.EVENTBRIDGE_SCHEDULE: Category.SCHEDULE,
    PayloadKind.CLOUD_SCHEDULER_HTTP: Category.SCHEDULE,
    PayloadKind.CLOUD_SCHEDULER_PUBSUB: Category.SCHEDULE,
    PayloadKind.AZURE_TIMER: Category.SCHEDULE,
    PayloadKind.SQS_MESSAGE: Category.QUEUE,
    PayloadKind.PUBSUB_MESSAGE: Category.QUEUE,
    PayloadKind.AZURE_QUEUE_MESSAGE: Category.QUEUE,
    PayloadKind.CLUSTER_MESSAGE: Category.QUEUE,
}


@dataclass(frozen=True)
class Detected:
    cloud: Cloud
    kind: PayloadKind

    @property
    def category(self) -> Category:
        return self.kind.category


_SNS_TYPES = {
    "Notification": PayloadKind.SNS_HTTP_NOTIFICATION,
    "SubscriptionConfirmation": PayloadKind.SNS_SUBSCRIPTION,
    "UnsubscribeConfirmation": PayloadKind.SNS_SUBSCRIPTION,
}
_GCP_HEADERS = ("function-execution-id", "x-cloud-trace-context")
_AZURE_HEADERS = ("x-arr-log-id", "x-site-deployment-id", "was-default-hostname")


def is_apigw_v2(payload: object) -> bool:
    """An API Gateway HTTP API (payload format 2.0) event."""
    return isinstance(payload, dict) and payload.get("version") == "2.0" and "rawPath" in payload


def is_cloudevent(payload: object) -> bool:
    """A CloudEvent in structured form (how Pub/Sub messages reach a Cloud Function)."""
    return isinstance(payload, dict) and "specversion" in payload


def _unrecognised(message: str = "not a payload weavefn recognises") -> InvalidInputError:
    return InvalidInputError([FieldError("(root)", message)], what="trigger payload")


def _text(value: object) -> str:
    """A field that must be text; anything else (even nested past ``repr``'s depth) is ''."""
    return value if isinstance(value, str) else ""


def _json(text: object) -> Any:
    if not isinstance(text, str | bytes):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # deep nesting exhausts the decoder's stack
        return None


def _pubsub_kind(payload: dict[str, Any]) -> PayloadKind:
    envelope = payload.get("data") if is_cloudevent(payload) else payload
    message = envelope.get("message") if isinstance(envelope, dict) else None
    data = message.get("data") if isinstance(message, dict) else None
    try:
        decoded = _json(base64.b64decode(data, validate=True)) if isinstance(data, str) else None
    except (binascii.Error, ValueError):
        decoded = None
    if isinstance(decoded, dict) and "incident" in decoded:
        return PayloadKind.CLOUD_MONITORING_INCIDENT
    if isinstance(decoded, dict) and "cluster" in decoded:
        return PayloadKind.PUBSUB_MESSAGE
    # a scheduler job's body is whatever its config says; on our topics anything else is a tick
    return PayloadKind.CLOUD_SCHEDULER_PUBSUB


def _http_kind(path: str, headers: dict[str, Any], body: object) -> PayloadKind:
    sns_type = headers.get("x-amz-sns-message-type")
    if isinstance(sns_type, str) and sns_type in _SNS_TYPES:
        return _SNS_TYPES[sns_type]
    if _text(headers.get("x-cloudscheduler")).lower() == "true":
        return PayloadKind.CLOUD_SCHEDULER_HTTP
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last == "upgrade":
        return PayloadKind.UPGRADE_REQUEST
    if last == "restore":
        return PayloadKind.RESTORE_REQUEST
    decoded = _json(body)
    if last == "admission" or (
        isinstance(decoded, dict) and decoded.get("kind") == "AdmissionReview"
    ):
        return PayloadKind.ADMISSION_REVIEW
    raise _unrecognised("an HTTP request to no weavefn endpoint")


def _http_cloud(headers: dict[str, Any]) -> Cloud:
    if any(name in headers for name in _GCP_HEADERS):
        return Cloud.GCP
    if any(name in headers for name in _AZURE_HEADERS):
        return Cloud.AZURE
    return Cloud.ANY


def _headers(payload: dict[str, Any]) -> dict[str, Any]:
    raw = payload.get("headers")
    return {str(k).lower(): v for k, v in raw.items()} if isinstance(raw, dict) else {}


def _records(payload: dict[str, Any]) -> Detected | None:
    records = payload.get("Records")
    if not (isinstance(records, list) and records and isinstance(records[0], dict)):
        return None
    source = _text(records[0].get("EventSource") or records[0].get("eventSource"))
    kind = {"aws:sns": PayloadKind.CLOUDWATCH_SNS, "aws:sqs": PayloadKind.SQS_MESSAGE}.get(source)
    return Detected(Cloud.AWS, kind) if kind else None


def _aws_events(payload: dict[str, Any]) -> Detected | None:
    if payload.get("source") == "aws.cloudwatch" and "alarmData" in payload:
        return Detected(Cloud.AWS, PayloadKind.CLOUDWATCH_LAMBDA_ACTION)
    kind = {
        "CloudWatch Alarm State Change": PayloadKind.CLOUDWATCH_EVENTBRIDGE,
        "Scheduled Event": PayloadKind.EVENTBRIDGE_SCHEDULE,
    }.get(_text(payload.get("detail-type")))
    return Detected(Cloud.AWS, kind) if kind else None


def _sns_http(payload: dict[str, Any]) -> Detected | None:
    sns_type = payload.get("Type")
    if "TopicArn" in payload and isinstance(sns_type, str) and sns_type in _SNS_TYPES:
        return Detected(Cloud.AWS, _SNS_TYPES[str(payload["Type"])])
    return None


def _apigw(payload: dict[str, Any]) -> Detected | None:
    if not is_apigw_v2(payload):
        return None
    kind = _http_kind(_text(payload.get("rawPath")), _headers(payload), payload.get("body"))
    return Detected(Cloud.AWS, kind)


def _azure(payload: dict[str, Any]) -> Detected | None:
    if payload.get("schemaId") == "azureMonitorCommonAlertSchema":
        return Detected(Cloud.AZURE, PayloadKind.AZURE_MONITOR_ALERT)
    if "IsPastDue" in payload:
        return Detected(Cloud.AZURE, PayloadKind.AZURE_TIMER)
    if "dequeueCount" in payload and "body" in payload:
        return Detected(Cloud.AZURE, PayloadKind.AZURE_QUEUE_MESSAGE)
    return None


def _gcp(payload: dict[str, Any]) -> Detected | None:
    if "incident" in payload and "version" in payload:
        return Detected(Cloud.GCP, PayloadKind.CLOUD_MONITORING_INCIDENT)
    if is_cloudevent(payload) or isinstance(payload.get("message"), dict):
        return Detected(Cloud.GCP, _pubsub_kind(payload))
    return None


def _http_document(payload: dict[str, Any]) -> Detected | None:
    if "method" not in payload or "url" not in payload:
        return None
    headers = _headers(payload)
    kind = _http_kind(_text(payload["url"]).split("?", 1)[0], headers, payload.get("body"))
    return Detected(_http_cloud(headers), kind)


def _neutral(payload: dict[str, Any]) -> Detected | None:
    if payload.get("kind") == "AdmissionReview":
        return Detected(Cloud.ANY, PayloadKind.ADMISSION_REVIEW)
    if "cluster" in payload:
        return Detected(Cloud.ANY, PayloadKind.CLUSTER_MESSAGE)
    return None


# Most specific first: a bare cluster message is the fallback once no envelope matched.
_RECOGNISERS: tuple[Callable[[dict[str, Any]], Detected | None], ...] = (
    _records,
    _aws_events,
    _sns_http,
    _apigw,
    _azure,
    _gcp,
    _http_document,
    _neutral,
)


def detect(payload: object) -> Detected:
    """Which cloud and which shape ``payload`` is; InvalidInputError when it is none we know."""
    if not isinstance(payload, dict):
        raise _unrecognised("expected a JSON object")
    for recognise in _RECOGNISERS:
        detected = recognise(payload)
        if detected is not None:
            return detected
    raise _unrecognised()
