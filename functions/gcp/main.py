"""Cloud Functions (2nd gen) entry points: Pub/Sub CloudEvents and HTTP, mapped onto the core.

``on_pubsub`` serves the alerts, ticks and fan-out topics; ``on_http`` the webhook routes
(/admission, /upgrade, /restore, /schedule, /sns) and the follow-ups Cloud Tasks delivers
(/followup). Parsing is the core's; this module only picks the parser, runs the trigger and
maps the outcome to what the platform understands: returning acknowledges a message, raising
makes Pub/Sub deliver it again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import flask
import functions_framework
from cloudevents.http.event import CloudEvent
from weavefn import invocation
from weavefn.answers import Disposition, answer, error_answer
from weavefn.errors import (
    ConfigurationError,
    FieldError,
    InvalidInputError,
    RetryableError,
    UnavailableError,
)
from weavefn.logs import trigger_kind
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.model import AlarmTrigger, ClusterTrigger, Outcome, ScheduleTrigger
from weavefn.webhooks import (
    HttpResponse,
    Route,
    answer_response,
    error_response,
    handle_for,
    route_of,
)

log = logging.getLogger("weavefn")

TIMEOUT_ENV = "FUNCTION_TIMEOUT_SEC"
OIDC_AUDIENCE_ENV = "WEAVEFN_OIDC_AUDIENCE"
EVENT_TIMEOUT_SECONDS = 60.0
# The budget of the webhook routes: admission must answer fast (the API server waits 5 s).
HTTP_TIMEOUT_SECONDS = 10.0
# A follow-up from Cloud Tasks is a full pass over one cluster: the Pub/Sub functions' budget
# (infra/gcp deploys the HTTP function with timeout_seconds = 60 for it).
FOLLOW_UP_TIMEOUT_SECONDS = EVENT_TIMEOUT_SECONDS

PubSubTrigger = AlarmTrigger | ClusterTrigger | ScheduleTrigger


class TopicRole(StrEnum):
    """What a topic carries, from the last word of its name (``weavefn-alerts``)."""

    ALERTS = "alerts"
    TICKS = "ticks"
    FANOUT = "fanout"


_ROLE_WORDS = {
    "alerts": TopicRole.ALERTS,
    "incidents": TopicRole.ALERTS,
    "ticks": TopicRole.TICKS,
    "schedule": TopicRole.TICKS,
    "fanout": TopicRole.FANOUT,
    "reconcile": TopicRole.FANOUT,
}


def topic_role(source: str) -> TopicRole | None:
    """The role of the topic a CloudEvent ``source`` names, if its name says."""
    _, found, topic = source.rpartition("/topics/")
    if not found or not topic:
        return None
    return _ROLE_WORDS.get(topic.rsplit("-", 1)[-1].lower())


def pubsub_trigger(payload: Mapping[str, Any]) -> PubSubTrigger:
    """Parse a messagePublished CloudEvent (as a dict) by its topic, else by its content.

    Every sender on these topics (Cloud Monitoring, the scheduler job, the fan-out queue)
    writes JSON, so data that is not JSON is malformed, not a tick. The parsers load with the
    first message, not at cold start.
    """
    from weavefn.triggers.cloud_monitoring import parse_incident
    from weavefn.triggers.pubsub import read_pubsub
    from weavefn.triggers.queue import parse_pubsub_cluster
    from weavefn.triggers.schedules import parse_cloud_scheduler_pubsub

    role = topic_role(str(payload.get("source", "")))
    if role is TopicRole.ALERTS:
        return parse_incident(dict(payload))
    if role is TopicRole.FANOUT:
        return parse_pubsub_cluster(dict(payload))
    if role is TopicRole.TICKS:
        return parse_cloud_scheduler_pubsub(dict(payload))
    body = read_pubsub(dict(payload), what="Pub/Sub message").json(what="Pub/Sub message")
    if isinstance(body, dict) and "incident" in body:
        return parse_incident(dict(payload))
    if isinstance(body, dict) and "cluster" in body:
        return parse_pubsub_cluster(dict(payload))
    return parse_cloud_scheduler_pubsub(dict(payload))


def timeout_seconds(default: float) -> float:
    """The function's timeout; Cloud Run does not expose it, so deployments may set it."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def _run(trigger: PubSubTrigger, *, deadline: float, request_id: str) -> Outcome:
    instance = invocation.current()
    if isinstance(trigger, ScheduleTrigger):
        return invocation.run_schedule(
            trigger, instance=instance, deadline=deadline, request_id=request_id
        )
    return invocation.run_trigger(
        trigger, instance=instance, deadline=deadline, request_id=request_id
    )


@functions_framework.cloud_event
def on_pubsub(event: CloudEvent) -> None:
    """Alerts, ticks and fan-out messages. Return to acknowledge, raise to be redelivered."""
    started = time.monotonic()
    payload: dict[str, Any] = {**event.get_attributes(), "data": event.get_data()}
    event_id = str(payload.get("id", ""))
    try:
        trigger = pubsub_trigger(payload)
    except InvalidInputError as bad:
        # redelivering a malformed message cannot fix it: acknowledge and say why
        log.warning(
            "malformed Pub/Sub message acknowledged",
            extra={"trigger": "pubsub", "event_id": event_id, "error": str(bad)},
        )
        return
    deadline = invocation.deadline_from(timeout_seconds(EVENT_TIMEOUT_SECONDS), now=started)
    result = answer(lambda: _run(trigger, deadline=deadline, request_id=event_id))
    context = {"trigger": trigger_kind(trigger), "event_id": event_id}
    if result.disposition is Disposition.REJECTED:
        log.error("not retried: %s", result.message, extra=context)
    if not result.redeliver:
        return
    if result.error is None:
        raise RetryableError(f"{result.message}; redeliver to continue")
    if result.disposition is Disposition.REDELIVER:
        log.warning("transient failure, asking Pub/Sub to redeliver", extra=context)
    raise result.error


# -- HTTP -------------------------------------------------------------------------------------


def verify_id_token(token: str, audience: str) -> Mapping[str, Any]:
    """Google's check of an OIDC ID token: signature, issuer, expiry and audience.

    Raises ValueError when the token is not valid for ``audience``, UnavailableError when
    Google's signing keys cannot be fetched.
    """
    from google.auth import exceptions
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    try:
        claims: Mapping[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token, google_requests.Request(), audience
        )
    except exceptions.TransportError:
        raise UnavailableError("Google's token signing keys are unreachable") from None
    except exceptions.GoogleAuthError as exc:  # a wrong issuer is not a ValueError
        raise ValueError(type(exc).__name__) from None
    return claims


def check_oidc(request: HttpRequest) -> HttpResponse | None:
    """None when the request may proceed; a 401 (or 503) answer otherwise."""
    audience = os.environ.get(OIDC_AUDIENCE_ENV, "").strip()
    if not audience:
        return None
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(
            HTTPStatus.UNAUTHORIZED,
            "a Cloud Scheduler or Cloud Tasks OIDC token is required",
            errors=(FieldError("headers.authorization", "must be Bearer <ID token>"),),
        )
    try:
        verify_id_token(token.strip(), audience)
    except ValueError:
        # the reason may quote the token's claims; the log and the answer stay generic
        log.warning("OIDC token rejected", extra={"request_id": request.request_id or None})
        return error_response(
            HTTPStatus.UNAUTHORIZED, f"the ID token is not valid for {OIDC_AUDIENCE_ENV}"
        )
    except UnavailableError:
        log.warning("OIDC keys unavailable", extra={"request_id": request.request_id or None})
        return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "cannot verify the ID token now")
    return None


def http_request(request: flask.Request) -> HttpRequest:
    headers = {name.lower(): value for name, value in request.headers.items()}
    return HttpRequest(
        method=request.method.upper(),
        path=request.path or "/",
        headers=headers,
        body=request.get_data(cache=False),
        request_id=headers.get("function-execution-id", ""),
        query=dict(request.args.items()),
    )


def flask_response(response: HttpResponse) -> flask.Response:
    return flask.Response(response.body, status=response.status, headers=dict(response.headers))


@functions_framework.http
def on_http(request: flask.Request) -> flask.Response:
    """The webhook routes; every answer is the router's (or the OIDC check's) JSON."""
    started = time.monotonic()
    http = http_request(request)
    route = route_of(http.path)
    if route in (Route.SCHEDULE, Route.FOLLOW_UP):
        # Cloud Scheduler's jobs and Cloud Tasks' tasks both carry an OIDC token for it
        denied = check_oidc(http)
        if denied is not None:
            return flask_response(denied)
    budget = FOLLOW_UP_TIMEOUT_SECONDS if route is Route.FOLLOW_UP else HTTP_TIMEOUT_SECONDS
    deadline = invocation.deadline_from(timeout_seconds(budget), now=started)
    try:
        instance = invocation.current()
    except ConfigurationError as bad:
        log.error("function settings are invalid: %s", bad)
        return flask_response(answer_response(error_answer(bad)))
    return flask_response(handle_for(instance, http, deadline=deadline))
