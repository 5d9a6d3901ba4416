"""Each cloud's real entry point, fed one payload as its platform would deliver it.

AWS: the Lambda handlers with a local context object. GCP: functions-framework's own app
for ``functions/gcp/main.py`` (its test client posts the CloudEvent or the HTTP request).
Azure: the functions ``function_app.py`` declares, called with the worker's ``azure.functions``
request, timer and queue objects. What comes back is the platform's
answer: a Lambda result, an HTTP status and body, or whether a message was acknowledged.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from weavefn.errors import FieldError, InvalidInputError, RetryableError
from weavefn.invocation import Instance, serving
from weavefn.triggers.detect import Category, Cloud, Detected, PayloadKind, is_apigw_v2

Payload = dict[str, Any]
_AWS_HANDLER = {
    Category.ALARM: "alarm",
    Category.SCHEDULE: "schedule",
    Category.QUEUE: "queue",
    Category.WEBHOOK: "webhook",
}


@dataclass(frozen=True)
class Delivery:
    """Which function received the payload, and what its platform got back."""

    target: str
    result: dict[str, Any]

    @property
    def failed(self) -> bool:
        result = self.result
        return (
            int(result.get("statusCode", 200)) >= 400
            or result.get("ok") is False
            or bool(result.get("batchItemFailures"))
            or "raised" in result
        )


def deliver(
    cloud: Cloud, detected: Detected, payload: Payload, *, instance: Instance, budget: float
) -> Delivery:
    """Run ``payload`` through ``cloud``'s entry point for its kind."""
    if cloud is Cloud.GCP:
        return _gcp(detected, payload, instance=instance)
    if cloud is Cloud.AZURE:
        return _azure(detected, payload, instance=instance)
    return _aws(detected, payload, instance=instance, budget=budget)


def _needs(extra: str, module: str) -> InvalidInputError:
    return InvalidInputError(
        [FieldError("--cloud", f"needs {module}: pip install -e '.[{extra}]'")], what="option"
    )


def _message_id(payload: Payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _raised(exc: Exception) -> dict[str, Any]:
    return {"raised": type(exc).__name__, "message": str(exc)}


# -- AWS --------------------------------------------------------------------------------------


def _aws(detected: Detected, payload: Payload, *, instance: Instance, budget: float) -> Delivery:
    from functions.aws.handlers import AwsHandlers, LocalContext

    if detected.kind is PayloadKind.CLUSTER_MESSAGE:  # the body of an SQS message
        record = {"messageId": _message_id(payload), "eventSource": "aws:sqs"}
        payload = {"Records": [{**record, "body": json.dumps(payload)}]}
        name = "queue"
    elif is_apigw_v2(payload) or "method" in payload:
        name = "webhook"  # SNS over HTTPS, signed requests, admission: all through the API
    else:
        name = _AWS_HANDLER[detected.category]
    handler: Callable[[Payload, Any], dict[str, Any]] = getattr(AwsHandlers(lambda: instance), name)
    try:
        result = handler(payload, LocalContext(budget_seconds=budget))
    except RetryableError as exc:  # Lambda retries an invocation that raised
        result = _raised(exc)
    return Delivery(f"functions/aws/handlers.{name}", result)


# -- GCP --------------------------------------------------------------------------------------


def _gcp(detected: Detected, payload: Payload, *, instance: Instance) -> Delivery:
    try:
        import functions_framework
    except ImportError:
        raise _needs("gcp", "functions-framework") from None
    import functions.gcp

    create_app: Any = functions_framework.create_app  # untyped

    source = str(Path(functions.gcp.__file__).with_name("main.py"))
    if "method" in payload:
        app = create_app(target="on_http", source=source, signature_type="http")
        url = urlsplit(str(payload["url"]))
        request: dict[str, Any] = {
            "method": str(payload["method"]),
            "path": url.path or "/",
            "query_string": url.query,
            "headers": dict(payload.get("headers") or {}),
            "data": str(payload.get("body", "")).encode(),
        }
        target = "on_http"
    else:
        if detected.kind is PayloadKind.CLUSTER_MESSAGE:  # the data of a Pub/Sub message
            payload = _pubsub_event(payload)
        app = create_app(target="on_pubsub", source=source, signature_type="cloudevent")
        request = {
            "method": "POST",
            "path": "/",
            "headers": {"Content-Type": "application/cloudevents+json"},
            "data": json.dumps(payload).encode(),
        }
        target = "on_pubsub"
    with serving(instance), app.test_client() as client:
        answer = client.open(**request)
    body = answer.get_data(as_text=True)
    return Delivery(
        f"functions/gcp/main.{target}", {"statusCode": answer.status_code, "body": body}
    )


def _pubsub_event(message: Payload) -> Payload:
    data = base64.b64encode(json.dumps(message).encode()).decode()
    message_id = _message_id(message)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "specversion": "1.0",
        "id": message_id,
        "source": "//pubsub.googleapis.com/projects/local/topics/weavefn-reconcile",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "datacontenttype": "application/json",
        "time": now,
        "data": {"message": {"data": data, "messageId": message_id, "publishTime": now}},
    }


# -- Azure ------------------------------------------------------------------------------------


_AZURE_HTTP = ("alert", "admission", "upgrade", "restore")
"""The HTTP functions, named like their routes."""


def _azure(detected: Detected, payload: Payload, *, instance: Instance) -> Delivery:
    try:
        import azure.functions as func
    except ImportError:
        raise _needs("azure", "azure-functions") from None
    from azure.functions import queue, timer

    QueueMessage: Any = queue.QueueMessage  # untyped
    TimerRequest: Any = timer.TimerRequest

    argument: Any
    if detected.kind is PayloadKind.AZURE_TIMER:
        name = "schedule"
        argument = TimerRequest(
            past_due=bool(payload.get("IsPastDue")),
            schedule_status=payload.get("ScheduleStatus"),
            schedule=payload.get("Schedule"),
        )
    elif detected.category is Category.QUEUE:
        name = "fanout"
        document = payload
        if detected.kind is PayloadKind.CLUSTER_MESSAGE:  # the body of a queue message
            document = {"id": _message_id(payload), "body": json.dumps(payload)}
        argument = QueueMessage(
            id=str(document.get("id", "")),
            body=str(document.get("body", "")),
            dequeue_count=int(document.get("dequeueCount") or 1),
            pop_receipt=document.get("popReceipt"),
        )
    else:
        if "method" in payload:
            url = str(payload["url"])
            body = str(payload.get("body", "")).encode()
            method, headers = str(payload["method"]), dict(payload.get("headers") or {})
        else:  # an alert's common-schema document is the body an action group posts
            url = "https://localhost/api/alert"
            body, method = json.dumps(payload).encode(), "POST"
            headers = {"Content-Type": "application/json"}
        name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        argument = func.HttpRequest(
            method=method,
            url=url,
            headers=headers,
            params=dict(parse_qsl(urlsplit(url).query)),
            body=body,
        )
    if name not in (*_AZURE_HTTP, "schedule", "fanout"):
        raise InvalidInputError(
            [FieldError("url", f"no Azure function serves the route {name!r}")], what="event"
        )
    from functions.azure import function_app

    # a decorated function stays callable as it was written (the SDK's way to run one locally)
    function: Callable[[Any], Any] = getattr(function_app, name)
    with serving(instance):
        try:
            answer = function(argument)
        except RetryableError as exc:  # the queue delivers a message again when its run raised
            return Delivery(f"functions/azure/function_app.{name}", _raised(exc))
    if isinstance(answer, func.HttpResponse):
        result = {"statusCode": answer.status_code, "body": answer.get_body().decode()}
    else:
        result = {"acknowledged": True}
    return Delivery(f"functions/azure/function_app.{name}", result)
