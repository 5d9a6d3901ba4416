"""The queue ports: ask for one cluster to be reconciled later, now or at a given time.

Every implementation writes the same message body, ``{"cluster": "ns/name", "reason": "..."}``
plus, for a follow-up, ``"due": "<RFC 3339>"`` (the time it was scheduled for), which is what
weavefn.triggers.queue parses on every cloud.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from weavefn.triggers.fields import check_cluster


class ReconcileQueue(Protocol):
    """Somewhere a cluster name can be put so that a queue function reconciles it."""

    def enqueue(self, cluster: str, *, reason: str) -> None:
        """Queue one reconcile of ``cluster`` (``namespace/name``); raise a WeavefnError if not."""
        ...


class FollowUpQueue(Protocol):
    """Delayed delivery of one cluster's follow-up to the function that consumes its queue.

    ``due`` is when it is wanted, ``delay`` the seconds from now until then (the caller's
    clock: a queue counting delays needs no clock of its own). A delivery may come late or
    twice; one that comes early (a queue's longest delay is shorter) is delayed again.
    """

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None:
        """Queue the follow-up; raise a WeavefnError if it cannot be queued."""
        ...


def due_text(due: datetime) -> str:
    return due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def message_body(cluster: str, *, reason: str, due: datetime | None = None) -> str:
    """The one wire format of a reconcile message (validated: a bad name never leaves)."""
    check_cluster(cluster, path="cluster", what="reconcile message")
    body = {"cluster": cluster, "reason": reason}
    if due is not None:
        body["due"] = due_text(due)
    return json.dumps(body, separators=(",", ":"))


def enqueue_all(queue: ReconcileQueue, clusters: Iterable[str], *, reason: str) -> int:
    """Queue each cluster once, in order; returns how many were queued before any failure."""
    count = 0
    for cluster in dict.fromkeys(clusters):
        queue.enqueue(cluster, reason=reason)
        count += 1
    return count
