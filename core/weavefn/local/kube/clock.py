"""Time for the local cluster: an injectable clock, a manual one for tests, RFC 3339 stamps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""Seconds since the epoch, like ``time.time``."""

wall_clock: Clock = time.time


class ManualClock:
    """A clock that only moves when told to, so tests decide when pods become Ready."""

    # A plausible present, so timestamps written into objects look like real ones.
    DEFAULT_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backwards) and return the new time."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        return self._now


class OffsetClock:
    """Wall-clock time (``base``) plus an offset that only grows: the saved local cluster's time.

    ``weavefn run`` moves it forward to the next due follow-up instead of sleeping, so
    simulated minutes pass in a moment; the offset is kept in the state file.
    """

    def __init__(self, offset: float = 0.0, *, base: Clock = wall_clock) -> None:
        self.offset = max(0.0, offset)
        self.base = base

    def __call__(self) -> float:
        return self.base() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self.offset += seconds


def rfc3339(seconds: float) -> str:
    """Format like the API server does: UTC, second precision, ``Z`` suffix."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(seconds: float) -> str:
    """``eventTime`` of events.k8s.io/v1 carries microseconds."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
