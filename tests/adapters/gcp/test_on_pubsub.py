"""on_pubsub: each events/gcp Pub/Sub sample through functions-framework, on the local cluster."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from weavefn.local.kube import Fault, LocalKube

from tests.adapters.gcp.conftest import (
    NAME,
    NS,
    Post,
    Records,
    events,
    example,
    replicas,
    sample,
)

INCIDENT = "cloud-monitoring-incident.json"
CLOSED = "cloud-monitoring-incident-closed.json"


def with_data(event: dict[str, Any], data: str, *, source: str | None = None) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    changed["data"]["message"]["data"] = data
    if source is not None:
        changed["source"] = source
    return changed


def b64(document: object) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    return base64.b64encode(text.encode()).decode()


def test_an_open_incident_scales_the_cluster_out(
    running: LocalKube, publish: Post, logs: Records
) -> None:
    answer = publish(sample(INCIDENT))

    assert answer.status_code == 200
    # 1480.5 queries/s per node on 3 nodes against 1000 per replica: ceil(3 * 1.4805) = 5
    assert replicas(running) == 5
    status = running.get_cluster(NS, NAME)["status"]
    assert status["autoscaling"]["lastScaleTime"]
    assert "0.ng6h3lzz9r2w:open" in status["autoscaling"]["processedEvents"]
    (scaled,) = events(running, "ScaledUp")
    assert "3 -> 5" in scaled["note"]
    assert logs.find(cluster=f"{NS}/{NAME}", trigger="alarm"), "a log line names the cluster"
    (line,) = logs.find(cluster=f"{NS}/{NAME}", trigger="alarm")
    assert getattr(line, "decision", None)


def test_a_closed_incident_does_not_shrink_at_once(running: LocalKube, publish: Post) -> None:
    publish(sample(INCIDENT))

    answer = publish(sample(CLOSED))

    assert answer.status_code == 200
    assert replicas(running) == 5, "scale-down waits out its stabilization window"
    assert not events(running, "ScaledDown")
    status = running.get_cluster(NS, NAME)["status"]
    assert "0.ng6h3lzz9r2w:closed" in status["autoscaling"]["processedEvents"]


def test_a_duplicate_delivery_scales_once(running: LocalKube, publish: Post) -> None:
    publish(sample(INCIDENT))

    again = publish(sample(INCIDENT))

    assert again.status_code == 200
    assert replicas(running) == 5
    assert len(events(running, "ScaledUp")) == 1


def test_a_scheduler_tick_reconciles_every_cluster(kube: LocalKube, publish: Post) -> None:
    kube.apply_cluster(example())
    assert replicas(kube) is None

    answer = publish(sample("scheduler-pubsub.json"))

    assert answer.status_code == 200
    assert replicas(kube) == 3
    assert kube.get_cluster(NS, NAME)["status"]["conditions"]


def test_a_fanout_message_reconciles_only_its_cluster(kube: LocalKube, publish: Post) -> None:
    kube.apply_cluster(example())
    kube.apply_cluster(example("gcp.yaml"))

    answer = publish(sample("pubsub-reconcile.json"))

    assert answer.status_code == 200
    assert replicas(kube) == 3
    assert "status" not in kube.get_cluster("weaviate", "search"), "other clusters untouched"


ALERTS = "//pubsub.googleapis.com/projects/acme-search-prod/topics/weavefn-alerts"
UNNAMED = "//pubsub.googleapis.com/"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(with_data(sample(INCIDENT), "%%% not base64 %%%"), id="bad-base64"),
        pytest.param(with_data(sample(INCIDENT), b64('{"incident": {')), id="truncated-json"),
        pytest.param(
            with_data(sample(INCIDENT), b64({"version": "1.2", "incident": {"state": "open"}})),
            id="incident-missing-fields",
        ),
        pytest.param(
            with_data(sample(INCIDENT), b64({"version": "1.2"}), source=ALERTS),
            id="alerts-topic-without-incident",
        ),
        pytest.param(
            with_data(sample(INCIDENT), b64("plain words"), source=UNNAMED),
            id="unnamed-topic-not-json",
        ),
        pytest.param(
            with_data(sample("pubsub-reconcile.json"), b64({"cluster": "Not A Name"})),
            id="bad-cluster-name",
        ),
        pytest.param(
            {**sample(INCIDENT), "type": "google.cloud.storage.object.v1.finalized"},
            id="not-messagePublished",
        ),
        pytest.param({**sample(INCIDENT), "data": {"message": "x"}}, id="message-not-object"),
    ],
)
def test_malformed_messages_are_acknowledged_and_change_nothing(
    running: LocalKube, publish: Post, logs: Records, event: dict[str, Any]
) -> None:
    answer = publish(event)

    assert answer.status_code == 200, "acknowledged: redelivery cannot fix it"
    assert running.writes == 0
    assert replicas(running) == 3
    (warning,) = logs.find(message="malformed Pub/Sub message acknowledged")
    assert "invalid" in str(getattr(warning, "error", ""))


def test_a_transient_failure_asks_for_redelivery(
    running: LocalKube, publish: Post, logs: Records
) -> None:
    # every read of the cluster fails, as when the API server is down
    running.add_fault(Fault.UNAVAILABLE, kind="WeaviateCluster", times=100)

    answer = publish(sample(INCIDENT))

    assert answer.status_code == 500, "an error answer makes Pub/Sub redeliver"
    assert replicas(running) == 3
