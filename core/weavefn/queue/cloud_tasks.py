"""FollowUpQueue on Google Cloud Tasks: an HTTP task to the function's /followup route, due at
the follow-up's time, carrying an OIDC token the function checks (as for Cloud Scheduler).

Pub/Sub, the fan-out queue on GCP, has no delayed delivery; Cloud Tasks' ``schedule_time``
reaches 30 days ahead. google-cloud-tasks is imported on the first task.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weavefn.errors import UnavailableError
from weavefn.queue.port import message_body

CREATE_TIMEOUT_SECONDS = 10.0


class CloudTasksQueue:
    """Creates one task per follow-up in ``queue`` (``projects/P/locations/L/queues/Q``)."""

    def __init__(
        self, queue: str, *, url: str, service_account: str, audience: str, client: Any = None
    ) -> None:
        self.queue = queue
        self.url = url
        self.service_account = service_account
        self.audience = audience
        self._client = client

    def _tasks(self) -> Any:
        if self._client is None:
            from google.cloud import tasks_v2

            self._client = tasks_v2.CloudTasksClient()
        return self._client

    def request(self, cluster: str, *, due: datetime, reason: str) -> Any:
        """The CreateTaskRequest for one follow-up (the real google-cloud-tasks types)."""
        from google.cloud import tasks_v2
        from google.protobuf import timestamp_pb2

        when = timestamp_pb2.Timestamp()
        when.FromDatetime(due)
        task = tasks_v2.Task(
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.POST,
                url=self.url,
                headers={"Content-Type": "application/json"},
                body=message_body(cluster, reason=reason, due=due).encode(),
                oidc_token=tasks_v2.OidcToken(
                    service_account_email=self.service_account, audience=self.audience
                ),
            ),
            schedule_time=when,
        )
        return tasks_v2.CreateTaskRequest(parent=self.queue, task=task)

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None:
        request = self.request(cluster, due=due, reason=reason)
        from google.api_core import exceptions as google_errors

        try:
            self._tasks().create_task(request=request, timeout=CREATE_TIMEOUT_SECONDS)
        except (google_errors.GoogleAPIError, TimeoutError) as exc:
            raise UnavailableError(
                f"creating the Cloud Tasks follow-up failed ({type(exc).__name__})"
            ) from None
