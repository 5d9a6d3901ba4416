"""Pick the ReconcileQueue the WEAVEFN_QUEUE setting names; no cloud SDK is imported here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from weavefn.errors import FieldError, InvalidInputError

if TYPE_CHECKING:
    from weavefn.queue.port import ReconcileQueue
    from weavefn.service import Service

QUEUE_ENV = "WEAVEFN_QUEUE"
FORMS = "inline, sqs:QUEUE_URL, pubsub:projects/P/topics/T, azure-queue:ACCOUNT_URL/NAME"


class QueueKind(StrEnum):
    INLINE = "inline"
    SQS = "sqs"
    PUBSUB = "pubsub"
    AZURE_QUEUE = "azure-queue"


def queue_kind(setting: str) -> tuple[QueueKind, str]:
    """Split a setting into its kind and value; a bare SQS URL (CloudFormation's Ref) is sqs."""
    text = setting.strip()
    if not text or text == QueueKind.INLINE:
        return QueueKind.INLINE, ""
    if text.startswith("https://sqs.") or ".queue.amazonaws.com/" in text:
        return QueueKind.SQS, text
    scheme, colon, rest = text.partition(":")
    try:
        kind = QueueKind(scheme)
    except ValueError:
        kind = None
    if kind is None or kind is QueueKind.INLINE or not colon or not rest:
        raise InvalidInputError(
            [FieldError(QUEUE_ENV, f"unknown queue setting: use one of {FORMS}")],
            what="queue setting",
        )
    return kind, rest


def queue_for(setting: str, *, service: Service | None = None) -> ReconcileQueue:
    """The queue a setting names; ``inline`` (the default) reconciles through ``service``."""
    kind, value = queue_kind(setting)
    if kind is QueueKind.SQS:
        from weavefn.queue.sqs import SqsQueue

        return SqsQueue(value)
    if kind is QueueKind.PUBSUB:
        from weavefn.queue.pubsub import PubSubQueue

        return PubSubQueue(value)
    if kind is QueueKind.AZURE_QUEUE:
        from weavefn.queue.storage_queue import CONNECTION_STRING_ENV, StorageQueue

        return StorageQueue(value, connection_string=os.environ.get(CONNECTION_STRING_ENV) or None)
    if service is None:
        raise InvalidInputError(
            [FieldError(QUEUE_ENV, "inline reconciles need the service; name a real queue")],
            what="queue setting",
        )
    from weavefn.queue.inline import InlineQueue

    return InlineQueue(service)


def queue_from_env(
    *, service: Service | None = None, environ: Mapping[str, str] | None = None
) -> ReconcileQueue:
    """The queue WEAVEFN_QUEUE names (see ``queue_for``)."""
    env = os.environ if environ is None else environ
    return queue_for(env.get(QUEUE_ENV, ""), service=service)
