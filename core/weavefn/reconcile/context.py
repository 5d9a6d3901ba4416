"""The working set of one cluster's pass: what was read, the status being built, what to report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from weavefn.conditions import set_condition
from weavefn.errors import ConflictError
from weavefn.events import ClusterEvent, EventType, event_object
from weavefn.kube.port import KubeApi, Obj
from weavefn.model.resource import WeaviateCluster
from weavefn.model.status import ConditionType, WeaviateClusterStatus
from weavefn.reconcile.live import LiveState

if TYPE_CHECKING:
    from weavefn.autoscale.decision import ScaleDecision
    from weavefn.autoscale.metrics.port import MetricSnapshot

log = logging.getLogger("weavefn")


def status_dict(status: WeaviateClusterStatus) -> dict[str, Any]:
    return status.model_dump(by_alias=True, exclude_none=True, mode="json")


@dataclass
class ClusterContext:
    """One cluster during one pass. Steps read ``cluster``/``live`` and edit ``status``."""

    kube: KubeApi
    raw: Obj
    cluster: WeaviateCluster
    live: LiveState
    now: datetime
    status: WeaviateClusterStatus
    events: list[ClusterEvent] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    writes: int = 0
    pause: Callable[[float], None] = field(default=time.sleep, repr=False)
    """Waits within the pass (bounded by the caller): real time, or a test's clock."""
    rendered: dict[tuple[str, int, str | None], Obj] = field(default_factory=dict, repr=False)
    """StatefulSets rendered this pass, by (version, partition, internal-auth Secret): the
    steps and the apply share one rendering."""
    decision: ScaleDecision | None = field(default=None, repr=False)
    snapshot: MetricSnapshot | None = field(default=None, repr=False)
    """The autoscaling decision of this pass and the readings it rests on (for metrics)."""

    @property
    def key(self) -> str:
        return self.cluster.key

    @property
    def generation(self) -> int | None:
        return self.cluster.metadata.generation

    def note(self, event: ClusterEvent) -> None:
        """Remember an Event to emit and a line for the pass report."""
        self.events.append(event)
        self.actions.append(f"{event.reason}: {event.note}")

    def condition(self, kind: ConditionType, *, status: bool, reason: Any, message: str) -> None:
        self.status.conditions = set_condition(
            self.status.conditions,
            kind=kind,
            status=status,
            reason=reason,
            message=message,
            now=self.now,
            generation=self.generation,
        )

    def save_status(self) -> bool:
        """Write status if it changed, with the observed resourceVersion as precondition.

        Raises ConflictError when someone else wrote first: the caller re-reads and decides
        again, which is what makes two concurrent invocations act once.
        """
        if status_dict(self.status) == self.raw.get("status", {}):
            return False
        body = dict(self.raw)
        body["status"] = status_dict(self.status)
        try:
            written = self.kube.replace_cluster_status(body)
        except ConflictError:
            log.info("status conflict", extra={"cluster": self.key})
            raise
        self.writes += 1
        self.raw = written
        self.cluster = self.cluster.model_copy(
            update={
                "metadata": self.cluster.metadata.model_copy(
                    update={"resource_version": written["metadata"].get("resourceVersion")}
                )
            }
        )
        return True

    def emit_events(self) -> None:
        for event in self.events:
            try:
                self.kube.create_event(event_object(event, cluster=self.raw, now=self.now))
                self.writes += 1
            except Exception:  # an Event is best effort: never fail a pass over one
                log.warning("event not recorded", extra={"cluster": self.key})
            level = logging.WARNING if event.type is EventType.WARNING else logging.INFO
            log.log(level, event.note, extra={"cluster": self.key, "reason": str(event.reason)})
        self.events.clear()
