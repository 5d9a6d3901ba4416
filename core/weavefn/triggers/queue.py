"""Fan-out messages naming one cluster: SQS records, Pub/Sub messages, Azure queue messages.

The body is always ``{"cluster": "namespace/name", "reason": "..."}``; a follow-up adds
``"due"``, the time it was scheduled for (RFC 3339).
"""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from weavefn.triggers.fields import check_cluster, decode_base64, decode_json, join
from weavefn.triggers.model import ClusterTrigger
from weavefn.triggers.payload import PayloadModel, validate
from weavefn.triggers.pubsub import read_pubsub

WHAT = "cluster message"


class ClusterMessage(PayloadModel):
    cluster: str
    reason: str = ""
    due: AwareDatetime | None = None


def cluster_from_body(body: object, *, event_id: str, path: str = "") -> ClusterTrigger:
    """The decoded body of any of the queue shapes."""
    message = validate(ClusterMessage, body, path=path, what=WHAT)
    cluster = check_cluster(message.cluster, path=join(path, "cluster"), what=WHAT)
    due: datetime | None = message.due
    return ClusterTrigger(cluster=cluster, event_id=event_id, reason=message.reason, due=due)


class SqsRecord(PayloadModel):
    message_id: str = Field(alias="messageId", min_length=1)
    body: str
    event_source: Literal["aws:sqs"] = Field(alias="eventSource")


class SqsEvent(PayloadModel):
    records: list[SqsRecord] = Field(alias="Records", min_length=1)


def parse_sqs(payload: object) -> list[ClusterTrigger]:
    """An SQS batch; each trigger's ``event_id`` is the record's messageId (partial failures)."""
    event = validate(SqsEvent, payload, what=WHAT)
    triggers = []
    for i, record in enumerate(event.records):
        path = join(join("Records", i), "body")
        body = decode_json(record.body, path=path, what=WHAT)
        triggers.append(cluster_from_body(body, event_id=record.message_id, path=path))
    return triggers


def parse_pubsub_cluster(payload: object) -> ClusterTrigger:
    """A Pub/Sub message (CloudEvent or push body) whose data is the cluster message."""
    message = read_pubsub(payload, what=WHAT)
    body = message.json(what=WHAT)
    return cluster_from_body(body, event_id=message.message_id, path=message.data_path)


class AzureQueueMessage(PayloadModel):
    """A Storage Queue message: its id and body, as the queue trigger binding exposes them."""

    id: str = Field(min_length=1)
    body: str
    dequeue_count: int = Field(default=1, alias="dequeueCount")


def parse_azure_queue(payload: object) -> ClusterTrigger:
    """An Azure Storage Queue message; the body may be base64 (the SDKs' default encoding)."""
    message = validate(AzureQueueMessage, payload, what=WHAT)
    text = message.body.strip()
    if not text.startswith("{"):
        text = decode_base64(text, path="body", what=WHAT).decode("utf-8", "replace")
    body = decode_json(text, path="body", what=WHAT)
    return cluster_from_body(body, event_id=message.id, path="body")
