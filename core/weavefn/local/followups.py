"""The local cluster's delayed queue: follow-ups kept beside it, in its state file.

It behaves as the cloud queues do: every scheduled follow-up is a message that stays until
it is delivered, including those a sooner one superseded (the service drops those on
arrival). ``weavefn run`` delivers the due ones; nothing else reads them.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

from weavefn.queue.port import due_text, message_body
from weavefn.reconcile.followup import parse_stamp
from weavefn.triggers.model import ClusterTrigger

FOLLOW_UPS_KEY = "followUps"
_LOCK = threading.Lock()  # passes of one process queue from several threads


class LocalFollowUps:
    """A FollowUpQueue over ``extras[FOLLOW_UPS_KEY]``: ``{id, cluster, due, reason}`` each."""

    def __init__(self, extras: dict[str, Any]) -> None:
        self._messages: list[dict[str, str]] = extras.setdefault(FOLLOW_UPS_KEY, [])

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None:
        message_body(cluster, reason=reason, due=due)  # the same checks a real queue's body gets
        with _LOCK:
            self._messages.append(
                {
                    "id": str(uuid.uuid4()),
                    "cluster": cluster,
                    "due": due_text(due),
                    "reason": reason,
                }
            )

    def next_due(self) -> datetime | None:
        with _LOCK:
            times = [parse_stamp(m.get("due")) for m in self._messages]
        return min((t for t in times if t is not None), default=None)

    def take_due(self, now: datetime) -> list[ClusterTrigger]:
        """Remove and return the messages due by ``now``, oldest due first."""
        with _LOCK:
            due: list[tuple[datetime | None, dict[str, str]]] = []
            kept: list[tuple[datetime | None, dict[str, str]]] = []
            for message in self._messages:
                at = parse_stamp(message.get("due"))
                (due if at is None or at <= now else kept).append((at, message))
            self._messages[:] = [m for _, m in kept]
        due.sort(key=lambda pair: (pair[0] or now, pair[1].get("cluster", "")))
        return [
            ClusterTrigger(
                cluster=m["cluster"], event_id=f"follow-up-{m['id']}", reason=m["reason"], due=at
            )
            for at, m in due
        ]

    def __len__(self) -> int:
        with _LOCK:
            return len(self._messages)
