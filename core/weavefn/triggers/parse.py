"""One registry from detected payload kind to parser: ``parse_alarm`` and ``parse_trigger``.

Parsing is not authenticating: verify SNS signatures (sns_signature) before trusting what
these return. Upgrade requests have no entry: they become triggers only once their signature
is checked (signed_upgrade.authenticate_upgrade, on the webhook's upgrade route).

Each parser's module (and its payload models) is imported when a payload of its kind
arrives, so an entry point pays only for the shapes it receives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.detect import Category, PayloadKind, detect, is_apigw_v2
from weavefn.triggers.fields import decode_json
from weavefn.triggers.model import AlarmTrigger, Trigger

Parser = Callable[[object, datetime | None], Sequence[Trigger]]


def _cloudwatch_sns(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.cloudwatch import parse_sns_alarms

    return parse_sns_alarms(payload)


def _cloudwatch_eventbridge(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.cloudwatch_events import parse_eventbridge_alarm

    return [parse_eventbridge_alarm(payload)]


def _cloudwatch_lambda_action(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.cloudwatch_events import parse_lambda_action_alarm

    return [parse_lambda_action_alarm(payload)]


def _sns_http(payload: object, _: datetime | None) -> Sequence[Trigger]:
    """The SNS JSON document, whether bare or inside the HTTP request that delivered it."""
    from weavefn.triggers.cloudwatch import parse_sns_http_alarm
    from weavefn.triggers.http_payloads import read_http

    if isinstance(payload, dict) and ("method" in payload or is_apigw_v2(payload)):
        payload = decode_json(read_http(payload).body, path="body", what="SNS notification")
    return [parse_sns_http_alarm(payload)]


def _azure_alert(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.azure_monitor import parse_azure_alert

    return [parse_azure_alert(payload)]


def _incident(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.cloud_monitoring import parse_incident

    return [parse_incident(payload)]


def _eventbridge_schedule(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.schedules import parse_eventbridge_schedule

    return [parse_eventbridge_schedule(payload)]


def _scheduler_http(payload: object, received_at: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.http_payloads import read_http
    from weavefn.triggers.schedules import parse_cloud_scheduler_http

    return [parse_cloud_scheduler_http(read_http(payload), received_at=received_at)]


def _scheduler_pubsub(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.schedules import parse_cloud_scheduler_pubsub

    return [parse_cloud_scheduler_pubsub(payload)]


def _azure_timer(payload: object, received_at: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.schedules import parse_azure_timer

    return [parse_azure_timer(payload, received_at=received_at)]


def _sqs(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.queue import parse_sqs

    return parse_sqs(payload)


def _pubsub_cluster(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.queue import parse_pubsub_cluster

    return [parse_pubsub_cluster(payload)]


def _azure_queue(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.queue import parse_azure_queue

    return [parse_azure_queue(payload)]


def _bare_cluster(payload: object, _: datetime | None) -> Sequence[Trigger]:
    from weavefn.triggers.queue import cluster_from_body

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
    PayloadKind.CLOUDWATCH_SNS: _cloudwatch_sns,
    PayloadKind.CLOUDWATCH_EVENTBRIDGE: _cloudwatch_eventbridge,
    PayloadKind.CLOUDWATCH_LAMBDA_ACTION: _cloudwatch_lambda_action,
    PayloadKind.SNS_HTTP_NOTIFICATION: _sns_http,
    PayloadKind.AZURE_MONITOR_ALERT: _azure_alert,
    PayloadKind.CLOUD_MONITORING_INCIDENT: _incident,
    PayloadKind.EVENTBRIDGE_SCHEDULE: _eventbridge_schedule,
    PayloadKind.CLOUD_SCHEDULER_HTTP: _scheduler_http,
    PayloadKind.CLOUD_SCHEDULER_PUBSUB: _scheduler_pubsub,
    PayloadKind.AZURE_TIMER: _azure_timer,
    PayloadKind.SQS_MESSAGE: _sqs,
    PayloadKind.PUBSUB_MESSAGE: _pubsub_cluster,
    PayloadKind.AZURE_QUEUE_MESSAGE: _azure_queue,
    PayloadKind.CLUSTER_MESSAGE: _bare_cluster,
}
"""Every kind that becomes core triggers unauthenticated; SNS subscriptions, AdmissionReviews and
signed upgrade and restore requests do not (the webhook answers them)."""


def parse_trigger(payload: object, *, received_at: datetime | None = None) -> list[Trigger]:
    """Detect the payload's shape and parse it into core triggers."""
    detected = detect(payload)
    parser = PARSERS.get(detected.kind)
    if parser is None:
        why = f"a payload of kind {detected.kind} carries no trigger"
        if detected.kind in (PayloadKind.UPGRADE_REQUEST, PayloadKind.RESTORE_REQUEST):
            route = "upgrade" if detected.kind is PayloadKind.UPGRADE_REQUEST else "restore"
            why += f" until the webhook authenticates it (POST /{route}, signed)"
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
