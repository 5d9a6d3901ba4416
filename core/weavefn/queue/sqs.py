"""ReconcileQueue and FollowUpQueue on Amazon SQS; boto3 is imported with the first message.

A follow-up is the same message with ``DelaySeconds`` (at most 900, SQS's limit): a longer
wait arrives early, carrying its due time, and is delayed again on arrival.

The endpoint follows boto3's own configuration (``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_SQS``),
which is how tests point it at a local moto server.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from weavefn.errors import FieldError, InvalidInputError, UnavailableError
from weavefn.queue.port import message_body

_REGION_HOST = re.compile(r"^sqs[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$")
_OLD_REGION_HOST = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com$")
MAX_DELAY_SECONDS = 900


def region_of(url: str) -> str | None:
    """The region an SQS queue URL's host names; None for a local or custom endpoint."""
    host = urlsplit(url).hostname or ""
    match = _REGION_HOST.match(host) or _OLD_REGION_HOST.match(host)
    return match[1] if match else None


def check_queue_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path.count("/") < 2:
        raise InvalidInputError(
            [
                FieldError(
                    "WEAVEFN_QUEUE",
                    "sqs: needs a queue URL like https://sqs.REGION.amazonaws.com/ACCOUNT/NAME",
                )
            ],
            what="queue setting",
        )
    return url


class SqsQueue:
    """Sends reconcile messages to one SQS queue, by URL."""

    def __init__(self, url: str, *, client: Any = None) -> None:
        self.url = check_queue_url(url)
        self._client = client

    def _sqs(self) -> Any:
        if self._client is None:
            import boto3  # type: ignore[import-untyped]

            self._client = boto3.client("sqs", region_name=region_of(self.url))
        return self._client

    def enqueue(self, cluster: str, *, reason: str) -> None:
        self._send(message_body(cluster, reason=reason))

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None:
        seconds = min(MAX_DELAY_SECONDS, max(0, math.ceil(delay)))
        self._send(message_body(cluster, reason=reason, due=due), delay=seconds)

    def _send(self, body: str, *, delay: int = 0) -> None:
        from botocore.exceptions import (  # type: ignore[import-untyped]
            BotoCoreError,
            ClientError,
        )

        extra = {"DelaySeconds": delay} if delay else {}
        try:
            self._sqs().send_message(QueueUrl=self.url, MessageBody=body, **extra)
        except (BotoCoreError, ClientError) as exc:
            # the error text may quote the request; its class and code are enough to act on
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            raise UnavailableError(
                f"sending to SQS failed ({type(exc).__name__} {code})".rstrip()
            ) from None
