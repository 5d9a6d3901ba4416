"""The pod-template rollout Step: notice a changed template, decide whether it may restart pods,
then step the partition as lifecycle/template/decide.py says, state saved before each act.

Like the upgrade, its only actions are status writes: the StatefulSet follows the saved state
through ``template_pin`` when the reconciler applies it after this step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import Obj
from weavefn.lifecycle.auth_status import auth_current
from weavefn.lifecycle.template.decide import (
    Observed,
    Proposal,
    StartDecision,
    StartVerdict,
    StepDecision,
    StepVerdict,
    decide_start,
    decide_step,
    starting_state,
)
from weavefn.lifecycle.template.state import TemplateState, template_state
from weavefn.lifecycle.upgrade.observe import pod_views, read_health
from weavefn.lifecycle.upgrade.state import stamp
from weavefn.model.operations import (
    AuthSwitch,
    OperationKind,
    TemplateRolloutOperation,
    TemplateRolloutPhase,
    UnreadableOperation,
)
from weavefn.model.status import ClusterAuthStatus, ConditionType, PodTemplateRecord
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.desired import (
    rendered_statefulset,
    running_version,
    statefulset_ref,
)
from weavefn.reconcile.template import (
    Pin,
    describe_changes,
    live_partition,
    same_template,
    template_hash,
)
from weavefn.render import Rollout
from weavefn.weaviate.port import WeaviateHealth

log = logging.getLogger("weavefn")


class TemplateReason(StrEnum):
    """PodTemplateCurrent reasons beside the start verdicts and the rollout's phases."""

    WAITING_FOR_OPERATION = "WaitingForOperation"
    ABANDONED = "Abandoned"


APPROVE_ANNOTATION = "weaviate.io/approve-restart"
"""Set to the hash a PodTemplateCurrent condition names: restart the pods for that template."""
MAX_DECISIONS = 4
HealthFor = Callable[[ClusterContext], WeaviateHealth]

_EVENTS: dict[StepVerdict, tuple[EventReason, EventType]] = {
    StepVerdict.STEPPED: (EventReason.TEMPLATE_ROLLOUT_PROGRESS, EventType.NORMAL),
    StepVerdict.ROLLED_OUT: (EventReason.TEMPLATE_ROLLOUT_PROGRESS, EventType.NORMAL),
    StepVerdict.RESUMED: (EventReason.TEMPLATE_ROLLOUT_PROGRESS, EventType.NORMAL),
    StepVerdict.RESTARTED: (EventReason.TEMPLATE_ROLLOUT_STARTED, EventType.NORMAL),
    StepVerdict.HELD: (EventReason.TEMPLATE_ROLLOUT_HELD, EventType.WARNING),
    StepVerdict.SUCCEEDED: (EventReason.TEMPLATE_ROLLOUT_SUCCEEDED, EventType.NORMAL),
}


def _listed(changes: tuple[str, ...] | list[str], limit: int = 6) -> str:
    shown = ", ".join(changes[:limit])
    return shown + (f" and {len(changes) - limit} more" if len(changes) > limit else "")


def _repaired(ctx: ClusterContext, template: str) -> tuple[str, ...] | None:
    """What the last rollout of ``template`` repaired, when it was a hand-edit repair."""
    last = ctx.status.last_operation
    if not isinstance(last, TemplateRolloutOperation) or last.details.template != template:
        return None
    if last.details.reason != StartVerdict.DRIFT_REPAIRED:
        return None
    return tuple(last.details.changes)


def template_pin(ctx: ClusterContext) -> Pin | None:
    """The reconciler's pin for a rollout in flight: its partition and the template it owns."""
    state = template_state(ctx.status.operation)
    if state is None or state.phase.finished:
        return None
    partition = 0 if state.phase is TemplateRolloutPhase.VERIFYING else state.partition
    return Pin(Rollout(running_version(ctx), partition), template=state.template)


def _update_revision(ctx: ClusterContext, live: Obj | None, rendered: Obj) -> str | None:
    """The StatefulSet's update revision, once it is the revision of the template rolled: the
    controller has seen the latest spec and the live template is the rendered one."""
    if live is None:
        return None
    status = live.get("status") or {}
    seen = int(status.get("observedGeneration") or 0)
    if seen < int(live["metadata"].get("generation") or 0) or not same_template(rendered, live):
        return None
    revision = status.get("updateRevision")
    return str(revision) if revision else None


def _save(ctx: ClusterContext, state: TemplateState, *, started: bool = False) -> None:
    current = ctx.status.operation
    ctx.status.operation = state.operation(
        started_at=stamp(ctx.now) if started or current is None else current.started_at,
        message=state.error or state.progress(),
    )
    ctx.condition(
        ConditionType.POD_TEMPLATE,
        status=False,
        reason=state.phase,
        message=state.error or state.progress(),
    )
    ctx.save_status()


def start_rollout(
    ctx: ClusterContext,
    decision: StartDecision,
    *,
    partition: int | None = None,
    auth: AuthSwitch | None = None,
) -> TemplateState:
    """Record a new rollout (the reconciler then applies its template at the top pod)."""
    live = ctx.live.get(statefulset_ref(ctx)) or {}
    replicas = int(live.get("spec", {}).get("replicas") or ctx.cluster.spec.replicas)
    state = starting_state(decision, replicas=replicas, now=ctx.now, partition=partition, auth=auth)
    note = f"restarting pods one at a time for template {decision.template}"
    if decision.changes:
        note += f": {_listed(decision.changes)}"
    ctx.note(ClusterEvent(EventReason.TEMPLATE_ROLLOUT_STARTED, note, action="PodTemplateRollout"))
    _save(ctx, state, started=True)
    return state


def plan_rollout(ctx: ClusterContext, *, waiting_for: str | None) -> list[str]:
    """For ``weavefn plan``: the rollout a pass would start, or why the change waits; reads
    only (the same decision as the step's, nothing saved)."""
    live = ctx.live.get(statefulset_ref(ctx))
    if live is None or template_state(ctx.status.operation) is not None:
        return []  # created with its template; a rollout in flight shows as the operation
    rendered = rendered_statefulset(ctx)
    template = template_hash(rendered)
    proposal = Proposal(template, tuple(describe_changes(rendered, live)), live_partition(live))
    if waiting_for is not None:
        if not proposal.changes:
            return []
        return [f"* pod template change ({_listed(proposal.changes)}) waits for the "
                f"{waiting_for}"]  # fmt: skip
    decision = decide_start(
        proposal,
        record=ctx.status.pod_template,
        generation=ctx.generation,
        observed=ctx.status.observed_generation,
        restarts=ctx.cluster.spec.pod_restarts,
        approval=ctx.cluster.metadata.annotations.get(APPROVE_ANNOTATION),
        repaired=_repaired(ctx, template),
    )
    changes = _listed(decision.changes)
    if decision.verdict.starts:
        return [f"+ pod-template rollout {template} ({decision.verdict}: {changes}): pods "
                "restart one at a time, top ordinal first"]  # fmt: skip
    if decision.verdict is StartVerdict.CURRENT:
        return []
    return [f"! pod template {template} ({changes}) not rolled ({decision.verdict}): annotate "
            f"{APPROVE_ANNOTATION}={template} to restart the pods one at a time"]  # fmt: skip


class TemplateRollouter:
    """The pod-template rollout Step; ``health_for`` gives the Weaviate of a cluster."""

    def __init__(self, health_for: HealthFor) -> None:
        self.health_for = health_for

    def __call__(self, ctx: ClusterContext) -> None:
        operation = ctx.status.operation
        if isinstance(operation, UnreadableOperation) and operation.is_kind(
            OperationKind.POD_TEMPLATE_ROLLOUT
        ):
            self._abandon(ctx, operation)
            return
        state = template_state(operation)
        if state is None:
            state = self._consider(ctx, waiting_for=operation.kind if operation else None)
            if state is None:
                return
        self._advance(ctx, state)

    # noticing a change

    def _consider(self, ctx: ClusterContext, *, waiting_for: object) -> TemplateState | None:
        live = ctx.live.get(statefulset_ref(ctx))
        rendered = rendered_statefulset(ctx)
        template = template_hash(rendered)
        if live is None:  # created by this pass with this template
            ctx.status.pod_template = PodTemplateRecord(generation=ctx.generation, hash=template)
            return None
        proposal = Proposal(template, tuple(describe_changes(rendered, live)), live_partition(live))
        if waiting_for is not None:
            if proposal.changes:
                ctx.condition(
                    ConditionType.POD_TEMPLATE,
                    status=False,
                    reason=TemplateReason.WAITING_FOR_OPERATION,
                    message=f"pod template change ({_listed(proposal.changes)}) waits for the "
                    f"{waiting_for} in flight",
                )
            return None
        approval = ctx.cluster.metadata.annotations.get(APPROVE_ANNOTATION)
        decision = decide_start(
            proposal,
            record=ctx.status.pod_template,
            generation=ctx.generation,
            observed=ctx.status.observed_generation,
            restarts=ctx.cluster.spec.pod_restarts,
            approval=approval,
            repaired=_repaired(ctx, template),
        )
        if decision.record is not None:
            ctx.status.pod_template = decision.record
        if decision.verdict.starts:
            resume = decision.verdict is StartVerdict.RESUMING
            return start_rollout(
                ctx, decision, partition=proposal.live_partition if resume else None
            )
        self._report(ctx, decision)
        return None

    def _report(self, ctx: ClusterContext, decision: StartDecision) -> None:
        if decision.verdict is StartVerdict.CURRENT:
            ctx.condition(
                ConditionType.POD_TEMPLATE,
                status=True,
                reason=decision.verdict,
                message=f"pods run template {decision.template}",
            )
            return
        approve = f"annotate {APPROVE_ANNOTATION}={decision.template}"
        changes = _listed(decision.changes)
        if decision.verdict is StartVerdict.RESTART_PENDING:
            message = (
                f"pod template {decision.template} differs ({changes}) by a new weavefn release, "
                f"not by the spec: no pod restarts for it until the next upgrade, or {approve} "
                "to restart the pods one at a time now"
            )
        else:
            message = (
                f"spec change of the pod template ({changes}) waits for approval "
                f"(podRestarts: Supervised): {approve} to restart the pods one at a time"
            )
        previous = ctx.status.condition(ConditionType.POD_TEMPLATE)
        if previous is None or previous.message != message:
            ctx.note(
                ClusterEvent(EventReason.RESTART_PENDING, message, action="PodTemplateRollout")
            )
        ctx.condition(
            ConditionType.POD_TEMPLATE, status=False, reason=decision.verdict, message=message
        )

    # a rollout in flight

    def _observe(self, ctx: ClusterContext, state: TemplateState) -> Observed:
        running = running_version(ctx)
        rendered = rendered_statefulset(ctx, Rollout(running, state.partition))
        live = ctx.live.get(statefulset_ref(ctx))
        health = None
        if not state.switches_auth or state.phase is not TemplateRolloutPhase.ROLLING_OUT:
            health = read_health(self.health_for(ctx))
        return Observed(
            pods=pod_views(ctx),
            health=health,
            version=running,
            update_revision=_update_revision(ctx, live, rendered),
            template=template_hash(rendered),
            changes=tuple(describe_changes(rendered, live)) if live is not None else (),
        )

    def _advance(self, ctx: ClusterContext, state: TemplateState) -> None:
        observed = self._observe(ctx, state)
        for _ in range(MAX_DECISIONS):
            decision = decide_step(state, observed, now=ctx.now)
            if decision.state is None:
                _save(ctx, state)
                return
            self._event(ctx, decision)
            state = decision.state
            if state.phase.finished:
                self._finish(ctx, state)
                return
            _save(ctx, state)
            if decision.verdict in (StepVerdict.STEPPED, StepVerdict.RESTARTED):
                return  # the next pod restarts once the StatefulSet is applied

    def _event(self, ctx: ClusterContext, decision: StepDecision) -> None:
        found = _EVENTS.get(decision.verdict)
        if found is not None:
            reason, kind = found
            ctx.note(ClusterEvent(reason, decision.message, kind, action="PodTemplateRollout"))

    def _finish(self, ctx: ClusterContext, state: TemplateState) -> None:
        operation = ctx.status.operation
        assert isinstance(operation, TemplateRolloutOperation)
        ctx.status.last_operation = state.operation(
            started_at=operation.started_at, message=state.progress()
        )
        ctx.status.operation = None
        ctx.status.pod_template = PodTemplateRecord(generation=ctx.generation, hash=state.template)
        if state.auth is not None:
            created = ctx.status.cluster_auth.created if ctx.status.cluster_auth else None
            ctx.status.cluster_auth = ClusterAuthStatus(secret=state.auth.target, created=created)
            auth_current(ctx, state.auth.target)
        ctx.condition(
            ConditionType.POD_TEMPLATE,
            status=True,
            reason=StartVerdict.CURRENT,
            message=f"pods run template {state.template}",
        )
        ctx.save_status()

    def _abandon(self, ctx: ClusterContext, operation: UnreadableOperation) -> None:
        """A rollout whose saved state cannot be read: end it. The StatefulSet keeps its live
        template and partition (nothing restarts), and the next pass decides afresh."""
        message = (
            f"pod-template rollout abandoned: unreadable status.operation ({operation.problem})"
        )
        ctx.status.last_operation = operation
        ctx.status.operation = None
        ctx.note(
            ClusterEvent(
                EventReason.TEMPLATE_ROLLOUT_HELD,
                message,
                EventType.WARNING,
                action="PodTemplateRollout",
            )
        )
        ctx.condition(
            ConditionType.POD_TEMPLATE,
            status=False,
            reason=TemplateReason.ABANDONED,
            message=message,
        )
        ctx.save_status()
