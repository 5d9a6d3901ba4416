"""One registry from detected payload kind to parser: ``parse_alarm`` and ``parse_trigger``.

Parsing is not authenticating: verify SNS signatures (sns_signature) before trusting what
these return. Upgrade requests have no entry: they become triggers only once their signature
is checked (signed_upgrade.authenticate_upgrade, on the webhook's upgrade route).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.azure_monitor import parse_azure_alert
from weavefn.triggers.cloud_monitoring import parse_incident
from weavefn.triggers.cloudwatch import parse_sns_alarms, parse_sns_http_alarm
from weavefn.triggers.cloudwatch_events import parse_eventbridge_alarm, parse_lambda_action_alarm
from weavefn.triggers.detect import Category, PayloadKind, detect
from weavefn.triggers.fields import decode_json
from weavefn.triggers.http import is_apigw_v2, read_http
from weavefn.triggers.model import AlarmTrigger, Trigger
from weavefn.triggers.queue import (
    cluster_from_body,
    parse_azure_queue,
    parse_pubsub_cluster,
    parse_sqs,
)
from weavefn.triggers.schedules import (
    parse_azure_timer,
    parse_cloud_scheduler_http,
    parse_cloud_scheduler_pubsub,
    parse_eventbridge_schedule,
)

Parser = Callable[[object, datetime | None], Sequence[Trigger]]


def _sns_document(payload: object) -> object:
    """The SNS JSON document, whether bare or inside the HTTP request that delivered it."""
    if isinstance(payload, dict) and ("method" in payload or is_apigw_v2(payload)):
        return decode_json(read_http(payload).body, path="body", what="SNS notification")
    return payload


def _bare_cluster(payload: object) -> list[Trigger]:
    # a bare message has no envelope id; its content is what a redelivery repeats
    try:
        text = json.dumps(payload, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        raise InvalidInputError(
            [FieldError("(root)", "is not a JSON object of reasonable depth")],
            what="cluster message",
        ) from None
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return [cluster_from_body(payload, event_id=f"message:{digest}")]


PARSERS: dict[PayloadKind, Parser] = {
    PayloadKind.CLOUDWATCH_SNS: lambda p, _: parse_sns_alarms(p),
    PayloadKind.CLOUDWATCH_EVENTBRIDGE: lambda p, _: [parse_eventbridge_alarm(p)],
    PayloadKind.CLOUDWATCH_LAMBDA_ACTION: lambda p, _: [parse_lambda_action_alarm(p)],
    PayloadKind.SNS_HTTP_NOTIFICATION: lambda p, _: [parse_sns_http_alarm(_sns_document(p))],
    PayloadKind.AZURE_MONITOR_ALERT: lambda p, _: [parse_azure_alert(p)],
    PayloadKind.CLOUD_MONITORING_INCIDENT: lambda p, _: [parse_incident(p)],
    PayloadKind.EVENTBRIDGE_SCHEDULE: lambda p, _: [parse_eventbridge_schedule(p)],
    PayloadKind.CLOUD_SCHEDULER_HTTP: lambda p, at: [
        parse_cloud_scheduler_http(read_http(p), received_at=at)
    ],
    PayloadKind.CLOUD_SCHEDULER_PUBSUB: lambda p, _: [parse_cloud_scheduler_pubsub(p)],
    PayloadKind.AZURE_TIMER: lambda p, at: [parse_azure_timer(p, received_at=at)],
    PayloadKind.SQS_MESSAGE: lambda p, _: parse_sqs(p),
    PayloadKind.PUBSUB_MESSAGE: lambda p, _: [parse_pubsub_cluster(p)],
    PayloadKind.AZURE_QUEUE_MESSAGE: lambda p, _: [parse_azure_queue(p)],
    PayloadKind.CLUSTER_MESSAGE: lambda p, _: _bare_cluster(p),
}
"""Every kind that becomes core triggers unauthenticated; SNS subscriptions, AdmissionReviews and
upgrade requests do not (the webhook answers them)."""


def parse_trigger(payload: object, *, received_at: datetime | None = None) -> list[Trigger]:
    """Detect the payload's shape and parse it into core triggers."""
    detected = detect(payload)
    parser = PARSERS.get(detected.kind)
    if parser is None:
        why = f"a payload of kind {detected.kind} carries no trigger"
        if detected.kind is PayloadKind.UPGRADE_REQUEST:
            why += " until the webhook authenticates it (POST /upgrade, signed)"
        raise InvalidInputError([FieldError("(root)", why)], what="trigger payload")
    return list(parser(payload, received_at))


def parse_alarm(payload: object) -> list[AlarmTrigger]:
    """Any known alarm notification shape; SNS may batch several alarms in one event."""
    detected = detect(payload)
    if detected.category is not Category.ALARM:
        raise InvalidInputError(
            [FieldError("(root)", f"not an alarm notification (kind {detected.kind})")],
            what="alarm notification",
        )
    return [t for t in PARSERS[detected.kind](payload, None) if isinstance(t, AlarmTrigger)]
