"""Weaviate-safe scale-in: refuse or start a drain of the departing nodes, then advance it.

The drain is status.operation (kind ScaleInDrain), each step written before it is taken, so
any invocation resumes it: Moving (MOVEs started, polled) -> Verifying (a fresh sharding
state shows the departing nodes empty; else Planning again) -> Shrinking (scale
subresource) -> done. A MOVE that keeps failing ends it (DrainFailed), StatefulSet untouched.
"""

from __future__ import annotations

from dataclasses import replace

from weavefn.autoscale.drain_plan import (
    Blocked,
    DrainPolicy,
    DrainState,
    admit_scale_in,
    holding,
    plan_drain,
    retry_at,
)
from weavefn.autoscale.executor import ScaleIn, current_replicas
from weavefn.autoscale.history import format_time, scaled
from weavefn.autoscale.moves import (
    SETTLED,
    ApiFor,
    MoveRecord,
    MovingApi,
    count_done,
    run_moves,
)
from weavefn.conditions import ConditionReason
from weavefn.errors import TerminalError, UnavailableError
from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.model.autoscaling import AutoScalingSpec
from weavefn.model.operations import (
    DrainOperation,
    DrainPhase,
    MoveStage,
    OperationKind,
    UnreadableOperation,
)
from weavefn.model.status import ConditionType
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.followup import Wait, poll
from weavefn.reconcile.summary import pod_version
from weavefn.weaviate.port import ReplicaMovementUnsupportedError


def node_names(ctx: ClusterContext, first: int, stop: int) -> tuple[str, ...]:
    return tuple(f"{ctx.cluster.metadata.name}-{i}" for i in range(first, stop))


def block(ctx: ClusterContext, blocked: Blocked) -> None:
    """Refuse with the ScaleInBlocked condition; one Event when the refusal is new."""
    previous = ctx.status.condition(ConditionType.SCALE_IN_BLOCKED)
    ctx.condition(
        ConditionType.SCALE_IN_BLOCKED,
        status=True,
        reason=blocked.reason,
        message=blocked.message,
    )
    if previous is None or previous.status != "True" or previous.reason != blocked.reason:
        ctx.note(ClusterEvent(EventReason.SCALE_IN_BLOCKED, blocked.message, EventType.WARNING))
    else:
        ctx.actions.append(blocked.message)


class Drain:
    """The ScaleInPath (``scale_in``) and the Step that advances a drain (``__call__``)."""

    def __init__(self, api_for: ApiFor, *, policy: DrainPolicy | None = None) -> None:
        self.api_for = api_for
        self.policy = policy or DrainPolicy()

    # the ScaleInPath

    def scale_in(self, ctx: ClusterContext, request: ScaleIn) -> None:
        current = current_replicas(ctx)
        if ctx.status.operation is not None or current is None or request.target >= current:
            return  # one operation at a time; a pass that raced us sees it next time
        if self._cooling_down(ctx):
            return
        try:
            self._start(ctx, request, current)
        except UnavailableError as exc:
            ctx.actions.append(f"scale-in to {request.target} waits: {exc}")
        except TerminalError as exc:
            why = f"scale-in to {request.target} refused: Weaviate cannot be used ({exc})"
            block(ctx, Blocked(ConditionReason.DRAIN_FAILED, why))

    def _cooling_down(self, ctx: ClusterContext) -> bool:
        until = retry_at(ctx.status.last_operation, policy=self.policy)
        if until is None or ctx.now >= until:
            return False
        ctx.actions.append(f"scale-in waits until {format_time(until)} after a failed drain")
        return True

    def _start(self, ctx: ClusterContext, request: ScaleIn, current: int) -> None:
        spec = ctx.cluster.spec
        autoscaling = spec.auto_scaling or AutoScalingSpec()

        # minReplicas bounds the autoscaler; without it spec.replicas alone is asked for.
        min_replicas = autoscaling.min_replicas if autoscaling.enabled else 1

        def admit(versions: list[str]) -> int | Blocked:
            return admit_scale_in(
                current=current,
                requested=request.target,
                voters=len(ctx.status.voters),
                min_replicas=min_replicas,
                versions=versions,
                movement_enabled=spec.replication.replica_movement,
            )

        # The rules that need no Weaviate call first; then what the nodes themselves run.
        pods = [v for pod in ctx.live.pods if (v := pod_version(pod))]
        admitted = admit(pods)
        api = self.api_for(ctx)
        if not isinstance(admitted, Blocked):
            admitted = admit(pods + [n.version for n in api.nodes()])
        if isinstance(admitted, Blocked):
            block(ctx, admitted)
            return
        departing = node_names(ctx, admitted, current)
        try:
            plan = plan_drain(
                api.sharding_state(),
                remaining=node_names(ctx, 0, admitted),
                departing=departing,
            )
        except ReplicaMovementUnsupportedError as exc:
            block(ctx, Blocked(ConditionReason.MOVEMENT_DISABLED, f"scale-in refused: {exc}"))
            return
        if isinstance(plan, Blocked):
            block(ctx, plan)
            return
        state = DrainState(
            current, admitted, departing, request.reason, tuple(MoveRecord(m) for m in plan)
        )
        text = (
            f"draining {len(plan)} replica(s) off {', '.join(departing)} "
            f"to scale {current} -> {admitted}: {request.reason}"
        )
        ctx.condition(
            ConditionType.SCALE_IN_BLOCKED,
            status=False,
            reason=ConditionReason.SCALE_IN_ALLOWED,
            message=text,
        )
        self._save(ctx, DrainPhase.MOVING, state, started=True)
        ctx.note(ClusterEvent(EventReason.DRAIN_STARTED, text, action="Scale"))
        self._advance(ctx, api)

    # the Step

    def __call__(self, ctx: ClusterContext) -> None:
        if not _draining(ctx.status.operation):
            return
        try:
            self._advance(ctx, self.api_for(ctx))
        except UnavailableError as exc:
            ctx.actions.append(f"drain waits: {exc}")
            ctx.check_again(poll(Wait.WEAVIATE, f"drain waits: {exc}", now=ctx.now))
        except TerminalError as exc:
            # Weaviate refuses what the drain needs (movement switched off, access lost):
            # stop with every replica where it is, rather than fail every pass.
            self._fail_current(ctx, f"Weaviate refused: {exc}")

    def _fail_current(self, ctx: ClusterContext, why: str) -> None:
        operation = ctx.status.operation
        if isinstance(operation, DrainOperation):
            self._fail(ctx, DrainState.of(operation.details), why)
        elif _draining(operation):
            self._fail(ctx, DrainState(0, 0, (), ""), why)

    def _advance(self, ctx: ClusterContext, api: MovingApi) -> None:
        for _ in range(len(DrainPhase)):  # each phase at most once per pass
            operation = ctx.status.operation
            if isinstance(operation, UnreadableOperation) and _draining(operation):
                self._fail_current(
                    ctx, f"unreadable status.operation.details ({operation.problem})"
                )
                return
            if not isinstance(operation, DrainOperation):
                return
            state = DrainState.of(operation.details)
            phase = operation.phase
            if phase == DrainPhase.PLANNING:
                self._plan(ctx, api, state)
            elif phase == DrainPhase.MOVING:
                if not self._move(ctx, api, state):
                    return
            elif phase == DrainPhase.VERIFYING:
                self._verify(ctx, api, state)
            elif phase == DrainPhase.SHRINKING:
                self._shrink(ctx, api, state)
            else:
                self._fail(ctx, state, f"unknown drain phase {phase!r}")

    def _plan(self, ctx: ClusterContext, api: MovingApi, state: DrainState) -> None:
        plan = plan_drain(
            api.sharding_state(),
            remaining=node_names(ctx, 0, state.to_replicas),
            departing=state.departing,
        )
        if isinstance(plan, Blocked):
            self._fail(ctx, state, plan.message)
            return
        moves = state.moves + tuple(MoveRecord(m) for m in plan)
        self._save(ctx, DrainPhase.MOVING, replace(state, moves=moves))

    def _move(self, ctx: ClusterContext, api: MovingApi, state: DrainState) -> bool:
        """Poll and start MOVEs; True when every one of them is done."""

        def save(records: tuple[MoveRecord, ...]) -> None:
            self._save(ctx, DrainPhase.MOVING, replace(state, moves=records))

        records = run_moves(api, state.moves, policy=self.policy.moves, now=ctx.now, save=save)
        state = replace(state, moves=records)
        failed = next((r for r in records if r.stage is MoveStage.FAILED), None)
        if failed is not None:
            move = failed.move
            self._fail(
                ctx,
                state,
                f"MOVE of {move.collection}/{move.shard} {move.source} -> {move.target} "
                f"failed {failed.attempts} time(s): {failed.error}",
            )
            return False
        if all(r.stage in SETTLED for r in records):
            self._save(ctx, DrainPhase.VERIFYING, state)
            return True
        self._save(ctx, DrainPhase.MOVING, state)
        ctx.check_again(poll(Wait.REPLICA_MOVE, state.progress(), now=ctx.now))
        return False

    def _verify(self, ctx: ClusterContext, api: MovingApi, state: DrainState) -> None:
        left = holding(api.sharding_state(), state.departing)
        if not left:
            self._save(ctx, DrainPhase.SHRINKING, state)
        elif state.round < self.policy.max_rounds:
            self._save(ctx, DrainPhase.PLANNING, replace(state, round=state.round + 1))
        else:
            self._fail(
                ctx, state, f"{', '.join(state.departing)} still hold {len(left)} replica(s)"
            )

    def _shrink(self, ctx: ClusterContext, api: MovingApi, state: DrainState) -> None:
        current = current_replicas(ctx)
        if current is not None and current not in (state.from_replicas, state.to_replicas):
            self._fail(ctx, state, f"the StatefulSet went to {current} replicas during the drain")
            return
        if current != state.to_replicas:
            # Proof right before the irreversible step: data placed since Verifying counts.
            if holding(api.sharding_state(), state.departing):
                self._save(ctx, DrainPhase.VERIFYING, state)
                return
            meta = ctx.cluster.metadata
            ctx.kube.patch_scale(meta.namespace, meta.name, state.to_replicas)
            ctx.writes += 1
        spec = ctx.cluster.spec.auto_scaling or AutoScalingSpec()
        ctx.status.autoscaling = scaled(
            ctx.status.autoscaling,
            spec=spec,
            replicas=state.to_replicas,
            change=state.to_replicas - state.from_replicas,
            now=ctx.now,
        )
        text = (
            f"scaled {state.from_replicas} -> {state.to_replicas} after moving "
            f"{count_done(state.moves)} replica(s) off {', '.join(state.departing)}"
        )
        self._finish(ctx, state, DrainPhase.SUCCEEDED, text)
        ctx.note(ClusterEvent(EventReason.SCALED_DOWN, text, action="Scale"))

    # status

    def _fail(self, ctx: ClusterContext, state: DrainState, why: str) -> None:
        text = f"drain {state.from_replicas} -> {state.to_replicas} aborted, no shrink: {why}"
        ctx.condition(
            ConditionType.SCALE_IN_BLOCKED,
            status=True,
            reason=ConditionReason.DRAIN_FAILED,
            message=text,
        )
        self._finish(ctx, state, DrainPhase.FAILED, text)
        ctx.note(ClusterEvent(EventReason.DRAIN_FAILED, text, EventType.WARNING, action="Scale"))

    def _finish(self, ctx: ClusterContext, state: DrainState, phase: DrainPhase, text: str) -> None:
        ctx.status.last_operation = self._operation(ctx, phase, state, message=text)
        ctx.status.operation = None
        if phase is DrainPhase.SUCCEEDED:
            ctx.condition(
                ConditionType.SCALE_IN_BLOCKED,
                status=False,
                reason=ConditionReason.SCALE_IN_ALLOWED,
                message=text,
            )
        ctx.save_status()

    def _save(
        self, ctx: ClusterContext, phase: DrainPhase, state: DrainState, *, started: bool = False
    ) -> None:
        """Write the drain's state before acting on it."""
        ctx.status.operation = self._operation(ctx, phase, state, started=started)
        ctx.save_status()

    def _operation(
        self,
        ctx: ClusterContext,
        phase: DrainPhase,
        state: DrainState,
        *,
        started: bool = False,
        message: str | None = None,
    ) -> DrainOperation:
        now = format_time(ctx.now)
        previous = ctx.status.operation
        same_phase = previous is not None and previous.phase == phase and not started
        return DrainOperation(
            phase=phase,
            started_at=now if started or previous is None else previous.started_at,
            phase_started_at=previous.phase_started_at if same_phase and previous else now,
            message=message or state.progress(),
            details=state.details(),
        )


def _draining(operation: object) -> bool:
    """A drain is in flight, whether or not its saved state can be read."""
    return isinstance(operation, DrainOperation) or (
        isinstance(operation, UnreadableOperation)
        and operation.is_kind(OperationKind.SCALE_IN_DRAIN)
    )
