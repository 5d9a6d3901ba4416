"""AWS Lambda entry points (alarm, schedule, queue, webhook): parse the envelope, call the core.

Of AWS Lambda Powertools only the EMF metrics provider is used (weavefn.observe.emf, imported
on the first emission, 13-18 ms). Its other parts that would apply are already here in a
cloud-neutral form the GCP and Azure adapters share: envelope parsing is weavefn.triggers
(pydantic at the edge), JSON log lines are weavefn.invocation's formatter, and SQS partial
batch failure is a dozen lines below.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from weavefn import invocation
from weavefn.answers import Answer, Disposition, answer
from weavefn.errors import FieldError, InvalidInputError, RetryableError, WeavefnError
from weavefn.invocation import Instance, deadline_from, run_schedule, run_trigger
from weavefn.triggers.detect import PayloadKind, detect
from weavefn.triggers.model import AlarmTrigger, ClusterTrigger
from weavefn.triggers.parse import PARSERS

log = logging.getLogger("weavefn")

Event = dict[str, Any]
ALARM_KINDS = frozenset(
    {
        PayloadKind.CLOUDWATCH_SNS,
        PayloadKind.CLOUDWATCH_EVENTBRIDGE,
        PayloadKind.CLOUDWATCH_LAMBDA_ACTION,
    }
)
"""What reaches the alarm function; SNS over HTTPS goes to the webhook, which verifies it.
A parser (and its payload models) loads when its first payload arrives, not at cold start."""


class AlarmRetryError(RetryableError):
    """Raised out of the handler so Lambda's asynchronous retry runs the alarm again."""


@dataclass
class LocalContext:
    """The parts of Lambda's context object the handlers read, for local runs and tests."""

    budget_seconds: float = 30.0
    aws_request_id: str = "local"
    function_name: str = "weavefn-local"

    def __post_init__(self) -> None:
        self._until = time.monotonic() + self.budget_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._until - time.monotonic()) * 1000))


def _deadline(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return deadline_from(remaining() / 1000 if callable(remaining) else None)


def _request_id(context: Any) -> str:
    return str(getattr(context, "aws_request_id", "") or "")


def _rejected(what: str, error: WeavefnError) -> dict[str, Any]:
    # acknowledged, not raised: a retry cannot fix a payload, and raising would loop
    log.error(f"{what} dropped", extra={"error": str(error)})
    return {"ok": False, "message": f"{what} dropped: {error}", "clusters": {}}


class AwsHandlers:
    """The four handlers over one Instance provider (the warm container's, or a test's)."""

    def __init__(self, instance: Callable[[], Instance] = invocation.current) -> None:
        self.instance = instance

    def alarm(self, event: Event, context: Any) -> dict[str, Any]:
        deadline = _deadline(context)
        try:
            kind = detect(event).kind
            if kind not in ALARM_KINDS:
                raise InvalidInputError(
                    [FieldError("(root)", f"{kind} does not go to the alarm function")],
                    what="alarm event",
                )
            alarms = [a for a in PARSERS[kind](event, None) if isinstance(a, AlarmTrigger)]
        except InvalidInputError as bad:
            return _rejected("alarm event", bad)

        def handle(alarm: AlarmTrigger) -> Answer:
            return answer(
                lambda: run_trigger(
                    alarm,
                    instance=self.instance(),
                    deadline=deadline,
                    request_id=_request_id(context),
                )
            )

        answers = [handle(alarm) for alarm in alarms]
        _raise_broken(answers)
        if any(a.redeliver for a in answers):
            raise AlarmRetryError("; ".join(a.message for a in answers if a.redeliver))
        return _merge(answers)

    def schedule(self, event: Event, context: Any) -> dict[str, Any]:
        deadline = _deadline(context)
        try:
            if detect(event).kind is not PayloadKind.EVENTBRIDGE_SCHEDULE:
                raise InvalidInputError(
                    [FieldError("detail-type", "must be Scheduled Event")],
                    what="schedule event",
                )
            from weavefn.triggers.schedules import parse_eventbridge_schedule

            tick = parse_eventbridge_schedule(event)
        except InvalidInputError as bad:
            return _rejected("schedule event", bad)
        result = answer(
            lambda: run_schedule(
                tick, instance=self.instance(), deadline=deadline, request_id=_request_id(context)
            )
        )
        # An error before any work is retried; work left over is the next tick's (not raised).
        if result.error is not None and result.redeliver:
            raise result.error
        return {"ok": result.ok, "message": result.message, "clusters": result.clusters}

    def queue(self, event: Event, context: Any) -> dict[str, Any]:
        deadline = _deadline(context)
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            log.error("queue event dropped", extra={"error": "Records: expected a list"})
            return {"batchItemFailures": []}
        failures: list[dict[str, str]] = []
        done: dict[str, Answer] = {}
        for index, record in enumerate(records):
            trigger = _sqs_trigger(record, index)
            if trigger is None:
                continue
            if time.monotonic() >= deadline:
                failures.append({"itemIdentifier": trigger.event_id})  # redelivered later
                continue
            result = done.get(trigger.cluster)
            if result is None:
                result = self._reconcile(trigger, deadline=deadline, context=context)
                done[trigger.cluster] = result
            if result.redeliver:
                failures.append({"itemIdentifier": trigger.event_id})
        return {"batchItemFailures": failures}

    def _reconcile(self, trigger: ClusterTrigger, *, deadline: float, context: Any) -> Answer:
        result = answer(
            lambda: run_trigger(
                trigger,
                instance=self.instance(),
                deadline=deadline,
                request_id=_request_id(context),
            )
        )
        if result.disposition is Disposition.REJECTED:
            log.error(
                "queue message dropped", extra={"cluster": trigger.cluster, "error": result.message}
            )
        return result

    def webhook(self, event: Event, context: Any) -> dict[str, Any]:
        # the router pulls in admission, upgrade and SNS signature checks: only this one needs it
        from weavefn.answers import error_answer
        from weavefn.triggers.http_payloads import read_http
        from weavefn.webhooks import answer_response, handle_for

        deadline = _deadline(context)
        try:
            request = read_http(event)
            instance = self.instance()
        except WeavefnError as bad:  # an unreadable request, or the function's own settings
            response = answer_response(error_answer(bad))
        else:
            response = handle_for(instance, request, deadline=deadline)
        return {
            "statusCode": response.status,
            "headers": dict(response.headers),
            "body": response.body.decode(),
            "isBase64Encoded": False,
        }


def _sqs_trigger(record: object, index: int) -> ClusterTrigger | None:
    """One record's trigger; a malformed one is logged and dropped (it would fail forever)."""
    from weavefn.triggers.queue import parse_sqs

    try:
        (trigger,) = parse_sqs({"Records": [record]})
    except InvalidInputError as bad:
        text = str(bad).replace("Records[0]", f"Records[{index}]")
        log.error("queue message dropped", extra={"error": text})
        return None
    return trigger


def _raise_broken(answers: list[Answer]) -> None:
    """Settings or a bug: the invocation fails, so Lambda retries and records it."""
    for result in answers:
        if result.disposition is Disposition.BROKEN and result.error is not None:
            raise result.error


def _merge(answers: list[Answer]) -> dict[str, Any]:
    clusters: dict[str, str] = {}
    for result in answers:
        clusters.update(result.clusters)
    return {
        "ok": all(a.ok for a in answers),
        "message": "; ".join(a.message for a in answers),
        "clusters": clusters,
    }


_default = AwsHandlers()


def alarm(event: Event, context: Any) -> dict[str, Any]:
    return _default.alarm(event, context)


def schedule(event: Event, context: Any) -> dict[str, Any]:
    return _default.schedule(event, context)


def queue(event: Event, context: Any) -> dict[str, Any]:
    return _default.queue(event, context)


def webhook(event: Event, context: Any) -> dict[str, Any]:
    return _default.webhook(event, context)
