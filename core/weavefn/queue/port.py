"""The ReconcileQueue port: ask for one cluster to be reconciled later, by whoever consumes it.

Every implementation writes the same message body, ``{"cluster": "ns/name", "reason": "..."}``,
which is what weavefn.triggers.queue parses on every cloud.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol

from weavefn.triggers.fields import check_cluster


class ReconcileQueue(Protocol):
    """Somewhere a cluster name can be put so that a queue function reconciles it."""

    def enqueue(self, cluster: str, *, reason: str) -> None:
        """Queue one reconcile of ``cluster`` (``namespace/name``); raise a WeavefnError if not."""
        ...


def message_body(cluster: str, *, reason: str) -> str:
    """The one wire format of a reconcile message (validated: a bad name never leaves)."""
    check_cluster(cluster, path="cluster", what="reconcile message")
    return json.dumps({"cluster": cluster, "reason": reason}, separators=(",", ":"))


def enqueue_all(queue: ReconcileQueue, clusters: Iterable[str], *, reason: str) -> int:
    """Queue each cluster once, in order; returns how many were queued before any failure."""
    count = 0
    for cluster in dict.fromkeys(clusters):
        queue.enqueue(cluster, reason=reason)
        count += 1
    return count
