"""CloudWatch alarm state changes as EventBridge events and as direct Lambda alarm actions."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationError

from weavefn.triggers.cloudwatch import (
    STATES,
    WHAT,
    CloudWatchState,
    find_cluster,
    observed_from_reason,
    threshold_from_reason,
)
from weavefn.triggers.fields import join
from weavefn.triggers.model import AlarmSource, AlarmTrigger
from weavefn.triggers.payload import PayloadModel, validate


class MetricRef(PayloadModel):
    name: str | None = None
    namespace: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)


class MetricStat(PayloadModel):
    metric: MetricRef


class MetricQuery(PayloadModel):
    """One of ``configuration.metrics``: a metric, or an expression for metric math."""

    id: str | None = None
    expression: str | None = None
    label: str | None = None
    metric_stat: MetricStat | None = Field(default=None, alias="metricStat")
    return_data: bool = Field(default=True, alias="returnData")


class AlarmConfiguration(PayloadModel):
    metrics: list[MetricQuery] = Field(default_factory=list)


class AlarmStateBlock(PayloadModel):
    value: CloudWatchState
    reason: str = ""
    reason_data: str | None = Field(default=None, alias="reasonData")
    timestamp: datetime


class AlarmDetail(PayloadModel):
    """``detail`` of the EventBridge event, ``alarmData`` of the direct action: same fields."""

    alarm_name: str = Field(alias="alarmName", min_length=1)
    state: AlarmStateBlock
    configuration: AlarmConfiguration = Field(default_factory=AlarmConfiguration)


class EventBridgeAlarmEvent(PayloadModel):
    id: str = Field(min_length=1)
    detail_type: Literal["CloudWatch Alarm State Change"] = Field(alias="detail-type")
    source: Literal["aws.cloudwatch"]
    detail: AlarmDetail


class LambdaAlarmAction(PayloadModel):
    source: Literal["aws.cloudwatch"]
    alarm_arn: str = Field(alias="alarmArn", min_length=1)
    alarm_data: AlarmDetail = Field(alias="alarmData")


class _ReasonData(PayloadModel):
    """The machine-readable twin of the reason text; only a hint, so it may be absent."""

    threshold: float | None = None
    recent_datapoints: list[float] = Field(default_factory=list, alias="recentDatapoints")


def _reason_data(text: str | None) -> _ReasonData:
    if not text:
        return _ReasonData()
    try:
        return _ReasonData.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        # a hint that cannot be read is no reason to drop the alarm: the text still works
        return _ReasonData()


def _dimensions(detail: AlarmDetail, path: str) -> Iterable[tuple[str, str, str]]:
    for i, query in enumerate(detail.configuration.metrics):
        if query.metric_stat is None:
            continue
        where = join(join(path, "configuration.metrics"), i) + ".metricStat.metric.dimensions"
        for name, value in query.metric_stat.metric.dimensions.items():
            yield name, value, join(where, name)


def _metric_name(detail: AlarmDetail) -> str | None:
    for query in detail.configuration.metrics:
        if query.return_data:
            if query.metric_stat is not None:
                return query.metric_stat.metric.name
            return query.label or query.id
    return None


def _alarm(detail: AlarmDetail, *, event_id: str, source: AlarmSource, path: str) -> AlarmTrigger:
    state = detail.state
    data = _reason_data(state.reason_data)
    observed = observed_from_reason(state.reason)
    if observed is None and data.recent_datapoints:
        observed = data.recent_datapoints[-1]
    threshold = (
        data.threshold if data.threshold is not None else threshold_from_reason(state.reason)
    )
    return AlarmTrigger(
        source=source,
        event_id=event_id,
        alarm_name=detail.alarm_name,
        state=STATES[state.value],
        occurred_at=state.timestamp,
        cluster=find_cluster(_dimensions(detail, path), what=WHAT),
        metric=_metric_name(detail),
        observed=observed,
        threshold=threshold,
        reason=state.reason,
    )


def parse_eventbridge_alarm(payload: object) -> AlarmTrigger:
    """An EventBridge ``CloudWatch Alarm State Change`` event; its ``id`` de-duplicates."""
    event = validate(EventBridgeAlarmEvent, payload, what=WHAT)
    return _alarm(
        event.detail, event_id=event.id, source=AlarmSource.CLOUDWATCH_EVENTBRIDGE, path="detail"
    )


def parse_lambda_action_alarm(payload: object) -> AlarmTrigger:
    """A CloudWatch alarm invoking the function directly as its alarm action."""
    event = validate(LambdaAlarmAction, payload, what=WHAT)
    detail = event.alarm_data
    # the action carries no event id; the alarm and its state timestamp identify the change
    event_id = f"{event.alarm_arn}@{detail.state.timestamp.isoformat()}"
    return _alarm(detail, event_id=event_id, source=AlarmSource.CLOUDWATCH_LAMBDA, path="alarmData")
