"""An in-memory ReconcileQueue: records messages, for tests and for dry runs of a fan-out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from weavefn.errors import UnavailableError
from weavefn.queue.port import message_body


@dataclass
class MemoryQueue:
    """Keeps every message body sent; ``failing`` makes each enqueue raise, like an outage."""

    bodies: list[str] = field(default_factory=list)
    failing: bool = False

    def enqueue(self, cluster: str, *, reason: str) -> None:
        body = message_body(cluster, reason=reason)
        if self.failing:
            raise UnavailableError("the reconcile queue is unavailable")
        self.bodies.append(body)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies]

    @property
    def clusters(self) -> list[str]:
        return [str(m["cluster"]) for m in self.messages]
