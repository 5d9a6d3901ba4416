"""The ReplayGuard port (has this signed request been seen?) and its in-memory implementation.

The in-memory guard only protects one function instance: a deployment that runs several
instances behind one endpoint needs a shared guard (e.g. a conditional write to a key-value
store) to refuse a replay that lands on another instance. That is a first line only: the
durable de-duplication of upgrade requests happens in the cluster's status, where the
request's event id is recorded with the operation it started.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Protocol

DEFAULT_CAPACITY = 100_000


class ReplayGuard(Protocol):
    """Remembers request keys until they expire."""

    def seen(self, key: str, expires_at: float) -> bool:
        """True if ``key`` was recorded and has not expired; otherwise record it and return False."""
        ...


class InMemoryReplayGuard:
    """A process-local ReplayGuard; expired keys are pruned, and memory is bounded."""

    def __init__(
        self, *, clock: Callable[[], float] = time.time, capacity: int = DEFAULT_CAPACITY
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._clock = clock
        self._capacity = capacity
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, key: str, expires_at: float) -> bool:
        now = self._clock()
        self._prune(now)
        known = self._expiry.get(key)
        if known is not None and known > now:
            return True
        if expires_at <= now:
            # Already expired: whoever checks the expiry (the timestamp window) refuses it.
            return False
        while len(self._expiry) >= self._capacity:
            self._evict_soonest()
        self._expiry[key] = expires_at
        heapq.heappush(self._heap, (expires_at, key))
        return False

    def _prune(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            self._evict_soonest()

    def _evict_soonest(self) -> None:
        expires_at, key = heapq.heappop(self._heap)
        # A key re-recorded later has a newer heap entry; only the matching one removes it.
        if self._expiry.get(key) == expires_at:
            del self._expiry[key]
