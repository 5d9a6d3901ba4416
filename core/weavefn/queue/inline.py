"""The local default ReconcileQueue: no queue at all, the reconcile runs at once in-process.

Used by the CLI and whenever WEAVEFN_QUEUE is unset or ``inline``; a deployed function should
name a real queue so a slow reconcile never holds up the answer that queued it.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from weavefn.errors import UnavailableError
from weavefn.queue.port import message_body
from weavefn.triggers.model import ClusterTrigger

if TYPE_CHECKING:
    from weavefn.service import Service

DEFAULT_BUDGET = 30.0


class InlineQueue:
    """Reconciles the named cluster through the service before ``enqueue`` returns."""

    def __init__(self, service: Service, *, budget: float = DEFAULT_BUDGET) -> None:
        self.service = service
        self.budget = budget

    def enqueue(self, cluster: str, *, reason: str) -> None:
        message_body(cluster, reason=reason)  # the same validation a real queue applies
        trigger = ClusterTrigger(cluster=cluster, event_id=f"inline-{uuid.uuid4()}", reason=reason)
        outcome = self.service.handle(trigger, deadline=time.monotonic() + self.budget)
        if outcome.retry:
            raise UnavailableError(f"inline reconcile of {cluster} did not finish: retry later")
