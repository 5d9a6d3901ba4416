"""Follow-ups on Azure against Azurite's queue service: a pass with work in flight sends one
message invisible until its next check (``visibility_timeout``), and the queue function, given
that message when it becomes visible, advances the operation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from weavefn import invocation
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.local.backend import local_backend
from weavefn.queue.storage_queue import StorageQueue
from weavefn.runtime import build_runtime

from tests.adapters.azure.conftest import user_code
from tests.e2e.conftest import ROOT, answers, free_port, missing_tool, start, wait_until
from tests.e2e.test_aws_follow_ups import STEADY, UPGRADING, upgrading_two_of_three
from tests.functional.test_upgrade import NS

pytestmark = pytest.mark.e2e

AZURITE = ROOT / "node_modules" / ".bin" / "azurite-queue"
# Azurite's documented development account (public, the same in every Azurite)
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
QUEUE_NAME = "weavefn-reconcile"


@pytest.fixture
def azurite(tmp_path: Path) -> Iterator[str]:
    """Azurite's queue service (npm, pinned in package.json) on a free port: its connection string."""
    if not AZURITE.exists():
        missing_tool("Azurite is not installed (npm ci installs it from package.json)")
    port = free_port()
    process = start(
        [
            str(AZURITE),
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
            str(port),
            "--location",
            str(tmp_path / "azurite"),
            "--skipApiVersionCheck",
        ],
        log=tmp_path / "azurite.log",
    )
    endpoint = f"http://127.0.0.1:{port}/{ACCOUNT}"
    try:
        wait_until(
            lambda: answers(endpoint) or not process.alive(),
            timeout=30,
            what="Azurite",
        )
        assert process.alive(), f"Azurite exited:\n{process.output()}"
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};"
            f"AccountKey={ACCOUNT_KEY};QueueEndpoint={endpoint};"
        )
    finally:
        process.stop()


def queue_message(message: Any) -> Any:
    """What the Functions host hands the queue trigger for one received message."""
    from azure.functions.queue import QueueMessage

    return QueueMessage(
        id=message.id,
        body=message.content,
        dequeue_count=message.dequeue_count,
        pop_receipt=message.pop_receipt,
    )


def test_one_invisible_message_per_cluster_in_flight_and_its_delivery_advances_it(
    azurite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.storage.queue import QueueClient

    client = QueueClient.from_connection_string(azurite, QUEUE_NAME)
    client.create_queue()
    kube, clock = upgrading_two_of_three()
    now = lambda: datetime.fromtimestamp(clock(), UTC)  # noqa: E731
    queue = StorageQueue(f"http://127.0.0.1/{ACCOUNT}/{QUEUE_NAME}", connection_string=azurite)
    runtime = build_runtime(local_backend(kube), clock=now, follow_ups=queue)
    instance = Instance(
        settings=Settings(cluster="local:unused"), runtime_factory=lambda: fixed_runtime(runtime)
    )
    monkeypatch.setattr(invocation, "current", lambda: instance)

    runtime.service.reconcile()
    runtime.service.reconcile()  # a second pass before they are due queues nothing more

    assert client.get_queue_properties().approximate_message_count == 2
    assert not list(client.peek_messages(max_messages=32)), "invisible until due"
    assert "nextCheckAt" not in kube.get_cluster(NS, STEADY)["status"]

    received: list[Any] = []
    end = time.monotonic() + 10
    while len(received) < 2 and time.monotonic() < end:
        received.extend(client.receive_messages(max_messages=32, visibility_timeout=30))
        time.sleep(0.5)
    bodies = {json.loads(m.content)["cluster"]: json.loads(m.content) for m in received}
    assert sorted(bodies) == [f"{NS}/{name}" for name in sorted(UPGRADING)]
    for name in UPGRADING:
        assert bodies[f"{NS}/{name}"]["due"] == kube.get_cluster(NS, name)["status"]["nextCheckAt"]
    clock.advance(2.3)

    for message in received:
        user_code("fanout")(queue_message(message))

    for name in UPGRADING:
        operation = kube.get_cluster(NS, name)["status"]["operation"]
        assert operation["phase"] == "RollingOut" and operation["details"]["partition"] == 1
    assert client.get_queue_properties().approximate_message_count == 4, "each queued its next"
