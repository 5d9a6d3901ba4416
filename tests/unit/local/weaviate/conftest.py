"""The embedded cluster's fixtures are the ones the HTTP client's tests serve over HTTP."""

from tests.unit.weaviate.conftest import NODES, TIMING, ManualClock, clock, servers, sim

__all__ = ["NODES", "TIMING", "ManualClock", "clock", "servers", "sim"]
