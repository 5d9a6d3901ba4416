"""Azure Functions (Python v2 programming model) entry points, mapped onto the core.

HTTP: ``alert`` (action group webhook, common alert schema), ``admission``, ``upgrade``,
``restore``;
a one-minute timer ``schedule``; a queue trigger ``fanout``. Parsing is the core's; this module
only runs the trigger and maps the outcome: a raised error makes the queue redeliver, a
returned one acknowledges, an HTTP answer carries the status code.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from weavefn import invocation
from weavefn.answers import Disposition, answer, error_answer
from weavefn.errors import ConfigurationError, InvalidInputError, RetryableError
from weavefn.triggers.fields import decode_json
from weavefn.triggers.http import HttpRequest
from weavefn.webhooks import (
    MAX_BODY_BYTES,
    HttpResponse,
    answer_response,
    error_response,
    handle_for,
)

log = logging.getLogger("weavefn")

HOST_JSON = Path(__file__).with_name("host.json")
TIMEOUT_ENV = "AzureFunctionsJobHost__functionTimeout"
"""App setting that overrides host.json's functionTimeout."""
DEFAULT_TIMEOUT_SECONDS = 300.0  # the Consumption plan's default functionTimeout
HTTP_LIMIT_SECONDS = 230.0  # Azure's front end drops HTTP requests unanswered this long

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")


def parse_timespan(text: str) -> float | None:
    """``[d.]hh:mm:ss[.fff]`` (the host's TimeSpan) in seconds; None when unreadable or zero."""
    match = _TIMESPAN.match(text.strip())
    if match is None:
        return None
    days, hours, minutes, seconds = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return total if total > 0 else None


@functools.cache
def host_timeout() -> float:
    """The function timeout the host enforces: the app setting, else host.json, else default."""
    configured = os.environ.get(TIMEOUT_ENV, "")
    if not configured:
        try:
            configured = str(json.loads(HOST_JSON.read_text()).get("functionTimeout", ""))
        except (OSError, ValueError, AttributeError):
            configured = ""
    return parse_timespan(configured) or DEFAULT_TIMEOUT_SECONDS


def deadline(*, started: float, http: bool = False) -> float:
    limit = min(host_timeout(), HTTP_LIMIT_SECONDS) if http else host_timeout()
    return invocation.deadline_from(limit, now=started)


def http_request(req: func.HttpRequest) -> HttpRequest:
    headers = {name.lower(): value for name, value in req.headers.items()}
    return HttpRequest(
        method=req.method.upper(),
        path=urlsplit(req.url).path or "/",
        headers=headers,
        body=req.get_body(),
        request_id=headers.get("x-arr-log-id", ""),
        query=dict(req.params),
    )


def http_response(response: HttpResponse) -> func.HttpResponse:
    return func.HttpResponse(
        body=response.body, status_code=response.status, headers=dict(response.headers)
    )


def _routed(req: func.HttpRequest) -> func.HttpResponse:
    started = time.monotonic()
    try:
        instance = invocation.current()
    except ConfigurationError as bad:
        log.error("function settings are invalid: %s", bad)
        return http_response(answer_response(error_answer(bad)))
    return http_response(
        handle_for(instance, http_request(req), deadline=deadline(started=started, http=True))
    )


@app.route(route="alert", methods=["POST"])
def alert(req: func.HttpRequest) -> func.HttpResponse:
    """Azure Monitor action group webhook (common alert schema; the URL carries ``?code=``).

    Action groups retry a webhook answered with 503, so a transient failure answers 503.
    """
    started = time.monotonic()
    request_id = req.headers.get("x-arr-log-id", "")
    body = req.get_body()
    if len(body) > MAX_BODY_BYTES:  # the same limit as the routed endpoints, before parsing
        return http_response(
            error_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body exceeds {MAX_BODY_BYTES} bytes"
            )
        )
    from weavefn.triggers.azure_monitor import parse_azure_alert  # on the first alert

    try:
        trigger = parse_azure_alert(decode_json(body, path="body", what="alert"))
    except InvalidInputError as bad:
        log.warning("malformed alert rejected", extra={"trigger": "alarm", "error": str(bad)})
        return http_response(answer_response(error_answer(bad)))
    result = answer(
        lambda: invocation.run_trigger(
            trigger,
            instance=invocation.current(),
            deadline=deadline(started=started, http=True),
            request_id=request_id,
        )
    )
    return http_response(answer_response(result))


@app.route(route="admission", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def admission(req: func.HttpRequest) -> func.HttpResponse:
    """The Kubernetes admission webhook.

    Anonymous because the API server cannot send a function key: a webhook ``clientConfig.url``
    may not carry a query string and the API server sets no custom headers. The router checks
    the bearer token (WEAVEFN_ADMISSION_TOKEN) itself.
    """
    return _routed(req)


@app.route(route="upgrade", methods=["POST"])
def upgrade(req: func.HttpRequest) -> func.HttpResponse:
    """Signed upgrade requests from CI/CD (function key plus the router's HMAC check)."""
    return _routed(req)


@app.route(route="restore", methods=["POST"])
def restore(req: func.HttpRequest) -> func.HttpResponse:
    """Signed restore requests from CI/CD (function key plus the router's HMAC check)."""
    return _routed(req)


@app.timer_trigger(schedule="0 */1 * * * *", arg_name="timer", run_on_startup=False)
def schedule(timer: func.TimerRequest) -> None:
    """Reconcile every cluster each minute. Timers are not retried: failures are logged and
    the next tick continues where status says things stand."""
    started = time.monotonic()
    # the abstract TimerRequest type omits schedule_status; the worker's object has it
    status = getattr(timer, "schedule_status", None) or None
    payload = {"IsPastDue": timer.past_due, "ScheduleStatus": status}
    from weavefn.triggers.schedules import parse_azure_timer

    try:
        trigger = parse_azure_timer(payload)
    except InvalidInputError as bad:
        log.error("schedule tick failed: %s", bad, extra={"trigger": "schedule"})
        return
    result = answer(
        lambda: invocation.run_schedule(
            trigger, instance=invocation.current(), deadline=deadline(started=started)
        )
    )
    if result.disposition is Disposition.BROKEN and result.error is not None:
        raise result.error  # the host records the failed run; a timer is never redelivered
    if result.error is not None:
        log.error("schedule tick failed: %s", result.message, extra={"trigger": "schedule"})
    elif result.redeliver:
        log.warning(
            "schedule tick unfinished; the next tick continues", extra={"trigger": "schedule"}
        )


def queue_payload(msg: func.QueueMessage) -> dict[str, Any]:
    body = msg.get_body()
    return {
        "id": msg.id or "",
        "body": body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body),
        "dequeueCount": msg.dequeue_count or 1,
    }


@app.queue_trigger(arg_name="msg", queue_name="weavefn-reconcile", connection="AzureWebJobsStorage")
def fanout(msg: func.QueueMessage) -> None:
    """Reconcile the one cluster a message names. Raise to have the message redelivered
    (up to host.json's maxDequeueCount); malformed messages are logged and dropped."""
    started = time.monotonic()
    from weavefn.triggers.queue import parse_azure_queue

    try:
        trigger = parse_azure_queue(queue_payload(msg))
    except InvalidInputError as bad:
        log.warning(
            "malformed queue message dropped",
            extra={"trigger": "cluster", "event_id": msg.id, "error": str(bad)},
        )
        return
    result = answer(
        lambda: invocation.run_trigger(
            trigger,
            instance=invocation.current(),
            deadline=deadline(started=started),
            request_id=msg.id or "",
        )
    )
    if result.disposition is Disposition.REJECTED:
        log.error("queue message not retried: %s", result.message, extra={"event_id": msg.id})
    if result.redeliver:
        raise result.error or RetryableError(f"{result.message}; redeliver to continue")
