"""Azure Monitor alerts in the common alert schema (metric and log search alerts)."""

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.cloudwatch import find_cluster
from weavefn.triggers.fields import join
from weavefn.triggers.model import AlarmSource, AlarmState, AlarmTrigger
from weavefn.triggers.payload import PayloadModel, validate

WHAT = "Azure Monitor alert"


class MonitorCondition(StrEnum):
    FIRED = "Fired"
    RESOLVED = "Resolved"


_STATES = {
    MonitorCondition.FIRED: AlarmState.FIRING,
    MonitorCondition.RESOLVED: AlarmState.RESOLVED,
}


class Dimension(PayloadModel):
    name: str
    value: str


class Criterion(PayloadModel):
    """One ``allOf`` entry; metric alerts name a metric, log alerts a measure column."""

    metric_name: str | None = Field(default=None, alias="metricName")
    metric_measure_column: str | None = Field(default=None, alias="metricMeasureColumn")
    threshold: float | None = None
    metric_value: float | None = Field(default=None, alias="metricValue")
    dimensions: list[Dimension] | None = None


class Condition(PayloadModel):
    all_of: list[Criterion] = Field(default_factory=list, alias="allOf")


class AlertContext(PayloadModel):
    condition: Condition = Field(default_factory=Condition)


class Essentials(PayloadModel):
    alert_id: str = Field(alias="alertId", min_length=1)
    alert_rule: str = Field(alias="alertRule", min_length=1)
    monitor_condition: MonitorCondition = Field(alias="monitorCondition")
    fired_date_time: datetime = Field(alias="firedDateTime")
    resolved_date_time: datetime | None = Field(default=None, alias="resolvedDateTime")
    alert_target_ids: list[str] = Field(default_factory=list, alias="alertTargetIDs")


class AlertData(PayloadModel):
    essentials: Essentials
    # activity log alerts and some log alerts have no condition block at all
    alert_context: AlertContext | None = Field(default=None, alias="alertContext")
    custom_properties: dict[str, str] | None = Field(default=None, alias="customProperties")


class CommonAlert(PayloadModel):
    schema_id: Literal["azureMonitorCommonAlertSchema"] = Field(alias="schemaId")
    data: AlertData


def _criteria(data: AlertData) -> list[Criterion]:
    return data.alert_context.condition.all_of if data.alert_context else []


def _dimensions(data: AlertData) -> Iterable[tuple[str, str, str]]:
    base = "data.alertContext.condition.allOf"
    for i, criterion in enumerate(_criteria(data)):
        for j, dim in enumerate(criterion.dimensions or []):
            yield dim.name, dim.value, join(join(join(base, i), "dimensions"), j) + ".value"
    # alertTargetIDs name Azure resources, not namespaces, so only a custom property can
    # name the cluster of an alert rule without a cluster dimension
    for name, value in (data.custom_properties or {}).items():
        yield name, value, join("data.customProperties", name)


def parse_azure_alert(payload: object) -> AlarmTrigger:
    """An alert notification with the common alert schema enabled on the action group."""
    alert = validate(CommonAlert, payload, what=WHAT)
    essentials = alert.data.essentials
    occurred_at = essentials.fired_date_time
    if essentials.monitor_condition is MonitorCondition.RESOLVED:
        if essentials.resolved_date_time is None:
            raise InvalidInputError(
                [FieldError("data.essentials.resolvedDateTime", "required when Resolved")],
                what=WHAT,
            )
        occurred_at = essentials.resolved_date_time
    criteria = _criteria(alert.data)
    first = criteria[0] if criteria else None
    return AlarmTrigger(
        source=AlarmSource.AZURE_MONITOR,
        # one alert instance fires and resolves once each; the pair identifies the notification
        event_id=f"{essentials.alert_id}:{essentials.monitor_condition}:{occurred_at.isoformat()}",
        alarm_name=essentials.alert_rule,
        state=_STATES[essentials.monitor_condition],
        occurred_at=occurred_at,
        cluster=find_cluster(_dimensions(alert.data), what=WHAT),
        metric=(first.metric_name or first.metric_measure_column) if first else None,
        observed=first.metric_value if first else None,
        threshold=first.threshold if first else None,
        reason=f"{essentials.alert_rule} {essentials.monitor_condition.lower()}",
    )
