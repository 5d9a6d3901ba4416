"""The platform-neutral HTTP router: admission, upgrade and restore requests, SNS over HTTPS,
schedules and follow-ups (Cloud Tasks' HTTP tasks).

Each cloud adapter turns its request into a triggers.http.HttpRequest, calls ``handle_http``
and writes the HttpResponse back. Every answer is JSON; bad input is a 4xx naming the field;
an unexpected failure is a 500 whose details go to the log only. A route's own modules
(admission rules, HMAC checks, SNS certificates) load when its first request arrives.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from weavefn.answers import Answer, Disposition, error_answer
from weavefn.errors import FieldError
from weavefn.invocation import Instance, RuntimeFactory, Settings, run_schedule, run_trigger
from weavefn.queue.factory import queue_for

if TYPE_CHECKING:
    from weavefn.queue.port import ReconcileQueue
    from weavefn.triggers.http import HttpRequest
    from weavefn.triggers.replay import ReplayGuard
    from weavefn.triggers.sns_signature import SnsVerifier

log = logging.getLogger("weavefn")

MAX_BODY_BYTES = 1024 * 1024
JSON_HEADERS: Mapping[str, str] = {"content-type": "application/json"}


class Route(StrEnum):
    ADMISSION = "admission"
    UPGRADE = "upgrade"
    RESTORE = "restore"
    SNS = "sns"
    SCHEDULE = "schedule"
    FOLLOW_UP = "followup"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def json_response(
    status: int, document: object, *, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    return HttpResponse(
        status=int(status),
        headers={**JSON_HEADERS, **(headers or {})},
        body=json.dumps(document, separators=(",", ":")).encode(),
    )


def error_response(
    status: int, message: str, *, errors: tuple[FieldError, ...] = (), **extra: Any
) -> HttpResponse:
    document: dict[str, Any] = {"error": message, **extra}
    if errors:
        document["errors"] = [{"field": e.path, "message": e.message} for e in errors]
    headers = {"retry-after": "30"} if status == HTTPStatus.SERVICE_UNAVAILABLE else None
    return json_response(status, document, headers=headers)


@dataclass(frozen=True)
class RoutedRequest:
    """One routed request with everything a route needs."""

    request: HttpRequest
    runtime_factory: RuntimeFactory
    settings: Settings
    replay: ReplayGuard
    verifier: SnsVerifier
    queue: ReconcileQueue | None
    deadline: float
    now: Callable[[], float]
    fetch: Callable[[str], bytes]


def route_of(path: str) -> Route | None:
    """The route a path ends in: GCP prefixes the function name, Azure ``/api``; a function
    deployed under its own URL may be named for the route (``/weavefn-schedule``)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    for route in Route:
        if last == route or last.endswith(f"-{route}"):
            return route
    return None


def handle_http(
    request: HttpRequest,
    *,
    runtime_factory: RuntimeFactory,
    settings: Settings,
    replay: ReplayGuard,
    verifier: SnsVerifier,
    queue: ReconcileQueue | None = None,
    deadline: float | None = None,
    now: Callable[[], float] = time.time,
    fetch: Callable[[str], bytes] | None = None,
) -> HttpResponse:
    """Answer one webhook request; never raises.

    ``queue`` overrides the queue ``settings.queue`` names; ``fetch`` is the HTTPS GET used to
    confirm SNS subscriptions (default: sns_signature.fetch_certificate_url); ``now`` (unix
    seconds) checks the timestamps of signed requests (upgrade, restore).
    """
    route = route_of(request.path)
    refused = _refusal(request, route)
    if refused is not None or route is None:
        return refused or error_response(HTTPStatus.NOT_FOUND, "no endpoint")
    call = RoutedRequest(
        request=request,
        runtime_factory=runtime_factory,
        settings=settings,
        replay=replay,
        verifier=verifier,
        queue=queue,
        deadline=deadline if deadline is not None else time.monotonic() + 25.0,
        now=now,
        fetch=fetch or _fetch_certificate_url,
    )
    return _dispatch(route, call)


def _fetch_certificate_url(url: str) -> bytes:
    from weavefn.triggers.sns_signature import fetch_certificate_url

    return fetch_certificate_url(url)


def _refusal(request: HttpRequest, route: Route | None) -> HttpResponse | None:
    """The answer to a request no route should see: unknown path, wrong method, oversize."""
    if route is None:
        return error_response(HTTPStatus.NOT_FOUND, f"no endpoint at {request.path[:100]!r}")
    if request.method != "POST":
        return error_response(
            HTTPStatus.METHOD_NOT_ALLOWED, f"/{route} accepts POST only", allow="POST"
        )
    if len(request.body) > MAX_BODY_BYTES:
        return error_response(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body exceeds {MAX_BODY_BYTES} bytes"
        )
    return None


def _dispatch(route: Route, call: RoutedRequest) -> HttpResponse:
    try:
        return _ROUTES[route](call)
    except Exception as exc:
        result = error_answer(exc)
    request_id = call.request.request_id
    if result.disposition is Disposition.REDELIVER:
        log.warning("webhook deferred", extra={"error": type(result.error).__name__})
    elif result.disposition is Disposition.BROKEN:
        log.error("webhook failed", exc_info=result.error, extra={"request_id": request_id or None})
        return answer_response(result, request_id=request_id)
    return answer_response(result)


def answer_response(result: Answer, **extra: Any) -> HttpResponse:
    """The HTTP form of an answer: its status and document; 503 says when to try again."""
    headers = {"retry-after": "30"} if result.status == HTTPStatus.SERVICE_UNAVAILABLE else None
    return json_response(result.status, {**result.document, **extra}, headers=headers)


def handle_for(instance: Instance, request: HttpRequest, *, deadline: float) -> HttpResponse:
    """``handle_http`` with a warm Instance's settings, runtime, replay guard and verifier."""
    return handle_http(
        request,
        runtime_factory=instance.runtime_factory,
        settings=instance.settings,
        replay=instance.replay,
        verifier=instance.verifier,
        queue=instance.queue,
        deadline=deadline,
    )


def _authorised(call: RoutedRequest) -> bool:
    token = call.settings.admission_token
    if not token:
        return True
    given = call.request.header("authorization") or ""
    try:
        presented = given.encode()
    except UnicodeEncodeError:  # a lone surrogate cannot match any configured token
        return False
    return hmac.compare_digest(presented, f"Bearer {token}".encode())


def _admission(call: RoutedRequest) -> HttpResponse:
    if not _authorised(call):
        return error_response(
            HTTPStatus.UNAUTHORIZED,
            "missing or wrong bearer token (WEAVEFN_ADMISSION_TOKEN)",
            headers_hint="Authorization: Bearer <token>",
        )
    from weavefn.lifecycle.admission import review

    result = review(call.request.body)
    if result.enqueue:
        _enqueue_after_admission(call, result.enqueue)
    return json_response(result.http_status, result.response)


def _enqueue_after_admission(call: RoutedRequest, cluster: str) -> None:
    # The answer stands whatever happens here: the next schedule tick reconciles anyway.
    try:
        if call.queue is not None:
            call.queue.enqueue(cluster, reason="admitted spec change")
            return
        if call.settings.queue and not call.settings.queue.startswith("inline"):
            queue_for(call.settings.queue).enqueue(cluster, reason="admitted spec change")
            return
        with call.runtime_factory() as runtime:
            queue_for("inline", service=runtime.service).enqueue(
                cluster, reason="admitted spec change"
            )
    except Exception as exc:
        log.warning(
            "reconcile after admission not queued; the schedule will catch up",
            extra={"cluster": cluster, "error": type(exc).__name__},
        )


def _upgrade(call: RoutedRequest) -> HttpResponse:
    from weavefn.webhooks_routes import upgrade_answer

    status, document = upgrade_answer(
        call.request,
        secret=call.settings.upgrade_secret,
        now=call.now(),
        replay=call.replay,
        runtime_factory=call.runtime_factory,
        deadline=call.deadline,
    )
    return json_response(status, document)


def _restore(call: RoutedRequest) -> HttpResponse:
    from weavefn.webhooks_routes import restore_answer

    status, document = restore_answer(
        call.request,
        secret=call.settings.upgrade_secret,
        now=call.now(),
        replay=call.replay,
        runtime_factory=call.runtime_factory,
        deadline=call.deadline,
    )
    headers = {"retry-after": "30"} if status == HTTPStatus.SERVICE_UNAVAILABLE else None
    return json_response(status, document, headers=headers)


def _sns(call: RoutedRequest) -> HttpResponse:
    from weavefn.webhooks_routes import sns_answer

    status, document = sns_answer(
        call.request.body,
        verifier=call.verifier,
        fetch=call.fetch,
        run=lambda alarm: run_trigger(
            alarm,
            instance=_instance(call),
            deadline=call.deadline,
            request_id=call.request.request_id,
        ),
    )
    return json_response(status, document)


def _schedule(call: RoutedRequest) -> HttpResponse:
    from weavefn.triggers.schedules import parse_cloud_scheduler_http

    trigger = parse_cloud_scheduler_http(call.request)
    outcome = run_schedule(
        trigger,
        instance=_instance(call),
        deadline=call.deadline,
        request_id=call.request.request_id,
    )
    status = HTTPStatus.SERVICE_UNAVAILABLE if outcome.retry else HTTPStatus.OK
    return json_response(
        status, {"ok": outcome.ok, "message": outcome.message, "clusters": outcome.clusters}
    )


def _follow_up(call: RoutedRequest) -> HttpResponse:
    """A follow-up delivered over HTTP (a Cloud Tasks task): the pass it was queued for.

    Cloud Tasks retries a task answered with anything but 2xx: a transient failure is a 503,
    a malformed body a 400 (its retries are bounded by the queue's retry config).
    """
    from weavefn.triggers.fields import decode_json
    from weavefn.triggers.queue import WHAT, cluster_from_body

    task = call.request.header("x-cloudtasks-taskname") or call.request.request_id
    body = decode_json(call.request.body, path="body", what=WHAT)
    trigger = cluster_from_body(body, event_id=task or "follow-up", path="body")
    if trigger.due is None:
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "a follow-up names the time it was due",
            errors=(FieldError("body.due", "is required"),),
        )
    outcome = run_trigger(
        trigger, instance=_instance(call), deadline=call.deadline, request_id=task
    )
    status = HTTPStatus.SERVICE_UNAVAILABLE if outcome.retry else HTTPStatus.OK
    return json_response(
        status, {"ok": outcome.ok, "message": outcome.message, "clusters": outcome.clusters}
    )


def _instance(call: RoutedRequest) -> Instance:
    return Instance(
        settings=call.settings,
        runtime_factory=call.runtime_factory,
        replay=call.replay,
        verifier=call.verifier,
        queue=call.queue,
    )


_ROUTES: dict[Route, Callable[[RoutedRequest], HttpResponse]] = {
    Route.ADMISSION: _admission,
    Route.UPGRADE: _upgrade,
    Route.RESTORE: _restore,
    Route.SNS: _sns,
    Route.SCHEDULE: _schedule,
    Route.FOLLOW_UP: _follow_up,
}
