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
from weavefn.errors import (
    FieldError,
    InvalidInputError,
    RetryableError,
    TerminalError,
    WeavefnError,
)
from weavefn.invocation import Instance, deadline_from, run_schedule, run_trigger
from weavefn.triggers.cloudwatch import parse_sns_alarms
from weavefn.triggers.cloudwatch_events import parse_eventbridge_alarm, parse_lambda_action_alarm
from weavefn.triggers.detect import PayloadKind, detect
from weavefn.triggers.http import read_http
from weavefn.triggers.model import AlarmTrigger, ClusterTrigger, Outcome
from weavefn.triggers.queue import parse_sqs
from weavefn.triggers.schedules import parse_eventbridge_schedule

log = logging.getLogger("weavefn")

Event = dict[str, Any]
ALARM_PARSERS: dict[PayloadKind, Callable[[object], list[AlarmTrigger]]] = {
    PayloadKind.CLOUDWATCH_SNS: parse_sns_alarms,
    PayloadKind.CLOUDWATCH_EVENTBRIDGE: lambda event: [parse_eventbridge_alarm(event)],
    PayloadKind.CLOUDWATCH_LAMBDA_ACTION: lambda event: [parse_lambda_action_alarm(event)],
}
"""What reaches the alarm function; SNS over HTTPS goes to the webhook, which verifies it.
Only AWS's parsers are imported: the other clouds' would cost cold-start time for nothing."""


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


def _summary(outcome: Outcome) -> dict[str, Any]:
    return {"ok": outcome.ok, "message": outcome.message, "clusters": outcome.clusters}


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
            parser = ALARM_PARSERS.get(kind)
            if parser is None:
                raise InvalidInputError(
                    [FieldError("(root)", f"{kind} does not go to the alarm function")],
                    what="alarm event",
                )
            alarms = parser(event)
        except InvalidInputError as bad:
            return _rejected("alarm event", bad)
        instance = self.instance()
        outcomes: list[Outcome] = []
        for alarm in alarms:
            try:
                outcomes.append(
                    run_trigger(
                        alarm, instance=instance, deadline=deadline, request_id=_request_id(context)
                    )
                )
            except TerminalError as refused:
                outcomes.append(Outcome(ok=False, message=str(refused)))
        if any(o.retry for o in outcomes):
            raise AlarmRetryError("; ".join(o.message for o in outcomes if o.retry))
        return _merge(outcomes)

    def schedule(self, event: Event, context: Any) -> dict[str, Any]:
        deadline = _deadline(context)
        try:
            if detect(event).kind is not PayloadKind.EVENTBRIDGE_SCHEDULE:
                raise InvalidInputError(
                    [FieldError("detail-type", "must be Scheduled Event")],
                    what="schedule event",
                )
            tick = parse_eventbridge_schedule(event)
        except InvalidInputError as bad:
            return _rejected("schedule event", bad)
        outcome = run_schedule(
            tick, instance=self.instance(), deadline=deadline, request_id=_request_id(context)
        )
        return _summary(outcome)

    def queue(self, event: Event, context: Any) -> dict[str, Any]:
        deadline = _deadline(context)
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            log.error("queue event dropped", extra={"error": "Records: expected a list"})
            return {"batchItemFailures": []}
        instance = self.instance()
        failures: list[dict[str, str]] = []
        done: dict[str, Outcome] = {}
        for index, record in enumerate(records):
            trigger = _sqs_trigger(record, index)
            if trigger is None:
                continue
            if time.monotonic() >= deadline:
                failures.append({"itemIdentifier": trigger.event_id})  # redelivered later
                continue
            outcome = done.get(trigger.cluster)
            if outcome is None:
                outcome = _reconcile(trigger, instance=instance, deadline=deadline, context=context)
                done[trigger.cluster] = outcome
            if outcome.retry:
                failures.append({"itemIdentifier": trigger.event_id})
        return {"batchItemFailures": failures}

    def webhook(self, event: Event, context: Any) -> dict[str, Any]:
        # the router pulls in admission, upgrade and SNS signature checks: only this one needs it
        from weavefn.webhooks import error_response, handle_for

        deadline = _deadline(context)
        try:
            request = read_http(event)
        except InvalidInputError as bad:
            response = error_response(400, str(bad), errors=bad.errors)
        else:
            response = handle_for(self.instance(), request, deadline=deadline)
        return {
            "statusCode": response.status,
            "headers": dict(response.headers),
            "body": response.body.decode(),
            "isBase64Encoded": False,
        }


def _sqs_trigger(record: object, index: int) -> ClusterTrigger | None:
    """One record's trigger; a malformed one is logged and dropped (it would fail forever)."""
    try:
        (trigger,) = parse_sqs({"Records": [record]})
    except InvalidInputError as bad:
        text = str(bad).replace("Records[0]", f"Records[{index}]")
        log.error("queue message dropped", extra={"error": text})
        return None
    return trigger


def _reconcile(
    trigger: ClusterTrigger, *, instance: Instance, deadline: float, context: Any
) -> Outcome:
    try:
        return run_trigger(
            trigger, instance=instance, deadline=deadline, request_id=_request_id(context)
        )
    except RetryableError as busy:
        return Outcome(ok=False, retry=True, message=str(busy))
    except TerminalError as refused:
        log.error(
            "queue message dropped", extra={"cluster": trigger.cluster, "error": str(refused)}
        )
        return Outcome(ok=False, message=str(refused))


def _merge(outcomes: list[Outcome]) -> dict[str, Any]:
    clusters: dict[str, str] = {}
    for outcome in outcomes:
        clusters.update(outcome.clusters)
    return {
        "ok": all(o.ok for o in outcomes),
        "message": "; ".join(o.message for o in outcomes),
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
