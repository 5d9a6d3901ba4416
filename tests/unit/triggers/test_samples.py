"""Every sample in events/ is recognised and parses to the core values a handler acts on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.triggers.detect import Category, Cloud, PayloadKind, detect
from weavefn.triggers.http_payloads import read_http
from weavefn.triggers.model import (
    AlarmSource,
    AlarmState,
    AlarmTrigger,
    ClusterTrigger,
    RestoreRequest,
    ScheduleTrigger,
    Trigger,
    UpgradeRequest,
)
from weavefn.triggers.parse import parse_alarm, parse_trigger
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.signed_restore import authenticate_restore
from weavefn.triggers.signed_upgrade import (
    SIGNATURE_HEADER,
    UnauthenticatedError,
    authenticate_upgrade,
    sign_upgrade,
)

EVENTS = Path(__file__).resolve().parents[3] / "events"
RECEIVED = datetime(2025, 11, 26, 10, 10, 3, tzinfo=UTC)
PROD = "weaviate/production"
QPS_ALARM = "weaviate-production-qps-high"
FIRED = datetime(2025, 11, 26, 10, 5, 12, 349000, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


@dataclass(frozen=True)
class Sample:
    file: str
    cloud: Cloud
    kind: PayloadKind
    triggers: tuple[Trigger, ...] = ()


def alarm(source: AlarmSource, event_id: str, **kw: Any) -> AlarmTrigger:
    values: dict[str, Any] = {
        "alarm_name": QPS_ALARM,
        "state": AlarmState.FIRING,
        "occurred_at": FIRED,
        "cluster": PROD,
        "metric": "QueriesPerSecondPerNode",
        "observed": 1480.5,
        "threshold": 1000.0,
    } | kw
    return AlarmTrigger(source=source, event_id=event_id, **values)


SAMPLES = [
    Sample(
        "aws/cloudwatch-alarm-sns.json",
        Cloud.AWS,
        PayloadKind.CLOUDWATCH_SNS,
        (alarm(AlarmSource.CLOUDWATCH_SNS, "6f2b5a3e-8d4c-5b1a-9e7f-2c1d0a9b8e71"),),
    ),
    Sample(
        "aws/cloudwatch-alarm-sns-resolved.json",
        Cloud.AWS,
        PayloadKind.CLOUDWATCH_SNS,
        (
            alarm(
                AlarmSource.CLOUDWATCH_SNS,
                "0c8e4f1d-2a7b-5e3c-8f9a-4b6d1e2c3a50",
                state=AlarmState.RESOLVED,
                occurred_at=datetime(2025, 11, 26, 10, 32, 7, 911000, tzinfo=UTC),
                observed=612.25,
            ),
        ),
    ),
    Sample(
        "aws/cloudwatch-alarm-metric-math-sns.json",
        Cloud.AWS,
        PayloadKind.CLOUDWATCH_SNS,
        (
            alarm(
                AlarmSource.CLOUDWATCH_SNS,
                "a41d7c2e-5f3b-5d6a-8c1e-9b7f2e4d6c13",
                alarm_name="weaviate-production-qps-per-node-high",
                metric="QPS per node",
            ),
        ),
    ),
    Sample(
        "aws/cloudwatch-alarm-eventbridge.json",
        Cloud.AWS,
        PayloadKind.CLOUDWATCH_EVENTBRIDGE,
        (alarm(AlarmSource.CLOUDWATCH_EVENTBRIDGE, "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92"),),
    ),
    Sample(
        "aws/cloudwatch-alarm-lambda-action.json",
        Cloud.AWS,
        PayloadKind.CLOUDWATCH_LAMBDA_ACTION,
        (
            alarm(
                AlarmSource.CLOUDWATCH_LAMBDA,
                "arn:aws:cloudwatch:us-east-1:123456789012:alarm:weaviate-production-qps-high"
                "@2025-11-26T10:05:12.349000+00:00",
            ),
        ),
    ),
    Sample(
        "aws/sns-http-notification.json",
        Cloud.AWS,
        PayloadKind.SNS_HTTP_NOTIFICATION,
        (alarm(AlarmSource.CLOUDWATCH_SNS, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"),),
    ),
    Sample("aws/sns-subscription-confirmation.json", Cloud.AWS, PayloadKind.SNS_SUBSCRIPTION),
    Sample(
        "aws/schedule-eventbridge.json",
        Cloud.AWS,
        PayloadKind.EVENTBRIDGE_SCHEDULE,
        (
            ScheduleTrigger(
                event_id="53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
                occurred_at=datetime(2025, 11, 26, 10, 10, tzinfo=UTC),
            ),
        ),
    ),
    Sample(
        "aws/sqs-reconcile.json",
        Cloud.AWS,
        PayloadKind.SQS_MESSAGE,
        (ClusterTrigger(PROD, "059f36b4-87a3-44ab-83d2-661975830a7d", "scheduled fan-out"),),
    ),
    Sample(
        "aws/apigw-upgrade-request.json",
        Cloud.AWS,
        PayloadKind.UPGRADE_REQUEST,
    ),
    Sample("aws/apigw-restore-request.json", Cloud.AWS, PayloadKind.RESTORE_REQUEST),
    Sample("aws/apigw-admission-review.json", Cloud.AWS, PayloadKind.ADMISSION_REVIEW),
    Sample(
        "gcp/cloud-monitoring-incident.json",
        Cloud.GCP,
        PayloadKind.CLOUD_MONITORING_INCIDENT,
        (
            alarm(
                AlarmSource.CLOUD_MONITORING,
                "0.ng6h3lzz9r2w:open",
                occurred_at=datetime(2025, 11, 26, 10, 5, 12, tzinfo=UTC),
                metric="custom.googleapis.com/weaviate/qps_per_node",
            ),
        ),
    ),
    Sample(
        "gcp/cloud-monitoring-incident-closed.json",
        Cloud.GCP,
        PayloadKind.CLOUD_MONITORING_INCIDENT,
        (
            alarm(
                AlarmSource.CLOUD_MONITORING,
                "0.ng6h3lzz9r2w:closed",
                state=AlarmState.RESOLVED,
                occurred_at=datetime(2025, 11, 26, 10, 32, 7, tzinfo=UTC),
                metric="custom.googleapis.com/weaviate/qps_per_node",
                observed=612.25,
            ),
        ),
    ),
    Sample(
        "gcp/scheduler-pubsub.json",
        Cloud.GCP,
        PayloadKind.CLOUD_SCHEDULER_PUBSUB,
        (
            ScheduleTrigger(
                event_id="11873338101293370",
                occurred_at=datetime(2025, 11, 26, 10, 10, 0, 318000, tzinfo=UTC),
            ),
        ),
    ),
    Sample(
        "gcp/scheduler-http.json",
        Cloud.GCP,
        PayloadKind.CLOUD_SCHEDULER_HTTP,
        (
            ScheduleTrigger(
                event_id="weavefn-reconcile-every-5-minutes@2025-11-26T10:10:00Z",
                occurred_at=datetime(2025, 11, 26, 10, 10, tzinfo=UTC),
            ),
        ),
    ),
    Sample(
        "gcp/pubsub-reconcile.json",
        Cloud.GCP,
        PayloadKind.PUBSUB_MESSAGE,
        (ClusterTrigger(PROD, "11873339526811940", "scheduled fan-out"),),
    ),
    Sample(
        "gcp/http-upgrade-request.json",
        Cloud.GCP,
        PayloadKind.UPGRADE_REQUEST,
    ),
    Sample("gcp/http-restore-request.json", Cloud.GCP, PayloadKind.RESTORE_REQUEST),
    Sample(
        "azure/azure-monitor-metric-alert.json",
        Cloud.AZURE,
        PayloadKind.AZURE_MONITOR_ALERT,
        (
            alarm(
                AlarmSource.AZURE_MONITOR,
                "/subscriptions/11111111-2222-3333-4444-555555555555/providers/"
                "Microsoft.AlertsManagement/alerts/3b7e9c1d-5f2a-4e8b-9d6c-0a1b2c3d4e5f"
                ":Fired:2025-11-26T10:05:41.885651+00:00",
                occurred_at=datetime(2025, 11, 26, 10, 5, 41, 885651, tzinfo=UTC),
                metric="weaviate_qps_per_node",
            ),
        ),
    ),
    Sample(
        "azure/azure-monitor-metric-alert-resolved.json",
        Cloud.AZURE,
        PayloadKind.AZURE_MONITOR_ALERT,
        (
            alarm(
                AlarmSource.AZURE_MONITOR,
                "/subscriptions/11111111-2222-3333-4444-555555555555/providers/"
                "Microsoft.AlertsManagement/alerts/3b7e9c1d-5f2a-4e8b-9d6c-0a1b2c3d4e5f"
                ":Resolved:2025-11-26T10:33:12.120337+00:00",
                state=AlarmState.RESOLVED,
                occurred_at=datetime(2025, 11, 26, 10, 33, 12, 120337, tzinfo=UTC),
                metric="weaviate_qps_per_node",
                observed=612.25,
            ),
        ),
    ),
    Sample(
        "azure/azure-monitor-log-alert.json",
        Cloud.AZURE,
        PayloadKind.AZURE_MONITOR_ALERT,
        (
            alarm(
                AlarmSource.AZURE_MONITOR,
                "/subscriptions/11111111-2222-3333-4444-555555555555/providers/"
                "Microsoft.AlertsManagement/alerts/8d2f4a6c-1e3b-4c5d-9f7a-2b4c6d8e0f1a"
                ":Fired:2025-11-26T10:06:02.441789+00:00",
                alarm_name="weaviate-production-cpu-high",
                occurred_at=datetime(2025, 11, 26, 10, 6, 2, 441789, tzinfo=UTC),
                metric="AggregatedValue",
                observed=86.4,
                threshold=70.0,
            ),
        ),
    ),
    Sample(
        "azure/timer.json",
        Cloud.AZURE,
        PayloadKind.AZURE_TIMER,
        (ScheduleTrigger(event_id="azure-timer@2025-11-26T10:15:00+00:00", occurred_at=RECEIVED),),
    ),
    Sample(
        "azure/queue-reconcile.json",
        Cloud.AZURE,
        PayloadKind.AZURE_QUEUE_MESSAGE,
        (ClusterTrigger(PROD, "5f8c1a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c", "scheduled fan-out"),),
    ),
    Sample(
        "azure/http-upgrade-request.json",
        Cloud.AZURE,
        PayloadKind.UPGRADE_REQUEST,
    ),
    Sample("azure/http-restore-request.json", Cloud.AZURE, PayloadKind.RESTORE_REQUEST),
]


def _without_reason(trigger: Trigger) -> Trigger:
    if isinstance(trigger, AlarmTrigger):
        return AlarmTrigger(**{**trigger.__dict__, "reason": ""})
    return trigger


def test_every_sample_is_in_the_table() -> None:
    on_disk = {str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")}
    assert on_disk == {s.file for s in SAMPLES}


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.file for s in SAMPLES])
def test_sample_is_detected(sample: Sample) -> None:
    detected = detect(load(sample.file))
    assert (detected.cloud, detected.kind) == (sample.cloud, sample.kind)


TRIGGERING = [s for s in SAMPLES if s.triggers]


@pytest.mark.parametrize("sample", TRIGGERING, ids=[s.file for s in TRIGGERING])
def test_sample_parses_to_core_trigger(sample: Sample) -> None:
    triggers = parse_trigger(load(sample.file), received_at=RECEIVED)
    assert [_without_reason(t) for t in triggers] == list(sample.triggers)


ALARMS = [s for s in SAMPLES if s.kind.category is Category.ALARM and s.triggers]


@pytest.mark.parametrize("sample", ALARMS, ids=[s.file for s in ALARMS])
def test_parse_alarm_reads_every_alarm_shape(sample: Sample) -> None:
    alarms = parse_alarm(load(sample.file))
    assert [a.alarm_name for a in alarms] == [a.alarm_name for a in sample.triggers]  # type: ignore[union-attr]
    assert all(a.reason for a in alarms)


@pytest.mark.parametrize("sample", TRIGGERING, ids=[s.file for s in TRIGGERING])
def test_redelivery_later_has_the_same_event_id(sample: Sample) -> None:
    # a notification redelivered a minute later must de-duplicate against the first one
    first = parse_trigger(load(sample.file), received_at=RECEIVED)
    again = parse_trigger(load(sample.file), received_at=RECEIVED + timedelta(minutes=1))
    assert [t.event_id for t in again] == [t.event_id for t in first]


UPGRADES = [s for s in SAMPLES if s.kind is PayloadKind.UPGRADE_REQUEST]
SECRET = b"ci-shared-secret"


@pytest.mark.parametrize("sample", UPGRADES, ids=[s.file for s in UPGRADES])
def test_upgrade_sample_is_no_trigger_until_authenticated(sample: Sample) -> None:
    with pytest.raises(InvalidInputError, match="authenticates"):
        parse_trigger(load(sample.file))


@pytest.mark.parametrize("sample", UPGRADES, ids=[s.file for s in UPGRADES])
def test_upgrade_sample_authenticates_to_the_core_request_once_signed(sample: Sample) -> None:
    request = read_http(load(sample.file))
    sent_at = int(request.headers["x-weavefn-timestamp"])
    unsigned = {k: v for k, v in request.headers.items() if k != SIGNATURE_HEADER.lower()}
    signed = {**unsigned, **sign_upgrade(request.body, secret=SECRET, timestamp=sent_at)}

    upgrade = authenticate_upgrade(
        body=request.body, headers=signed, secret=SECRET, now=sent_at, replay=InMemoryReplayGuard()
    )

    assert (upgrade.cluster, upgrade.version) == (PROD, "1.27.3")
    assert upgrade.event_id.startswith("upgrade-")
    assert isinstance(upgrade, UpgradeRequest)


@pytest.mark.parametrize("sample", UPGRADES, ids=[s.file for s in UPGRADES])
def test_upgrade_sample_with_its_placeholder_signature_is_refused(sample: Sample) -> None:
    request = read_http(load(sample.file))
    assert "<" in request.headers[SIGNATURE_HEADER.lower()]

    with pytest.raises(UnauthenticatedError):
        authenticate_upgrade(
            body=request.body,
            headers=request.headers,
            secret=SECRET,
            now=int(request.headers["x-weavefn-timestamp"]),
            replay=InMemoryReplayGuard(),
        )


RESTORES = [s for s in SAMPLES if s.kind is PayloadKind.RESTORE_REQUEST]


@pytest.mark.parametrize("sample", RESTORES, ids=[s.file for s in RESTORES])
def test_restore_sample_authenticates_to_the_core_request_once_signed(sample: Sample) -> None:
    request = read_http(load(sample.file))
    sent_at = int(request.headers["x-weavefn-timestamp"])
    with pytest.raises(InvalidInputError, match="POST /restore, signed"):
        parse_trigger(load(sample.file))
    with pytest.raises(UnauthenticatedError):  # its placeholder signature
        authenticate_restore(
            body=request.body,
            headers=request.headers,
            secret=SECRET,
            now=sent_at,
            replay=InMemoryReplayGuard(),
        )
    unsigned = {k: v for k, v in request.headers.items() if k != SIGNATURE_HEADER.lower()}
    signed = {**unsigned, **sign_upgrade(request.body, secret=SECRET, timestamp=sent_at)}

    restore = authenticate_restore(
        body=request.body, headers=signed, secret=SECRET, now=sent_at, replay=InMemoryReplayGuard()
    )

    assert restore == RestoreRequest(
        cluster=PROD,
        backup="weavefn-scheduled-v1-27-0-20251126t030000z",
        event_id=restore.event_id,
        include=("Articles",),
    )
    assert restore.event_id.startswith("restore-")
