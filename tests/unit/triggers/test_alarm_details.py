"""How alarms name their cluster and what they say about the metric, across the shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from weavefn.triggers.cloud_monitoring import parse_incident
from weavefn.triggers.cloudwatch import observed_from_reason, threshold_from_reason
from weavefn.triggers.parse import parse_alarm

from tests.unit.triggers.test_samples import load

REASONS = [
    (
        "single-datapoint",
        "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was "
        "greater than the threshold (1000.0) (minimum 1 datapoint for OK -> ALARM transition).",
        1234.0,
        1000.0,
    ),
    (
        "newest-of-several",
        "Threshold Crossed: 3 out of the last 3 datapoints [81.5 (25/11/26 10:02:00), "
        "75.0 (25/11/26 10:01:00), 72.25 (25/11/26 10:00:00)] was greater than or equal to "
        "the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition).",
        81.5,
        70.0,
    ),
    (
        "scientific-notation",
        "Threshold Crossed: 1 datapoint [1.5E-4 (25/11/26 10:00:00)] was less than the "
        "threshold (2.0E-4).",
        1.5e-4,
        2.0e-4,
    ),
    (
        "missing-data-breaching",
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints "
        "were treated as [Breaching].",
        None,
        None,
    ),
    ("free-text", "Alarm state set manually by an operator.", None, None),
]


@pytest.mark.parametrize(
    ("reason", "observed", "threshold"), [r[1:] for r in REASONS], ids=[r[0] for r in REASONS]
)
def test_cloudwatch_reason_gives_observed_and_threshold(
    reason: str, observed: float | None, threshold: float | None
) -> None:
    assert observed_from_reason(reason) == observed
    assert threshold_from_reason(reason) == threshold


def _sns_without_cluster() -> Any:
    payload = load("aws/cloudwatch-alarm-sns.json")
    message = json.loads(payload["Records"][0]["Sns"]["Message"])
    message["Trigger"]["Dimensions"] = [{"name": "Stage", "value": "prod"}]
    payload["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return payload


def _eventbridge_without_cluster() -> Any:
    payload = load("aws/cloudwatch-alarm-eventbridge.json")
    payload["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] = {}
    return payload


def _azure_without_cluster() -> Any:
    payload = load("azure/azure-monitor-log-alert.json")
    payload["data"]["customProperties"] = None
    return payload


def _incident(edit: Any) -> Any:
    payload = load("gcp/cloud-monitoring-incident.json")
    notification = json.loads(base64.b64decode(payload["data"]["message"]["data"]))
    edit(notification["incident"])
    payload["data"]["message"]["data"] = base64.b64encode(
        json.dumps(notification).encode()
    ).decode()
    return payload


def _incident_without_cluster() -> Any:
    def edit(incident: dict[str, Any]) -> None:
        incident["metric"]["labels"] = {}
        incident["policy_user_labels"] = {}

    return _incident(edit)


UNNAMED = {
    "cloudwatch-sns": _sns_without_cluster,
    "cloudwatch-eventbridge": _eventbridge_without_cluster,
    "azure-log-alert": _azure_without_cluster,
    "cloud-monitoring": _incident_without_cluster,
}


@pytest.mark.parametrize("make", UNNAMED.values(), ids=UNNAMED.keys())
def test_alarm_without_cluster_dimension_leaves_lookup_by_name(make: Any) -> None:
    # the service then finds the cluster whose spec.autoScaling.alarms lists this alarm
    [alarm] = parse_alarm(make())
    assert alarm.cluster is None
    assert alarm.alarm_name


def test_incident_named_by_policy_label_under_google_label_rules() -> None:
    # policy user labels allow only [a-z0-9_-]: weaviate_io_cluster = namespace_name
    def edit(incident: dict[str, Any]) -> None:
        incident["metric"]["labels"] = {}
        incident["policy_user_labels"] = {"weaviate_io_cluster": "search-ns_catalog-v2"}

    assert parse_incident(_incident(edit)).cluster == "search-ns/catalog-v2"


def test_sns_batch_gives_one_alarm_per_record() -> None:
    payload = load("aws/cloudwatch-alarm-sns.json")
    resolved = load("aws/cloudwatch-alarm-sns-resolved.json")
    payload["Records"].append(resolved["Records"][0])
    alarms = parse_alarm(payload)
    assert [a.state.value for a in alarms] == ["firing", "resolved"]
    assert len({a.event_id for a in alarms}) == 2
