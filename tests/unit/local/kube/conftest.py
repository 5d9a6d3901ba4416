"""Fixtures for the local cluster tests: a manual clock and a server driven by it."""

from __future__ import annotations

import pytest
from weavefn.local.kube import LocalKube, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kube(clock: ManualClock) -> LocalKube:
    return LocalKube(clock=clock)
