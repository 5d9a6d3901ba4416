"""The in-memory replay guard: remembers keys until they expire, within bounded memory."""

from __future__ import annotations

import pytest
from weavefn.triggers.replay import InMemoryReplayGuard


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_key_is_seen_until_it_expires_then_pruned() -> None:
    clock = Clock(1000.0)
    guard = InMemoryReplayGuard(clock=clock)
    assert guard.seen("sig-a", 1300.0) is False
    assert guard.seen("sig-a", 1300.0) is True
    clock.now = 1299.0
    assert guard.seen("sig-a", 1300.0) is True
    clock.now = 1300.0
    assert guard.seen("sig-b", 1600.0) is False
    assert len(guard) == 1  # sig-a expired and was pruned
    assert guard.seen("sig-a", 1600.0) is False


def test_an_already_expired_key_is_not_recorded() -> None:
    guard = InMemoryReplayGuard(clock=Clock(1000.0))
    assert guard.seen("old", 999.0) is False
    assert len(guard) == 0


def test_memory_is_bounded_by_dropping_the_soonest_to_expire() -> None:
    guard = InMemoryReplayGuard(clock=Clock(0.0), capacity=2)
    guard.seen("late", 300.0)
    guard.seen("soon", 100.0)
    guard.seen("new", 200.0)
    assert len(guard) == 2
    assert guard.seen("late", 300.0) is True
    assert guard.seen("new", 200.0) is True


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        InMemoryReplayGuard(capacity=0)
