"""Pub/Sub messages as functions receive them: a CloudEvent or a push subscription body."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from weavefn.triggers.detect import is_cloudevent
from weavefn.triggers.fields import decode_base64, decode_json
from weavefn.triggers.payload import PayloadModel, validate

MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


class _Message(PayloadModel):
    data: str = ""
    message_id: str = Field(alias="messageId", min_length=1)
    publish_time: datetime = Field(alias="publishTime")
    attributes: dict[str, str] = Field(default_factory=dict)


class _PushBody(PayloadModel):
    message: _Message
    subscription: str | None = None


class _CloudEvent(PayloadModel):
    specversion: str
    type: Literal["google.cloud.pubsub.topic.v1.messagePublished"]
    id: str
    data: _PushBody


@dataclass(frozen=True)
class PubSubMessage:
    message_id: str
    publish_time: datetime
    data: bytes
    data_path: str
    """Where ``data`` sat in the payload, for error messages."""
    attributes: dict[str, str] = field(default_factory=dict)

    def json(self, *, what: str) -> Any:
        return decode_json(self.data, path=self.data_path, what=what)


def read_pubsub(payload: object, *, what: str) -> PubSubMessage:
    """Unwrap the message from a messagePublished CloudEvent or a push body, data decoded."""
    if is_cloudevent(payload):
        message = validate(_CloudEvent, payload, what=what).data.message
        prefix = "data.message"
    else:
        message = validate(_PushBody, payload, what=what).message
        prefix = "message"
    path = f"{prefix}.data"
    return PubSubMessage(
        message_id=message.message_id,
        publish_time=message.publish_time,
        data=decode_base64(message.data, path=path, what=what),
        data_path=path,
        attributes=dict(message.attributes),
    )
