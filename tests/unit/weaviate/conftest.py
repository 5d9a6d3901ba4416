"""Fixtures: a manual clock, a seeded simulated cluster and its nodes served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import SimTiming
from weavefn.weaviate.http import WeaviateHttpApi

from tests.support.fake_weaviate import FakeWeaviate, fake_cluster

NODES = ["weaviate-0", "weaviate-1", "weaviate-2"]
TIMING = SimTiming(
    backup_started_s=2,
    backup_transferring_s=5,
    restore_started_s=1,
    restore_transferring_s=3,
    replication_registered_s=1,
    replication_hydrating_s=5,
    replication_finalizing_s=2,
    replication_dehydrating_s=1,
)


class ManualClock:
    """Simulated time that moves only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> EmbeddedWeaviate:
    return EmbeddedWeaviate.seeded(
        NODES,
        collections=2,
        shards_per_collection=3,
        replication_factor=2,
        seed=7,
        version="1.32.2",
        clock=clock,
        timing=TIMING,
    )


@pytest.fixture
def servers(sim: EmbeddedWeaviate) -> Iterator[dict[str, FakeWeaviate]]:
    with fake_cluster(sim) as fakes:
        yield fakes


@pytest.fixture
def api(servers: dict[str, FakeWeaviate]) -> WeaviateHttpApi:
    return WeaviateHttpApi(servers["weaviate-0"].url, timeout=2.0)
