"""What a runtime runs on: one Kubernetes API, the way to each cluster's Weaviate, metric sources.

Two kinds exist: the real one (``weavefn.runtime.open_real_backend``: an API server, the HTTP
Weaviate client, cloud and cluster monitoring) and the local one (``weavefn.local.backend``:
every part simulated, with its own clock and a queue for follow-ups kept beside it). The
service sees only these ports, never which kind it runs on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from weavefn.autoscale.metrics.port import Registry
    from weavefn.kube.port import KubeApi
    from weavefn.queue.port import FollowUpQueue
    from weavefn.triggers.model import ClusterTrigger
    from weavefn.weaviate.connect import WeaviateConnector


class HeldFollowUps(Protocol):
    """Follow-ups no platform delivers: a command (``weavefn run``) delivers the due ones."""

    def schedule(self, cluster: str, *, due: datetime, delay: float, reason: str) -> None: ...

    def next_due(self) -> datetime | None: ...

    def take_due(self, now: datetime) -> list[ClusterTrigger]: ...


class Timekeeper(Protocol):
    """A backend whose time is simulated: a command may move it on instead of waiting."""

    def advance(self, seconds: float) -> object: ...


class Access(StrEnum):
    """What a command may do to where the clusters live."""

    READ = "read"
    """Look only (status, plan, top). The local cluster's file must exist and is neither
    created, locked nor saved; a real API server is only read by the commands that ask this."""
    WRITE = "write"
    """Change things (apply, reconcile, upgrade, ...): the local cluster's file is created
    when missing and saved after a command that succeeds."""


@dataclass(frozen=True)
class Backend:
    kube: KubeApi
    weaviate: WeaviateConnector
    metrics: Registry
    warnings: int = 0
    clock: Callable[[], datetime] | None = None
    """The backend's own time (the local cluster's); None: the wall clock."""
    follow_ups: HeldFollowUps | None = None
    timekeeper: Timekeeper | None = None


def _queue(held: HeldFollowUps) -> FollowUpQueue:
    """mypy proves here that held follow-ups are a FollowUpQueue."""
    return held
