"""Periodic ticks: EventBridge rules, Cloud Scheduler (HTTP or Pub/Sub) and Azure timers."""

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.model import ScheduleTrigger
from weavefn.triggers.payload import PayloadModel, validate
from weavefn.triggers.pubsub import read_pubsub

WHAT = "schedule event"
SCHEDULER_HEADER = "x-cloudscheduler"
SCHEDULER_JOB_HEADER = "x-cloudscheduler-jobname"
SCHEDULER_TIME_HEADER = "x-cloudscheduler-scheduletime"


class EventBridgeSchedule(PayloadModel):
    id: str = Field(min_length=1)
    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    source: Literal["aws.events"]
    time: datetime


def parse_eventbridge_schedule(payload: object) -> ScheduleTrigger:
    """An EventBridge rule's ``Scheduled Event``."""
    event = validate(EventBridgeSchedule, payload, what=WHAT)
    return ScheduleTrigger(event_id=event.id, occurred_at=event.time)


def _when(text: str | None, *, received_at: datetime | None) -> datetime:
    if text:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(
                [FieldError(f"headers.{SCHEDULER_TIME_HEADER}", "must be an RFC 3339 time")],
                what=WHAT,
            ) from None
    return received_at or datetime.now(UTC)


def parse_cloud_scheduler_http(
    request: HttpRequest, *, received_at: datetime | None = None
) -> ScheduleTrigger:
    """A Cloud Scheduler HTTP job; Google sets ``X-CloudScheduler: true`` on its requests."""
    if (request.header(SCHEDULER_HEADER) or "").lower() != "true":
        raise InvalidInputError(
            [FieldError(f"headers.{SCHEDULER_HEADER}", "must be true")], what=WHAT
        )
    job = request.header(SCHEDULER_JOB_HEADER) or "cloud-scheduler"
    scheduled = request.header(SCHEDULER_TIME_HEADER)
    occurred_at = _when(scheduled, received_at=received_at)
    event_id = f"{job}@{scheduled}" if scheduled else request.request_id or f"{job}@{occurred_at}"
    return ScheduleTrigger(event_id=event_id, occurred_at=occurred_at)


def parse_cloud_scheduler_pubsub(payload: object) -> ScheduleTrigger:
    """A Cloud Scheduler Pub/Sub job; the message body is not needed, only that it arrived."""
    message = read_pubsub(payload, what=WHAT)
    return ScheduleTrigger(event_id=message.message_id, occurred_at=message.publish_time)


class _ScheduleStatus(PayloadModel):
    last: datetime | None = Field(default=None, alias="Last")
    next: datetime | None = Field(default=None, alias="Next")


class AzureTimer(PayloadModel):
    """The timer binding's JSON, as the Functions host hands it to the worker."""

    is_past_due: bool = Field(alias="IsPastDue")
    schedule_status: _ScheduleStatus | None = Field(default=None, alias="ScheduleStatus")


def parse_azure_timer(payload: object, *, received_at: datetime | None = None) -> ScheduleTrigger:
    """An Azure Functions timer tick; ``past_due`` says the host missed its slot."""
    timer = validate(AzureTimer, payload, what=WHAT)
    occurred_at = received_at or datetime.now(UTC)
    status = timer.schedule_status
    # the tick itself carries no id; the next occurrence is unique to it
    slot = status.next if status and status.next else occurred_at
    return ScheduleTrigger(
        event_id=f"azure-timer@{slot.isoformat()}",
        occurred_at=occurred_at,
        past_due=timer.is_past_due,
    )
