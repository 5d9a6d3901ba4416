"""A Cloud Monitoring incident through the Pub/Sub emulator's push delivery to a real
functions-framework server running on_pubsub against a local cluster saved in a file."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.kube.port import ObjectRef
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, open_local
from weavefn.runtime import build_runtime

from tests.e2e.conftest import ROOT, FunctionServer, PubSubEmulator, wait_until

pytestmark = pytest.mark.e2e

NS, NAME = "weaviate", "production"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)
INCIDENT = ROOT / "events" / "gcp" / "cloud-monitoring-incident.json"
DELIVERY_SECONDS = 60.0


def seeded_cluster(path: Path) -> None:
    """The production example, reconciled once, saved where the function will find it."""
    manifest = yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text())
    with open_local(path) as kube:
        kube.apply_cluster(manifest)
        assert build_runtime(local_backend(kube)).service.reconcile().ok


def read_cluster(path: Path, read: Callable[[LocalKube], Any]) -> Any:
    with open_local(path) as kube:
        return read(kube)


def replicas(kube: LocalKube) -> int:
    found = kube.get(STS)
    assert found is not None
    return int(found["spec"]["replicas"])


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            lines.append(parsed)
    return lines


def test_an_incident_published_to_pubsub_scales_the_cluster(
    tmp_path: Path,
    pubsub_emulator: PubSubEmulator,
    gcp_function_server: Callable[..., FunctionServer],
) -> None:
    cluster_file = tmp_path / "cluster.json"
    seeded_cluster(cluster_file)
    assert read_cluster(cluster_file, replicas) == 3
    server = gcp_function_server(
        target="on_pubsub",
        signature_type="cloudevent",
        env={"WEAVEFN_CLUSTER": f"local:{cluster_file}", "WEAVEFN_QUEUE": ""},
    )
    topic = pubsub_emulator.topic("weavefn-alerts")
    # the topic in the push path lets functions-framework name it in the CloudEvent source
    pubsub_emulator.push_subscription(
        "weavefn-alerts-push", topic=topic, endpoint=f"{server.url}/{topic}"
    )
    data = json.loads(INCIDENT.read_text())["data"]["message"]["data"]
    assert json.loads(base64.b64decode(data))["incident"]["state"] == "open"

    pubsub_emulator.publish(topic, data)

    wait_until(
        lambda: read_cluster(cluster_file, replicas) != 3,
        timeout=DELIVERY_SECONDS,
        what=f"the pushed incident to scale the cluster\n{server.process.output()}",
        interval=0.5,
    )
    # 1480.5 queries/s per node on 3 nodes against 1000 per replica: ceil(3 * 1.4805) = 5
    assert read_cluster(cluster_file, replicas) == 5
    status = read_cluster(cluster_file, lambda k: k.get_cluster(NS, NAME)["status"])
    assert "0.ng6h3lzz9r2w:open" in status["autoscaling"]["processedEvents"]
    scaled = read_cluster(
        cluster_file, lambda k: [e for e in k.list_events(NS) if e["reason"] == "ScaledUp"]
    )
    assert len(scaled) == 1 and "3 -> 5" in scaled[0]["note"]
    logged = json_lines(server.process.output())
    assert any(
        line.get("cluster") == f"{NS}/{NAME}" and line.get("trigger") == "alarm" for line in logged
    ), server.process.output()
