"""`weavefn invoke` runs each payload through the real entry point of the cloud it belongs to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from weavefn.cli.main import main

ROOT = Path(__file__).resolve().parents[2]

ENTRY_POINTS = [
    ("events/aws/schedule-eventbridge.json", "functions/aws/handlers.schedule"),
    ("events/aws/sqs-reconcile.json", "functions/aws/handlers.queue"),
    ("events/gcp/cloud-monitoring-incident.json", "functions/gcp/main.on_pubsub"),
    ("events/gcp/scheduler-pubsub.json", "functions/gcp/main.on_pubsub"),
    ("events/gcp/pubsub-reconcile.json", "functions/gcp/main.on_pubsub"),
    ("events/gcp/scheduler-http.json", "functions/gcp/main.on_http"),
    ("events/azure/azure-monitor-metric-alert.json", "functions/azure/function_app.alert"),
    ("events/azure/timer.json", "functions/azure/function_app.schedule"),
    ("events/azure/queue-reconcile.json", "functions/azure/function_app.fanout"),
]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in (
        "WEAVEFN_CLUSTER",
        "WEAVEFN_UPGRADE_SECRET",
        "WEAVEFN_QUEUE",
        "WEAVEFN_OIDC_AUDIENCE",
    ):
        monkeypatch.delenv(name, raising=False)
    setting = f"local:{tmp_path / 'cluster.json'}"
    assert (
        main(["apply", "-f", str(ROOT / "examples/production-aws.yaml"), "--cluster", setting]) == 0
    )
    assert main(["reconcile", "--cluster", setting]) == 0
    return setting


def version(cluster: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["status", "-o", "json", "--cluster", cluster]) == 0
    (item,) = json.loads(capsys.readouterr().out)["items"]
    return str(item["spec"]["version"])


@pytest.mark.parametrize(("event", "target"), ENTRY_POINTS, ids=[e for e, _ in ENTRY_POINTS])
def test_each_sample_reaches_its_clouds_function(
    event: str, target: str, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["invoke", str(ROOT / event), "--cluster", cluster])

    out = capsys.readouterr().out
    assert code == 0, out
    assert f"-> {target}" in out
    assert "weaviate/production:" in out, "the function reconciled the cluster"


@pytest.mark.parametrize(
    ("event", "cloud", "belongs"),
    [
        pytest.param(
            "events/aws/apigw-upgrade-request.json", "gcp", "AWS", id="aws-upgrade-to-gcp"
        ),
        pytest.param("events/gcp/http-upgrade-request.json", "azure", "GCP", id="gcp-to-azure"),
        pytest.param("events/azure/timer.json", "aws", "AZURE", id="azure-timer-to-aws"),
    ],
)
def test_a_payload_of_another_cloud_is_a_usage_error(
    event: str, cloud: str, belongs: str, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = version(cluster, capsys)

    code = main(["invoke", str(ROOT / event), "--cloud", cloud, "--cluster", cluster])

    err = capsys.readouterr().err
    assert code == 2
    assert f"belongs to {belongs}" in err
    assert version(cluster, capsys) == before, "nothing ran"


def test_an_unsigned_upgrade_never_starts_on_any_cloud(
    cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the placeholder signature of each sample is refused by the webhook it reaches
    for event in (
        "events/aws/apigw-upgrade-request.json",
        "events/gcp/http-upgrade-request.json",
        "events/azure/http-upgrade-request.json",
    ):
        assert main(["invoke", str(ROOT / event), "--cluster", cluster]) == 1
        assert "HTTP 401" in capsys.readouterr().out

    assert version(cluster, capsys) == "1.27.0"


def test_a_signed_azure_upgrade_goes_through_the_upgrade_function(
    cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    event = str(ROOT / "events/azure/http-upgrade-request.json")

    code = main(["invoke", event, "--sign", "--cluster", cluster])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "-> functions/azure/function_app.upgrade" in out
    assert "HTTP 202" in out
    assert version(cluster, capsys) == "1.27.3"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_bare_cluster_message_arrives_as_that_clouds_queue_message(
    cloud: str, cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = tmp_path / "message.json"
    message.write_text(json.dumps({"cluster": "weaviate/production", "reason": "by hand"}))

    code = main(["invoke", str(message), "--cloud", cloud, "--cluster", cluster])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "weaviate/production:" in out


RESTORES = ["events/aws/apigw-restore-request.json", "events/gcp/http-restore-request.json"]
RESTORES.append("events/azure/http-restore-request.json")


@pytest.mark.parametrize("event", RESTORES, ids=["aws", "gcp", "azure"])
def test_a_signed_restore_sample_restores_through_its_clouds_function(
    event: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from weavefn.local.kube import ManualClock, open_local
    from weavefn.local.weaviate.api import EmbeddedWeaviateApi
    from weavefn.local.weaviate.connector import edit_sim

    clock = ManualClock(1_795_000_000.0)
    monkeypatch.setattr("weavefn.local.kube.persist.wall_clock", clock)
    monkeypatch.setattr("weavefn.runtime.utcnow", lambda: datetime.fromtimestamp(clock(), UTC))
    monkeypatch.delenv("WEAVEFN_UPGRADE_SECRET", raising=False)
    path = tmp_path / "cluster.json"
    setting = f"local:{path}"
    assert (
        main(["apply", "-f", str(ROOT / "examples/production-aws.yaml"), "--cluster", setting]) == 0
    )
    assert main(["reconcile", "--cluster", setting]) == 0
    body = json.loads(json.loads((ROOT / event).read_text())["body"])
    with open_local(path) as kube, edit_sim(kube, "weaviate/production") as sim:
        sim.add_collection("Articles", shards=2, replication_factor=2)
        EmbeddedWeaviateApi(sim).create_backup("s3", body["backup"])  # the sample's backup
    clock.advance(60)
    with open_local(path) as kube, edit_sim(kube, "weaviate/production") as sim:
        sim.drop_collection("Articles")
    capsys.readouterr()

    code = main(["invoke", str(ROOT / event), "--sign", "--cluster", setting])
    out = capsys.readouterr().out
    clock.advance(30)
    assert main(["reconcile", "--cluster", setting]) == 0

    assert code == 0, out
    assert "HTTP 202" in out and '"accepted":true' in out
    assert "RestoreSucceeded: restored Articles from backup " + body["backup"] in (
        capsys.readouterr().out
    )
