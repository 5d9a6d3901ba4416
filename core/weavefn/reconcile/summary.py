"""Derive phase, replica counts, version and the Ready/Progressing/Degraded conditions (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from weavefn.conditions import ConditionReason
from weavefn.kube.port import Obj
from weavefn.lifecycle.upgrade.unhealable import Unhealable, pod_unhealable
from weavefn.model.operations import Operation, OperationKind
from weavefn.model.status import ConditionType, Phase
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.followup import Wait, poll
from weavefn.reconcile.pods import pod_ready, pod_version, pod_views

__all__ = ["Observed", "pod_ready", "pod_version", "summarize"]

STARTING_WINDOW = timedelta(minutes=10)
"""How long a pod that is not Ready yet is looked at every few seconds; after that the
schedule's passes alone look (the same bound as an upgrade's step)."""

_OPERATION_PHASES = {
    OperationKind.UPGRADE: Phase.UPGRADING,
    OperationKind.SCALE_IN_DRAIN: Phase.SCALING,
    OperationKind.VOLUME_EXPANSION: Phase.RUNNING,
    OperationKind.REBALANCE: Phase.RUNNING,
    OperationKind.RESTORE: Phase.RESTORING,
    OperationKind.POD_TEMPLATE_ROLLOUT: Phase.RESTARTING,
}


def _operation_phase(operation: Operation) -> Phase:
    # an operation of a kind this version does not know still holds the cluster as it is
    return _OPERATION_PHASES.get(operation.kind, Phase.RUNNING) if operation.kind else Phase.RUNNING


@dataclass(frozen=True)
class Observed:
    """The facts the summary rests on, read from the StatefulSet and its pods."""

    desired: int
    ready: int
    versions: frozenset[str]

    @classmethod
    def of(cls, statefulset: Obj | None, pods: list[Obj]) -> Observed:
        desired = int((statefulset or {}).get("spec", {}).get("replicas", 0))
        ready = sum(1 for p in pods if pod_ready(p))
        versions = frozenset(v for p in pods if (v := pod_version(p)))
        return cls(desired, ready, versions)

    @property
    def all_ready(self) -> bool:
        return self.desired > 0 and self.ready == self.desired


def watch_starting(ctx: ClusterContext) -> Unhealable | None:
    """Pods that are not Ready: the first that cannot start (the condition says it), while
    each one that may still come up asks for a look on its readiness probe's grid."""
    stuck: Unhealable | None = None
    for view in pod_views(ctx.live.pods, ctx.cluster.metadata.name):
        if view.ready:
            continue
        found = pod_unhealable(view)
        if found is not None:
            stuck = stuck or found  # waiting cannot help it: no follow-up for it
        elif view.started is None or ctx.now - view.started < STARTING_WINDOW:
            text = f"{view.name} starting" + (f" ({view.waiting})" if view.waiting else "")
            ctx.check_again(poll(Wait.NEW_PODS, text, now=ctx.now, since=view.started))
    return stuck


def _phase(
    ctx: ClusterContext,
    seen: Observed,
    *,
    previous_replicas: int,
    failure: bool,
    stuck: Unhealable | None,
) -> Phase:
    operation = ctx.status.operation
    if failure:
        return Phase.DEGRADED
    if operation is not None:
        return _operation_phase(operation)
    if seen.all_ready:
        return Phase.RUNNING
    if stuck is not None:
        return Phase.DEGRADED
    if ctx.status.current_version is None:
        return Phase.CREATING
    # Pods added by a scale-out are expected to be unready for a while; others are not.
    return Phase.SCALING if seen.desired > previous_replicas else Phase.DEGRADED


def summarize(ctx: ClusterContext, *, statefulset: Obj | None, failure: str | None) -> None:
    """Set status fields and conditions from what was observed in this pass."""
    seen = Observed.of(statefulset, ctx.live.pods)
    status = ctx.status
    previous_replicas = status.replicas
    status.observed_generation = ctx.generation
    status.replicas = seen.desired
    status.ready_replicas = seen.ready
    if len(seen.versions) == 1 and seen.all_ready:
        status.current_version = next(iter(seen.versions))
    stuck = None if seen.all_ready else watch_starting(ctx)
    status.phase = _phase(
        ctx, seen, previous_replicas=previous_replicas, failure=bool(failure), stuck=stuck
    )
    counts = f"{seen.ready}/{seen.desired} pods ready"
    not_ready = ConditionReason.PODS_NOT_READY
    if stuck is not None:
        counts, not_ready = f"{counts}; {stuck.message}", ConditionReason.POD_CANNOT_START

    ctx.condition(
        ConditionType.READY,
        status=seen.all_ready and not failure,
        reason=ConditionReason.ALL_READY if seen.all_ready else not_ready,
        message=counts,
    )
    degraded = status.phase is Phase.DEGRADED
    ctx.condition(
        ConditionType.DEGRADED,
        status=degraded,
        reason=ConditionReason.APPLY_FAILED
        if failure
        else (not_ready if degraded else ConditionReason.RECONCILED),
        message=failure or counts,
    )
    operation = status.operation
    if operation is not None:
        message = f"{operation.kind} {operation.phase}: {operation.message}"
        ctx.condition(
            ConditionType.PROGRESSING,
            status=True,
            reason=ConditionReason.OPERATION,
            message=message,
        )
    else:
        ctx.condition(
            ConditionType.PROGRESSING,
            status=not seen.all_ready,
            reason=ConditionReason.CREATING if not seen.all_ready else ConditionReason.RECONCILED,
            message="waiting for pods to become ready" if not seen.all_ready else "up to date",
        )
