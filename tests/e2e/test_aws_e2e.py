"""The AWS handlers against a real moto server: CloudWatch holds the alarm and the QPS data the
alarm handler reads, and SQS carries fan-out messages the queue handler consumes."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from weavefn.autoscale.metrics.cloudwatch import CloudWatchSource
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import local_registry
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.queue.sqs import SqsQueue
from weavefn.runtime import Runtime
from weavefn.service import Service

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.adapters.aws.conftest import example, sample
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ALARM = "weaviate-production-qps-high"
CLUSTER = "weaviate/production"


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    # the handlers and the queue find the server the way boto3 finds any endpoint
    for name, value in {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield url
    server.stop()


def client(service: str) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client(service, region_name=REGION)


def production_reading_cloudwatch() -> dict[str, Any]:
    cluster = example("production-aws.yaml")
    cluster["spec"]["autoScaling"]["metrics"] = {"qps": {"source": "cloudwatch"}}
    return cluster


@pytest.fixture
def kube() -> LocalKube:
    kube = LocalKube(clock=ManualClock(time.time()), ready_delay=0.0)
    kube.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast-ssd"},
            "provisioner": "ebs.csi.aws.com",
        }
    )
    kube.apply_cluster(production_reading_cloudwatch())
    kube.apply_cluster(example("minimal.yaml"))
    return kube


@pytest.fixture
def handlers(moto_url: str, kube: LocalKube) -> AwsHandlers:
    # simulated pod metrics for CPU and memory; QPS through CloudWatch on the moto server
    registry = {**local_registry(kube.extras), MetricSourceKind.CLOUDWATCH: CloudWatchSource()}
    service = Service(kube, clock=lambda: datetime.now(UTC), metrics=registry, workers=2)
    runtime = Runtime(kube=kube, service=service)
    assert service.reconcile().ok
    queue_url = client("sqs").create_queue(QueueName="weavefn-reconcile")["QueueUrl"]
    instance = Instance(
        settings=Settings(cluster="local:unused", queue=f"sqs:{queue_url}", fanout_threshold=1),
        runtime_factory=lambda: fixed_runtime(runtime),
    )
    return AwsHandlers(lambda: instance)


def put_qps(total: float) -> None:
    cloudwatch = client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="Weaviate",
        MetricName="QPS",
        Dimensions=[{"Name": "weaviate.io/cluster", "Value": CLUSTER}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=2,
        Threshold=3000.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.put_metric_data(
        Namespace="Weaviate",
        MetricData=[
            {
                "MetricName": "QPS",
                "Dimensions": [{"Name": "weaviate.io/cluster", "Value": CLUSTER}],
                "Timestamp": datetime.now(UTC) - timedelta(seconds=30),
                "Value": total,
            }
        ],
    )
    assert cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("cloudwatch-alarm-sns.json", id="sns"),
        pytest.param("cloudwatch-alarm-eventbridge.json", id="eventbridge"),
    ],
)
def test_alarm_reads_cloudwatch_and_scales_the_cluster(
    name: str, handlers: AwsHandlers, kube: LocalKube
) -> None:
    # 6000 queries/s over 3 nodes is 2000 per node against a target of 1000: 6 nodes. The
    # alarm's own datapoint (1480.5 per node) would say 5, so 6 proves CloudWatch was read.
    put_qps(6000.0)

    result = handlers.alarm(sample(name), LocalContext())

    assert result["ok"] is True, result
    assert kube.get_scale("weaviate", "production").replicas == 6
    assert "(from alarm)" not in result["clusters"][CLUSTER]


def test_sqs_messages_sent_by_the_queue_port_are_consumed_by_the_queue_handler(
    handlers: AwsHandlers, kube: LocalKube, moto_url: str
) -> None:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="weavefn-reconcile")["QueueUrl"]
    SqsQueue(url).enqueue("default/minimal", reason="e2e")
    SqsQueue(url).enqueue(CLUSTER, reason="e2e")

    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:weavefn-reconcile",
            "awsRegion": REGION,
        }
        for m in received["Messages"]
    ]
    assert len(records) == 2

    result = handlers.queue({"Records": records}, LocalContext())

    assert result == {"batchItemFailures": []}
    assert kube.get_cluster("default", "minimal")["status"]["phase"] in {"Creating", "Running"}


def test_schedule_over_the_threshold_fans_out_through_sqs(
    handlers: AwsHandlers, moto_url: str
) -> None:
    result = handlers.schedule(sample("schedule-eventbridge.json"), LocalContext())

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="weavefn-reconcile")["QueueUrl"]
    bodies = [
        m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert result["ok"] is True
    assert sorted(bodies) == sorted(
        [
            '{"cluster":"default/minimal","reason":"schedule fan-out 53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"}',
            '{"cluster":"weaviate/production","reason":"schedule fan-out 53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"}',
        ]
    )
