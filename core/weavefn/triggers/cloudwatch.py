"""CloudWatch alarm notifications delivered through SNS (Lambda subscription or HTTP POST).

Also holds what the EventBridge and direct-action shapes share with it: the state mapping and
the reading of observed value and threshold from the alarm's reason.
"""

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.fields import CLUSTER_KEY, check_cluster, decode_json, join
from weavefn.triggers.model import AlarmSource, AlarmState, AlarmTrigger
from weavefn.triggers.payload import PayloadModel, validate

WHAT = "CloudWatch alarm notification"


class CloudWatchState(StrEnum):
    ALARM = "ALARM"
    OK = "OK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


STATES = {
    CloudWatchState.ALARM: AlarmState.FIRING,
    CloudWatchState.OK: AlarmState.RESOLVED,
    CloudWatchState.INSUFFICIENT_DATA: AlarmState.INSUFFICIENT_DATA,
}

# "... 3 datapoints [12.3 (25/11/26 10:00:00), 11.0 (...)] was greater than the threshold (10.0)"
_FIRST_DATAPOINT = re.compile(r"datapoints? \[\s*(-?[0-9.]+(?:[eE][-+]?\d+)?) \(")
_THRESHOLD = re.compile(r"the threshold \((-?[0-9.]+(?:[eE][-+]?\d+)?)\)")


def _number(pattern: re.Pattern[str], text: str) -> float | None:
    match = pattern.search(text)
    if match is None:
        return None
    try:
        return float(match[1])
    except ValueError:
        return None


def observed_from_reason(reason: str) -> float | None:
    """The most recent datapoint quoted in a NewStateReason, if it quotes one."""
    return _number(_FIRST_DATAPOINT, reason)


def threshold_from_reason(reason: str) -> float | None:
    return _number(_THRESHOLD, reason)


def find_cluster(dimensions: Iterable[tuple[str, str, str]], *, what: str) -> str | None:
    """The ``weaviate.io/cluster`` among (name, value, path) dimensions, every one checked.

    Metric-math alarms repeat the dimension on each metric; two different clusters in one
    alarm would scale the wrong one, so that is refused.
    """
    found: str | None = None
    for name, value, path in dimensions:
        if name != CLUSTER_KEY:
            continue
        cluster = check_cluster(value, path=path, what=what)
        if found is not None and cluster != found:
            raise InvalidInputError(
                [FieldError(path, "names a different cluster than an earlier dimension")],
                what=what,
            )
        found = cluster
    return found


# --- the alarm message inside SNS (PascalCase, dimensions as a list) -----------------------


class SnsDimension(PayloadModel):
    name: str
    value: str


class SnsMetric(PayloadModel):
    metric_name: str | None = Field(default=None, alias="MetricName")
    namespace: str | None = Field(default=None, alias="Namespace")
    dimensions: list[SnsDimension] = Field(default_factory=list, alias="Dimensions")


class SnsMetricStat(PayloadModel):
    metric: SnsMetric = Field(alias="Metric")


class SnsMetricQuery(PayloadModel):
    """One entry of a metric-math alarm's ``Metrics``: an expression or a metric."""

    id: str = Field(alias="Id")
    expression: str | None = Field(default=None, alias="Expression")
    label: str | None = Field(default=None, alias="Label")
    metric_stat: SnsMetricStat | None = Field(default=None, alias="MetricStat")
    return_data: bool = Field(default=True, alias="ReturnData")


class SnsAlarmCondition(PayloadModel):
    """The ``Trigger`` block: a single metric, or ``Metrics`` for metric math."""

    metric_name: str | None = Field(default=None, alias="MetricName")
    namespace: str | None = Field(default=None, alias="Namespace")
    dimensions: list[SnsDimension] = Field(default_factory=list, alias="Dimensions")
    threshold: float | None = Field(default=None, alias="Threshold")
    metrics: list[SnsMetricQuery] = Field(default_factory=list, alias="Metrics")


class SnsAlarmMessage(PayloadModel):
    alarm_name: str = Field(alias="AlarmName", min_length=1)
    new_state_value: CloudWatchState = Field(alias="NewStateValue")
    new_state_reason: str = Field(default="", alias="NewStateReason")
    state_change_time: datetime = Field(alias="StateChangeTime")
    alarm_arn: str | None = Field(default=None, alias="AlarmArn")
    # composite alarms carry an AlarmRule instead of a Trigger; they still name an alarm
    trigger: SnsAlarmCondition = Field(default_factory=SnsAlarmCondition, alias="Trigger")


def _sns_dimensions(trigger: SnsAlarmCondition, path: str) -> Iterable[tuple[str, str, str]]:
    base = join(path, "Trigger")
    for i, dim in enumerate(trigger.dimensions):
        yield dim.name, dim.value, join(join(base, "Dimensions"), i) + ".value"
    for i, query in enumerate(trigger.metrics):
        if query.metric_stat is None:
            continue
        where = join(join(base, "Metrics"), i) + ".MetricStat.Metric.Dimensions"
        for j, dim in enumerate(query.metric_stat.metric.dimensions):
            yield dim.name, dim.value, join(where, j) + ".value"


def _sns_metric_name(trigger: SnsAlarmCondition) -> str | None:
    if trigger.metric_name:
        return trigger.metric_name
    for query in trigger.metrics:
        if query.return_data:
            if query.metric_stat is not None:
                return query.metric_stat.metric.metric_name
            return query.label or query.id
    return None


def alarm_from_sns_message(
    text: str, *, message_id: str, path: str, source: AlarmSource = AlarmSource.CLOUDWATCH_SNS
) -> AlarmTrigger:
    """Convert the JSON text of an SNS ``Message`` that carries a CloudWatch alarm."""
    message = validate(
        SnsAlarmMessage, decode_json(text, path=path, what=WHAT), path=path, what=WHAT
    )
    reason = message.new_state_reason
    threshold = message.trigger.threshold
    return AlarmTrigger(
        source=source,
        event_id=message_id,
        alarm_name=message.alarm_name,
        state=STATES[message.new_state_value],
        occurred_at=message.state_change_time,
        cluster=find_cluster(_sns_dimensions(message.trigger, path), what=WHAT),
        metric=_sns_metric_name(message.trigger),
        observed=observed_from_reason(reason),
        threshold=threshold if threshold is not None else threshold_from_reason(reason),
        reason=reason,
    )


# --- the SNS envelope ---------------------------------------------------------------------


class SnsNotification(PayloadModel):
    """``Records[].Sns`` of a Lambda SNS event (HTTP delivery uses the same core fields)."""

    type: Literal["Notification"] = Field(alias="Type")
    message_id: str = Field(alias="MessageId", min_length=1)
    topic_arn: str = Field(alias="TopicArn")
    message: str = Field(alias="Message")
    timestamp: datetime = Field(alias="Timestamp")


class SnsRecord(PayloadModel):
    event_source: Literal["aws:sns"] = Field(alias="EventSource")
    sns: SnsNotification = Field(alias="Sns")


class SnsEvent(PayloadModel):
    records: list[SnsRecord] = Field(alias="Records", min_length=1)


def parse_sns_alarms(payload: object) -> list[AlarmTrigger]:
    """A Lambda SNS event: one alarm per record (SNS may batch several)."""
    event = validate(SnsEvent, payload, what=WHAT)
    return [
        alarm_from_sns_message(
            record.sns.message,
            message_id=record.sns.message_id,
            path=join(join("Records", i), "Sns") + ".Message",
        )
        for i, record in enumerate(event.records)
    ]


def parse_sns_http_alarm(document: object) -> AlarmTrigger:
    """The JSON body SNS POSTs to an HTTP(S) subscription (verify its signature first)."""
    notification = validate(SnsNotification, document, what=WHAT)
    return alarm_from_sns_message(
        notification.message, message_id=notification.message_id, path="Message"
    )
