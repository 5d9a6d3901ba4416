"""The GCP entry points under functions-framework's test client, on an in-memory local cluster."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from functions_framework import create_app
from weavefn import invocation
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.kube.port import ObjectRef
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.runtime import Runtime, build_runtime

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "functions" / "gcp" / "main.py"
EVENTS = ROOT / "events" / "gcp"
EPOCH = 1_795_000_000.0
NS, NAME = "weaviate", "production"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)
CLOUDEVENT_JSON = {"Content-Type": "application/cloudevents+json"}


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def example(name: str = "production-aws.yaml") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return loaded


def replicas(kube: LocalKube) -> int | None:
    found = kube.get(STS)
    return None if found is None else int(found["spec"]["replicas"])


def events(kube: LocalKube, reason: str) -> list[dict[str, Any]]:
    return [e for e in kube.list_events(NS) if e["reason"] == reason]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(EPOCH)


@pytest.fixture
def kube(clock: ManualClock) -> LocalKube:
    return LocalKube(clock=clock, ready_delay=0.0)


@pytest.fixture
def runtime(kube: LocalKube, clock: ManualClock) -> Runtime:
    return build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))


@pytest.fixture
def instance(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Instance:
    """The warm-instance seam: every entry point gets this Instance instead of the env's."""
    settings = Settings(cluster="local:unused.json", upgrade_secret=b"ci-shared-secret")
    chosen = Instance(settings=settings, runtime_factory=lambda: fixed_runtime(runtime))
    monkeypatch.setattr(invocation, "current", lambda: chosen)
    return chosen


@pytest.fixture
def running(kube: LocalKube, runtime: Runtime) -> LocalKube:
    kube.apply_cluster(example())
    assert runtime.service.reconcile().ok
    kube.reset_calls()
    return kube


@pytest.fixture
def pubsub(instance: Instance) -> FlaskClient:
    app = create_app(target="on_pubsub", source=str(SOURCE), signature_type="cloudevent")
    return app.test_client()


@pytest.fixture
def http(instance: Instance) -> FlaskClient:
    app = create_app(target="on_http", source=str(SOURCE), signature_type="http")
    return app.test_client()


@pytest.fixture
def main_module(http: FlaskClient) -> Any:
    """The copy of main.py the framework loaded (it registers it as module ``main``)."""
    import sys

    return sys.modules["main"]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def find(self, **fields: str) -> list[logging.LogRecord]:
        return [
            r
            for r in self.records
            if all(str(getattr(r, key, None)) == value for key, value in fields.items())
        ]


@pytest.fixture
def logs() -> Iterator[Records]:
    """weavefn's log records, whatever handlers and propagation the process configured."""
    handler = Records()
    logger = logging.getLogger("weavefn")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


Post = Callable[[dict[str, Any]], Any]


@pytest.fixture
def publish(pubsub: FlaskClient) -> Post:
    def post(event: dict[str, Any]) -> Any:
        return pubsub.post("/", data=json.dumps(event), headers=CLOUDEVENT_JSON)

    return post
