"""One cluster's pass: validate, advance operations, apply drift, run steps, write status."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from weavefn.autoscale.spec_replicas import ReplicaSource, desired_replicas
from weavefn.conditions import ConditionReason, blocking, set_condition
from weavefn.errors import InvalidInputError, RetryableError, WeavefnError
from weavefn.events import ClusterEvent, EventReason, EventType, event_object
from weavefn.kube.port import KubeApi, Obj
from weavefn.model.keys import object_key
from weavefn.model.operations import OperationKind, kind_name
from weavefn.model.resource import WeaviateCluster, parse_cluster
from weavefn.model.status import ConditionType, Phase, WeaviateClusterStatus
from weavefn.observe.record import ClusterObservation, observe_context
from weavefn.reconcile.context import ClusterContext, log, status_dict
from weavefn.reconcile.desired import desired_objects, statefulset_ref
from weavefn.reconcile.live import LiveState
from weavefn.reconcile.objects import apply_objects, plan_objects
from weavefn.reconcile.storage import advance_expansion, check_storage
from weavefn.reconcile.summary import summarize
from weavefn.reconcile.template import Pin
from weavefn.render import (
    default_voters,
    selector_labels,
    selector_string,
)


class Step(Protocol):
    """A part of every pass that advances an operation or acts (upgrades, autoscaling)."""

    def __call__(self, ctx: ClusterContext) -> None: ...


RolloutPin = Callable[[ClusterContext], Pin | None]
"""What the operation in flight holds the StatefulSet to (its version, partition, template)."""
Planner = Callable[[ClusterContext], list[str]]
"""What a step would do in a pass, as lines for ``weavefn plan``; reads only."""


@dataclass(frozen=True)
class ClusterReport:
    """What one pass did to one cluster."""

    cluster: str
    ok: bool
    phase: str
    actions: tuple[str, ...] = ()
    error: str | None = None
    retryable: bool = False
    writes: int = 0
    observation: ClusterObservation | None = None
    """What the pass showed (replicas, readings, decision, operation), for metrics."""
    seconds: float = 0.0
    api_calls: int = 0
    api_errors: int = 0
    blocked: tuple[str, ...] = ()
    """Each condition holding the cluster back after the pass (``Type=Status Reason: ...``)."""
    follow_up_seconds: float | None = None
    """When this cluster asked to be looked at again ("check again in N s"). Nothing sets it
    yet; once passes schedule follow-ups, the followups_scheduled metric counts them."""

    def summary(self) -> str:
        """``Running: scaled 3 -> 5: ...``, or what changed nothing and why: the autoscaling
        decision (status.autoscaling.lastDecision) when this pass made one and did not scale."""
        if self.error:
            return f"{self.phase}: {self.error}"
        why = self.why_unscaled()
        if not self.actions:
            return f"{self.phase}: no change" + (f": {why}" if why else "")
        text = f"{self.phase}: " + "; ".join(self.actions)
        return f"{text}; autoscaling: {why}" if why else text

    def why_unscaled(self) -> str | None:
        """The autoscaling decision of a pass that made one and did not scale."""
        seen = self.observation
        if seen is None or not seen.decision or seen.scaled_up or seen.scaled_down:
            return None
        return seen.decision


def plan_replicas(ctx: ClusterContext) -> list[str]:
    """Where the replica count comes from, and the scale a pass would make for spec.replicas."""
    desired = desired_replicas(ctx.cluster.spec)
    live = ctx.live.get(statefulset_ref(ctx))
    current = None if live is None else int(live.get("spec", {}).get("replicas", 1))
    lines = [f"replicas: {desired.describe(current)}"]
    ref = statefulset_ref(ctx)
    if current is None or desired.source is not ReplicaSource.SPEC or current == desired.spec:
        return lines
    operation = ctx.status.operation
    if operation is not None and operation.kind is OperationKind.SCALE_IN_DRAIN:
        return lines  # the drain in flight is this scale-in, or must end before the next
    if operation is not None:
        lines.append(
            f"* scale {ref}: {current} -> {desired.spec} (spec.replicas) waits for the "
            f"{kind_name(operation)} in flight"
        )
    elif desired.spec > current:
        lines.append(f"~ scale {ref}: {current} -> {desired.spec} (spec.replicas)")
    else:
        departing = ", ".join(f"{ref.name}-{i}" for i in range(desired.spec, current))
        lines.append(
            f"+ drain {departing}: every shard replica moved off, then scale-in {ref}: "
            f"{current} -> {desired.spec} (spec.replicas)"
        )
    return lines


def refresh_workload(ctx: ClusterContext, *, since: int) -> None:
    """After writes, look at the StatefulSet and its pods again rather than guess."""
    if ctx.writes <= since:
        return
    ref = statefulset_ref(ctx)
    found = ctx.kube.get(ref)
    if found is not None:
        ctx.live.objects[ref] = found
    ctx.live.pods = ctx.kube.list_objects(
        "v1",
        "Pod",
        namespace=ctx.cluster.metadata.namespace,
        selector=selector_labels(ctx.cluster),
    )


class Reconciler:
    """Brings one WeaviateCluster to its spec; safe to run any number of times."""

    def __init__(
        self,
        kube: KubeApi,
        *,
        clock: Callable[[], datetime],
        before: Sequence[Step] = (),
        after: Sequence[Step] = (),
        pin: RolloutPin | None = None,
        planners: Sequence[Planner] = (),
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.kube = kube
        self.clock = clock
        self.pause = pause
        self.before = tuple(before)
        self.after = tuple(after)
        self.pin = pin or (lambda ctx: None)
        self.planners = tuple(planners)

    def context(self, raw: Obj, live: LiveState) -> ClusterContext | ClusterReport:
        """A context for a valid cluster, or the report of marking an invalid one."""
        try:
            cluster = parse_cluster(raw)
        except InvalidInputError as exc:
            return self._mark_invalid(raw, exc)
        status = cluster.status.model_copy(deep=True)
        ctx = ClusterContext(self.kube, raw, cluster, live, self.clock(), status, pause=self.pause)
        # The scale subresource's labelSelectorPath: HPA, KEDA and VPA find the pods by it.
        status.selector = selector_string(cluster)
        if not status.voters:  # fixed at creation, never re-derived from the replica count
            status.voters = default_voters(
                cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters
            )
        if status.condition(ConditionType.INVALID_SPEC) is not None:
            ctx.status.conditions = [
                c for c in status.conditions if c.type != ConditionType.INVALID_SPEC
            ]
        return ctx

    def reconcile(self, raw: Obj, live: LiveState) -> ClusterReport:
        ctx = self.context(raw, live)
        if isinstance(ctx, ClusterReport):
            return ctx
        failure: str | None = None
        writes_before_steps = 0
        try:
            for step in self.before:
                step(ctx)
            desired = desired_objects(ctx, self.pin(ctx))
            statefulset = next(o for o in desired if o["kind"] == "StatefulSet")
            check_storage(ctx, statefulset)
            if advance_expansion(ctx, statefulset, selector_labels(ctx.cluster)):
                # The old StatefulSet is still being deleted: applying to it is a 422.
                desired = [o for o in desired if o is not statefulset]
            apply_objects(ctx, desired, replicas=ctx.cluster.spec.replicas)
            refresh_workload(ctx, since=0)
            writes_before_steps = ctx.writes
            for step in self.after:
                step(ctx)
        except RetryableError:
            raise
        except WeavefnError as exc:
            failure = str(exc)
            ctx.note(ClusterEvent(EventReason.APPLY_FAILED, failure, EventType.WARNING))
        refresh_workload(ctx, since=writes_before_steps)
        summarize(ctx, statefulset=ctx.live.get(statefulset_ref(ctx)), failure=failure)
        ctx.save_status()
        observation = observe_context(ctx)
        ctx.emit_events()
        return ClusterReport(
            cluster=ctx.key,
            ok=failure is None,
            phase=str(ctx.status.phase),
            actions=tuple(ctx.actions),
            error=failure,
            writes=ctx.writes,
            observation=observation,
            blocked=tuple(
                f"{c.type}={c.status} {c.reason}" + (f": {c.message}" if c.message else "")
                for c in blocking(ctx.status.conditions)
            ),
        )

    def plan(self, raw: Obj, live: LiveState) -> list[str]:
        """The changes a pass would make to objects and the operations it would advance or
        start, without writing anything."""
        try:
            cluster: WeaviateCluster = parse_cluster(raw)
        except InvalidInputError as exc:
            return [f"! invalid spec: {e}" for e in exc.errors]
        status = cluster.status.model_copy(deep=True)
        if not status.voters:
            status.voters = default_voters(
                cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters
            )
        ctx = ClusterContext(self.kube, raw, cluster, live, self.clock(), status)
        lines = plan_replicas(ctx) + plan_objects(ctx, desired_objects(ctx, self.pin(ctx)))
        return lines + [line for planner in self.planners for line in planner(ctx)]

    def record_failure(self, raw: Obj, message: str) -> None:
        """Best effort, after retries ran out: say in status that the cluster is not converging."""
        status = WeaviateClusterStatus.model_validate(raw.get("status") or {})
        now = self.clock()
        for kind, value in ((ConditionType.DEGRADED, True), (ConditionType.READY, False)):
            status.conditions = set_condition(
                status.conditions,
                kind=kind,
                status=value,
                reason=ConditionReason.API_UNAVAILABLE,
                message=message,
                now=now,
                generation=raw.get("metadata", {}).get("generation"),
            )
        status.phase = Phase.DEGRADED
        try:
            self.kube.replace_cluster_status({**raw, "status": status_dict(status)})
        except WeavefnError:
            log.warning("could not record the failure", extra={"cluster": object_key(raw)})

    def _mark_invalid(self, raw: Obj, error: InvalidInputError) -> ClusterReport:
        meta = raw.get("metadata", {})
        key = object_key(raw)
        status = WeaviateClusterStatus.model_validate(raw.get("status") or {})
        message = "; ".join(str(e) for e in error.errors)
        now = self.clock()
        status.conditions = set_condition(
            status.conditions,
            kind=ConditionType.INVALID_SPEC,
            status=True,
            reason=ConditionReason.INVALID_SPEC,
            message=message,
            now=now,
            generation=meta.get("generation"),
        )
        status.phase = Phase.INVALID
        writes = 0
        if status_dict(status) != (raw.get("status") or {}):
            self.kube.replace_cluster_status({**raw, "status": status_dict(status)})
            event = ClusterEvent(EventReason.INVALID_SPEC, message, EventType.WARNING)
            self.kube.create_event(event_object(event, cluster=raw, now=now))
            writes = 2
        return ClusterReport(key, ok=False, phase=str(Phase.INVALID), error=message, writes=writes)
