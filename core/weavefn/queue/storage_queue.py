"""ReconcileQueue and FollowUpQueue on an Azure Storage Queue; azure-storage-queue is imported
on the first send.

Messages go out as plain JSON text: the function host reads them with ``messageEncoding: none``
(functions/azure/host.json), so no base64 policy is set here. A follow-up is the same message
sent invisible for its delay (``visibility_timeout``, at most 7 days).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from weavefn.errors import FieldError, InvalidInputError, UnavailableError
from weavefn.queue.port import message_body

CONNECTION_STRING_ENV = "AZURE_STORAGE_QUEUE_CONNECTION_STRING"
MAX_VISIBILITY_SECONDS = 7 * 24 * 3600


def split_queue_url(url: str) -> tuple[str, str]:
    """``https://ACCOUNT.queue.core.windows.net/NAME`` -> (account URL, queue name)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme not in ("https", "http") or not parts.hostname or not segments:
        raise InvalidInputError(
            [
                FieldError(
                    "WEAVEFN_QUEUE",
                    "azure-queue: needs ACCOUNT_URL/NAME, e.g. https://acct.queue.core.windows.net/weavefn-reconcile",
                )
            ],
            what="queue setting",
        )
    # Azurite puts the account name in the path: keep every segment but the queue's own
    prefix = "/".join(segments[:-1])
    account = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
    return account, segments[-1]


class StorageQueue:
    """Sends reconcile messages to one Azure Storage Queue."""

    def __init__(
        self, url: str, *, client: Any = None, connection_string: str | None = None
    ) -> None:
        self.account_url, self.name = split_queue_url(url)
        self._client = client
        self._connection_string = connection_string

    def _queue(self) -> Any:
        if self._client is None:
            from azure.storage.queue import QueueClient

            if self._connection_string:
                self._client = QueueClient.from_connection_string(
                    self._connection_string, self.name
                )
            else:
                from azure.identity import DefaultAzureCredential

                self._client = QueueClient(
                    self.account_url, self.name, credential=DefaultAzureCredential()
                )
        return self._client

    def enqueue(self, cluster: str, *, reason: str) -> None:
        self._send(message_body(cluster, reason=reason))

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None:
        seconds = min(MAX_VISIBILITY_SECONDS, max(0, math.ceil(delay)))
        self._send(message_body(cluster, reason=reason, due=due), visibility=seconds)

    def _send(self, body: str, *, visibility: int = 0) -> None:
        from azure.core.exceptions import AzureError

        extra = {"visibility_timeout": visibility} if visibility else {}
        try:
            self._queue().send_message(body, **extra)
        except AzureError as exc:
            raise UnavailableError(
                f"sending to the Azure Storage Queue failed ({type(exc).__name__})"
            ) from None
