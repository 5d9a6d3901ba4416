"""Which follow-up queue the settings name, what a bad setting says, and how each queue turns
a wait into its own delay (SQS at most 900 s, a Storage Queue's visibility timeout)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.queue.follow_ups import (
    FollowUpKind,
    FollowUpSetting,
    follow_up_queue,
    follow_up_setting,
)
from weavefn.queue.sqs import SqsQueue
from weavefn.queue.storage_queue import StorageQueue

SQS_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/weavefn-reconcile"
AZURE_URL = "https://acct.queue.core.windows.net/weavefn-reconcile"
TASKS = "projects/acme-prod/locations/us-central1/queues/wf-followups"
DUE = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("env", "kind", "queue"),
    [
        pytest.param({"WEAVEFN_QUEUE": f"sqs:{SQS_URL}"}, FollowUpKind.SQS, SQS_URL, id="auto-sqs"),
        pytest.param(
            {"WEAVEFN_QUEUE": f"azure-queue:{AZURE_URL}"},
            FollowUpKind.AZURE_QUEUE,
            AZURE_URL,
            id="auto-azure",
        ),
        pytest.param(
            {"WEAVEFN_QUEUE": "pubsub:projects/acme-prod/topics/wf-fanout"},
            FollowUpKind.OFF,
            "",
            id="auto-pubsub-cannot-delay",
        ),
        pytest.param({}, FollowUpKind.OFF, "", id="nothing"),
        pytest.param(
            {"WEAVEFN_QUEUE": f"sqs:{SQS_URL}", "WEAVEFN_FOLLOWUPS": "off"},
            FollowUpKind.OFF,
            "",
            id="off",
        ),
        pytest.param(
            {"WEAVEFN_FOLLOWUPS": f"sqs:{SQS_URL}"}, FollowUpKind.SQS, SQS_URL, id="own-sqs"
        ),
    ],
)
def test_the_setting_names_the_queue(env: dict[str, str], kind: FollowUpKind, queue: str) -> None:
    setting = follow_up_setting(env)

    assert (setting.kind, setting.queue) == (kind, queue)


@pytest.mark.parametrize(
    ("env", "fields"),
    [
        pytest.param({"WEAVEFN_FOLLOWUPS": "kafka:x"}, ["WEAVEFN_FOLLOWUPS"], id="unknown"),
        pytest.param(
            {"WEAVEFN_FOLLOWUPS": "cloudtasks:projects/x"}, ["WEAVEFN_FOLLOWUPS"], id="bad-queue"
        ),
        pytest.param(
            {"WEAVEFN_FOLLOWUPS": f"cloudtasks:{TASKS}"},
            ["WEAVEFN_FOLLOWUP_URL", "WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT"],
            id="tasks-without-target",
        ),
        pytest.param(
            {
                "WEAVEFN_FOLLOWUPS": f"cloudtasks:{TASKS}",
                "WEAVEFN_FOLLOWUP_URL": "http://insecure.example/followup",
                "WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT": "wf@acme-prod.iam.gserviceaccount.com",
            },
            ["WEAVEFN_FOLLOWUP_URL"],
            id="tasks-over-http",
        ),
    ],
)
def test_a_bad_setting_names_the_variable(env: dict[str, str], fields: list[str]) -> None:
    with pytest.raises(InvalidInputError) as raised:
        follow_up_setting(env)

    assert [error.path for error in raised.value.errors] == fields


def test_off_gives_no_queue() -> None:
    assert follow_up_queue(FollowUpSetting()) is None


class Recorder:
    """Stands in for the boto3 SQS client and the Storage QueueClient: keeps each send."""

    def __init__(self) -> None:
        self.sent: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def send_message(self, *args: Any, **kwargs: Any) -> None:
        self.sent.append((args, kwargs))


@pytest.mark.parametrize(
    ("delay", "seconds"),
    [
        pytest.param(2.3, 3, id="rounded-up"),
        pytest.param(900.0, 900, id="at-the-limit"),
        pytest.param(3600.0, 900, id="longer-arrives-early-and-is-delayed-again"),
    ],
)
def test_sqs_delays_each_follow_up_at_most_900_s(delay: float, seconds: int) -> None:
    client = Recorder()
    queue = SqsQueue(SQS_URL, client=client)

    queue.schedule("weaviate/search", due=DUE, delay=delay, reason="r")

    ((_, sent),) = client.sent
    assert sent["DelaySeconds"] == seconds
    body = json.loads(sent["MessageBody"])
    assert (body["cluster"], body["due"]) == ("weaviate/search", "2026-11-30T05:00:00Z")


def test_a_storage_queue_follow_up_is_invisible_until_due() -> None:
    client = Recorder()
    queue = StorageQueue(AZURE_URL, client=client)

    queue.schedule("weaviate/search", due=DUE, delay=14.2, reason="PodReady")

    ((args, kwargs),) = client.sent
    assert kwargs == {"visibility_timeout": 15}
    assert json.loads(args[0]) == {
        "cluster": "weaviate/search",
        "reason": "PodReady",
        "due": "2026-11-30T05:00:00Z",
    }
