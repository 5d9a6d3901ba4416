"""The upgrade Step: gather pods, Weaviate health and backup state, decide, save, then act.

The only actions are status writes and backup requests: the StatefulSet follows the saved
state through ``upgrade_pin`` when the reconciler applies it after this step. So the order
"write state, then act" holds even for image changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from weavefn.conditions import UpgradeConditionReason
from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.lifecycle.backup import add_pending, advance_backups, in_progress, stamp
from weavefn.lifecycle.backup_schedule import PENDING, BackupReason
from weavefn.lifecycle.upgrade.observe import node_statuses, pod_views, read_health
from weavefn.lifecycle.upgrade.rollout import (
    Health,
    UpgradeDecision,
    UpgradePolicy,
    Verdict,
    backup_id_for,
    decide,
    pinned_rollout,
    rolling_start,
)
from weavefn.lifecycle.upgrade.start import StartRefusal, check_start
from weavefn.lifecycle.upgrade.state import UpgradeState, progress_text, upgrade_state
from weavefn.lifecycle.upgrade.unhealable import unhealthy_streaks
from weavefn.model.operations import (
    Operation,
    OperationKind,
    UnreadableOperation,
    UpgradeOperation,
    UpgradePhase,
)
from weavefn.model.status import ConditionType, PodTemplateRecord
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.desired import rendered_hash
from weavefn.reconcile.followup import Wait, poll
from weavefn.reconcile.template import Pin
from weavefn.weaviate.port import BackupStatus, WeaviateBackups, WeaviateHealth

log = logging.getLogger("weavefn")


class UpgradeApi(WeaviateHealth, WeaviateBackups, Protocol):
    """What an upgrade asks of Weaviate: health between steps, and its backup."""


ApiFor = Callable[[ClusterContext], UpgradeApi]
MAX_DECISIONS = 8
"""Decisions per pass; each needs fresh proof, so the loop ends well before this."""

_EVENTS: dict[Verdict, tuple[EventReason, EventType]] = {
    Verdict.BACKUP_DONE: (EventReason.UPGRADE_PROGRESS, EventType.NORMAL),
    Verdict.BACKUP_SKIPPED: (EventReason.UPGRADE_PROGRESS, EventType.WARNING),
    Verdict.BACKUP_FAILED: (EventReason.UPGRADE_FAILED, EventType.WARNING),
    Verdict.BACKUP_TIMED_OUT: (EventReason.UPGRADE_FAILED, EventType.WARNING),
    Verdict.STEP_DONE: (EventReason.UPGRADE_PROGRESS, EventType.NORMAL),
    Verdict.ROLLED_OUT: (EventReason.UPGRADE_PROGRESS, EventType.NORMAL),
    Verdict.VERIFIED: (EventReason.UPGRADE_SUCCEEDED, EventType.NORMAL),
    Verdict.STEP_TIMED_OUT: (EventReason.ROLLBACK_STARTED, EventType.WARNING),
    Verdict.NODE_UNHEALTHY: (EventReason.ROLLBACK_STARTED, EventType.WARNING),
    Verdict.POD_STUCK: (EventReason.ROLLBACK_STARTED, EventType.WARNING),
    Verdict.REVERTED: (EventReason.UPGRADE_PROGRESS, EventType.NORMAL),
    Verdict.ROLLED_BACK: (EventReason.ROLLED_BACK, EventType.WARNING),
    Verdict.ROLLBACK_TIMED_OUT: (EventReason.UPGRADE_FAILED, EventType.WARNING),
}


_STEPPING = (UpgradePhase.ROLLING_OUT, UpgradePhase.VERIFYING, UpgradePhase.ROLLING_BACK)


def upgrade_pin(ctx: ClusterContext) -> Pin | None:
    """The reconciler's RolloutPin: what the saved upgrade state holds the StatefulSet to.

    Before its backup is done an upgrade restarts nothing; from RollingOut on it owns the pod
    template it recorded, so a spec change made meanwhile waits for it to end.
    """
    state = upgrade_state(ctx.status.operation)
    rollout = pinned_rollout(state)
    if state is None or rollout is None:
        return None
    return Pin(rollout, template=state.template, stepping=state.phase in _STEPPING)


LIVE_TEMPLATE = "live"
"""Recorded by an upgrade already rolling when weavefn learned to hold templates: it keeps the
template the StatefulSet has (already on its image) instead of re-rolling the pods it did."""


def _owning(ctx: ClusterContext, state: UpgradeState) -> UpgradeState:
    """``state`` with the hash of the template it rolls, recorded as it starts rolling one."""
    rollout = pinned_rollout(state)
    if state.phase not in _STEPPING or rollout is None:
        return state
    previous = upgrade_state(ctx.status.operation)
    backwards = state.phase is UpgradePhase.ROLLING_BACK
    if (
        previous is not None
        and previous.phase in _STEPPING
        and (previous.phase is UpgradePhase.ROLLING_BACK) == backwards
    ):
        return replace(state, template=previous.template or LIVE_TEMPLATE)
    return replace(state, template=rendered_hash(ctx, rollout))


class Upgrader:
    """The upgrade Step; ``api_for`` gives the Weaviate of the cluster in a context."""

    def __init__(self, api_for: ApiFor, *, policy: UpgradePolicy | None = None) -> None:
        self.api_for = api_for
        self.policy = policy or UpgradePolicy()

    def __call__(self, ctx: ClusterContext) -> None:
        operation = ctx.status.operation
        if isinstance(operation, UnreadableOperation) and operation.is_kind(OperationKind.UPGRADE):
            self._abandon(ctx, operation)
            return
        state = upgrade_state(operation)
        if state is None:
            if operation is not None:
                self._wait(ctx, operation)  # one operation at a time
                return
            state = self._start(ctx)
            if state is None:
                return
        api: UpgradeApi | None = None
        health: Health | None = None
        health_read = False
        for _ in range(MAX_DECISIONS):
            if state.phase.finished:
                self._finish(ctx, state)
                return
            if state.phase is UpgradePhase.PENDING:
                state = self._begin_backup(ctx, state)
                continue
            api = api or self.api_for(ctx)
            backup: BackupStatus | None = None
            if state.phase is UpgradePhase.BACKING_UP:
                advance_backups(ctx, api, timeout=self.policy.backup_timeout * 2)
                backup = self._backup_status(ctx, state)
            elif not health_read:
                health, health_read = read_health(api), True
                # one more check of every node, counted once however many decisions follow
                streaks = unhealthy_streaks(state.unhealthy, node_statuses(health))
                state = replace(state, unhealthy=streaks)
            decision = decide(
                state,
                pods=pod_views(ctx),
                health=health,
                backup=backup,
                now=ctx.now,
                policy=self.policy,
            )
            if decision.state is None:
                self._save(ctx, state, message=progress_text(state, self._backup_text(ctx, state)))
                ctx.check_again(decision.recheck)
                return
            state = self._advance(ctx, decision)
        # every decision this pass proved something: look again soon for the next
        ctx.check_again(poll(Wait.POD_READY, "upgrade continues", now=ctx.now))

    @staticmethod
    def _wait(ctx: ClusterContext, operation: Operation) -> None:
        """Say why a new spec.version waits, when a pod-template rollout holds the pods."""
        target = ctx.cluster.spec.version
        source = ctx.status.current_version
        if operation.kind is OperationKind.POD_TEMPLATE_ROLLOUT and source not in (None, target):
            ctx.condition(
                ConditionType.UPGRADE,
                status=False,
                reason=UpgradeConditionReason.WAITING_FOR_OPERATION,
                message=f"upgrade {source} -> {target} waits for the pod-template rollout in "
                f"flight ({operation.phase})",
            )

    # transitions

    def _start(self, ctx: ClusterContext) -> UpgradeState | None:
        start = check_start(ctx)
        if isinstance(start, StartRefusal):
            previous = ctx.status.condition(ConditionType.UPGRADE)
            if start.message and (previous is None or previous.message != start.message):
                ctx.note(
                    ClusterEvent(
                        EventReason.UPGRADE_FAILED,
                        start.message,
                        EventType.WARNING,
                        action="Upgrade",
                    )
                )
            if start.message:
                ctx.condition(
                    ConditionType.UPGRADE, status=False, reason=start.reason, message=start.message
                )
            return None
        running = in_progress(ctx.status)
        if running:  # Weaviate takes one backup at a time; the upgrade's own must wait
            ctx.condition(
                ConditionType.UPGRADE,
                status=False,
                reason=UpgradeConditionReason.WAITING,
                message=f"upgrade to {start.target} waits for backup {running[0].id} to finish",
            )
            return None
        backup = (
            None if start.skip_backup else backup_id_for(start.target, ctx.now, source=start.source)
        )
        state = UpgradeState(
            phase=UpgradePhase.PENDING,
            source=start.source,
            target=start.target,
            replicas=start.replicas,
            phase_started_at=ctx.now,
            backup_id=backup,
            backend=start.backend,
        )
        ctx.note(
            ClusterEvent(
                EventReason.UPGRADE_STARTED,
                f"upgrade {start.source} -> {start.target} started"
                + ("" if backup else " without a backup (weaviate.io/skip-backup)"),
                action="Upgrade",
            )
        )
        ctx.condition(
            ConditionType.UPGRADE,
            status=False,
            reason=UpgradeConditionReason.IN_PROGRESS,
            message=f"upgrading {start.source} -> {start.target}",
        )
        self._save(ctx, state, message=progress_text(state, None), started=True)
        return state

    def _begin_backup(self, ctx: ClusterContext, state: UpgradeState) -> UpgradeState:
        if state.backup_id is None or state.backend is None:
            nxt = rolling_start(state, ctx.now)
            ctx.note(
                ClusterEvent(
                    EventReason.UPGRADE_PROGRESS,
                    "backup skipped by annotation",
                    EventType.WARNING,
                    action="Upgrade",
                )
            )
        else:
            if not any(r.id == state.backup_id for r in ctx.status.backups):
                add_pending(
                    ctx.status,
                    reason=BackupReason.PRE_UPGRADE,
                    backend=state.backend,
                    now=ctx.now,
                    id_=state.backup_id,
                    version=state.source,
                )
            nxt = state.to(UpgradePhase.BACKING_UP, ctx.now)
        self._save(ctx, nxt, message=progress_text(nxt, PENDING))
        return nxt

    def _advance(self, ctx: ClusterContext, decision: UpgradeDecision) -> UpgradeState:
        assert decision.state is not None
        state = decision.state
        reason = _EVENTS.get(decision.verdict)
        if reason is not None:
            ctx.note(ClusterEvent(reason[0], decision.message, reason[1], action="Upgrade"))
        self._save(ctx, state, message=progress_text(state, self._backup_text(ctx, state)))
        return state

    def _finish(self, ctx: ClusterContext, state: UpgradeState) -> None:
        operation = ctx.status.operation
        assert isinstance(operation, UpgradeOperation)
        ok = state.phase is UpgradePhase.SUCCEEDED
        details = operation.details.model_copy(update={"generation": ctx.generation})
        ctx.status.last_operation = operation.model_copy(update={"details": details})
        ctx.status.operation = None
        # The pin is gone from now on: the StatefulSet renders current_version, so it must
        # name what the pods run, not what an earlier summary saw.
        if ok:
            ctx.status.current_version = state.target
        elif state.phase is UpgradePhase.ROLLED_BACK:
            ctx.status.current_version = state.source
        self._record_template(ctx, state)
        reason = {
            UpgradePhase.SUCCEEDED: UpgradeConditionReason.SUCCEEDED,
            UpgradePhase.ROLLED_BACK: UpgradeConditionReason.ROLLED_BACK,
        }.get(state.phase, UpgradeConditionReason.FAILED)
        message = f"{state.source} -> {state.target} {state.phase}" + (
            f": {state.error}" if state.error else ""
        )
        ctx.condition(ConditionType.UPGRADE, status=ok, reason=reason, message=message)
        ctx.save_status()

    @staticmethod
    def _record_template(ctx: ClusterContext, state: UpgradeState) -> None:
        """The pods run the template the upgrade rolled. A spec change of the template made
        meanwhile (held back) shows as a rendering that differs: marked as a spec change."""
        if state.phase is UpgradePhase.FAILED or state.template in (None, LIVE_TEMPLATE):
            return
        assert state.template is not None
        now = rendered_hash(ctx)
        generation = ctx.generation if now == state.template else None
        ctx.status.pod_template = PodTemplateRecord(generation=generation, hash=state.template)

    # status

    def _save(
        self, ctx: ClusterContext, state: UpgradeState, *, message: str, started: bool = False
    ) -> None:
        state = _owning(ctx, state)
        current = ctx.status.operation
        ctx.status.operation = state.operation(
            started_at=stamp(ctx.now) if started or current is None else current.started_at,
            message=message,
        )
        ctx.save_status()

    def _abandon(self, ctx: ClusterContext, operation: UnreadableOperation) -> None:
        """An upgrade whose saved state cannot be read cannot be resumed: end it, say why.

        The pin goes with it, so the StatefulSet returns to the version the pods last all ran
        (status.currentVersion); the next pass starts over, backup first, if spec.version
        still asks for another.
        """
        message = f"upgrade abandoned: unreadable status.operation ({operation.problem})"
        ctx.status.last_operation = operation
        ctx.status.operation = None
        ctx.note(
            ClusterEvent(EventReason.UPGRADE_FAILED, message, EventType.WARNING, action="Upgrade")
        )
        ctx.condition(
            ConditionType.UPGRADE,
            status=False,
            reason=UpgradeConditionReason.FAILED,
            message=message,
        )
        ctx.save_status()

    @staticmethod
    def _backup_status(ctx: ClusterContext, state: UpgradeState) -> BackupStatus | None:
        record = next((r for r in ctx.status.backups if r.id == state.backup_id), None)
        if record is None or record.status == PENDING:
            return None
        return BackupStatus(record.status)

    @staticmethod
    def _backup_text(ctx: ClusterContext, state: UpgradeState) -> str | None:
        record = next((r for r in ctx.status.backups if r.id == state.backup_id), None)
        return record.status if record else None
