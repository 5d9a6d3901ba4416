"""An in-memory queue: records messages (and follow-ups' delays), for tests and dry runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from weavefn.errors import UnavailableError
from weavefn.queue.port import message_body


@dataclass
class MemoryQueue:
    """Keeps every message body sent; ``failing`` makes each send raise, like an outage.

    A ReconcileQueue (``enqueue``) and a FollowUpQueue (``schedule``, whose delays are kept
    in ``delays``)."""

    bodies: list[str] = field(default_factory=list)
    failing: bool = False
    delays: list[float] = field(default_factory=list)

    def enqueue(self, cluster: str, *, reason: str) -> None:
        body = message_body(cluster, reason=reason)
        if self.failing:
            raise UnavailableError("the reconcile queue is unavailable")
        self.bodies.append(body)

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None:
        body = message_body(cluster, reason=reason, due=due)
        if self.failing:
            raise UnavailableError("the follow-up queue is unavailable")
        self.bodies.append(body)
        self.delays.append(delay)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies]

    @property
    def clusters(self) -> list[str]:
        return [str(m["cluster"]) for m in self.messages]
