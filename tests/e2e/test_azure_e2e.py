"""function_app's indexed functions end to end: settings from the environment, a local cluster
saved in a file, the worker's binding objects for the alert webhook, the timer and the queue."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn import invocation
from weavefn.kube.port import ObjectRef
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, open_local
from weavefn.runtime import build_runtime

from tests.adapters.azure.conftest import http_request, queue_message, sample, timer_request
from tests.adapters.azure.conftest import user_code as function
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

NS = "weaviate"


def manifest(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return loaded


def replicas(name: str) -> Callable[[LocalKube], int | None]:
    def read(kube: LocalKube) -> int | None:
        found = kube.get(ObjectRef("apps/v1", "StatefulSet", NS, name))
        return None if found is None else int(found["spec"]["replicas"])

    return read


def scaled_up(kube: LocalKube) -> list[dict[str, Any]]:
    return [e for e in kube.list_events(NS) if e["reason"] == "ScaledUp"]


@pytest.fixture
def cluster_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The production example reconciled once into a file the functions' settings name."""
    path = tmp_path / "cluster.json"
    with open_local(path) as kube:
        kube.apply_cluster(manifest("production-aws.yaml"))
        assert build_runtime(local_backend(kube)).service.reconcile().ok
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{path}")
    monkeypatch.delenv("WEAVEFN_QUEUE", raising=False)
    logger = logging.getLogger("weavefn")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    invocation.current.cache_clear()
    try:
        yield path
    finally:
        # the Instance configured JSON logging for the process; leave it as other tests expect
        invocation.current.cache_clear()
        logger.handlers[:] = handlers
        logger.propagate, logger.level = propagate, level


def read(path: Path, what: Callable[[LocalKube], Any]) -> Any:
    with open_local(path) as kube:
        return what(kube)


def test_alerts_timer_and_queue_against_a_saved_cluster(cluster_file: Path) -> None:
    fired = function("alert")(
        http_request("alert", json.dumps(sample("azure-monitor-metric-alert.json")))
    )

    assert fired.status_code == 200, fired.get_body()
    assert read(cluster_file, replicas("production")) == 5
    (event,) = read(cluster_file, scaled_up)
    assert "3 -> 5" in event["note"]

    resolved = function("alert")(
        http_request("alert", json.dumps(sample("azure-monitor-metric-alert-resolved.json")))
    )

    assert resolved.status_code == 200
    assert read(cluster_file, replicas("production")) == 5, "no shrink inside stabilization"

    with open_local(cluster_file) as kube:
        kube.apply_cluster(manifest("azure.yaml"))
    assert read(cluster_file, replicas("catalog")) is None

    function("schedule")(timer_request(sample("timer.json")))

    assert read(cluster_file, replicas("catalog")) == 3
    status = read(cluster_file, lambda k: k.get_cluster(NS, "catalog")["status"])
    assert status["conditions"]

    bad = function("alert")(http_request("alert", "{not json"))

    assert bad.status_code == 400
    assert read(cluster_file, replicas("production")) == 5

    function("fanout")(queue_message(sample("queue-reconcile.json")))

    production = read(cluster_file, lambda k: k.get_cluster(NS, "production"))
    assert production["status"]["autoscaling"]["lastScaleTime"]
    assert len(read(cluster_file, scaled_up)) == 1, "every delivery after the first scaled nothing"
