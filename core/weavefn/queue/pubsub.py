"""ReconcileQueue on Google Pub/Sub; google-cloud-pubsub is imported on the first publish.

The client honours ``PUBSUB_EMULATOR_HOST``, which is how tests reach a local emulator.
"""

from __future__ import annotations

import re
from typing import Any

from weavefn.errors import FieldError, InvalidInputError, UnavailableError
from weavefn.queue.port import message_body

_TOPIC = re.compile(r"^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/topics/[A-Za-z][-\w.~+%]{2,254}$")
PUBLISH_TIMEOUT_SECONDS = 10.0


def check_topic(topic: str) -> str:
    if not _TOPIC.match(topic):
        raise InvalidInputError(
            [
                FieldError(
                    "WEAVEFN_QUEUE", "pubsub: needs a topic like projects/PROJECT/topics/TOPIC"
                )
            ],
            what="queue setting",
        )
    return topic


class PubSubQueue:
    """Publishes reconcile messages to one Pub/Sub topic."""

    def __init__(self, topic: str, *, publisher: Any = None) -> None:
        self.topic = check_topic(topic)
        self._publisher = publisher

    def _client(self) -> Any:
        if self._publisher is None:
            from google.cloud.pubsub_v1 import PublisherClient

            self._publisher = PublisherClient()
        return self._publisher

    def enqueue(self, cluster: str, *, reason: str) -> None:
        data = message_body(cluster, reason=reason).encode()
        from google.api_core import exceptions as google_errors

        try:
            future = self._client().publish(self.topic, data, cluster=cluster)
            future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        except (google_errors.GoogleAPIError, TimeoutError) as exc:
            raise UnavailableError(f"publishing to Pub/Sub failed ({type(exc).__name__})") from None
