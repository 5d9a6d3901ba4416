"""The restore Step: take up an asked restore when nothing else runs, check, ask, poll, end.

A restore is asked for by a record in status.backups (``request.py``, or this step for
spec.restoreFrom once every pod is Ready). It becomes status.operation (kind Restore) only
when no other operation is in flight and no backup is running; from then on nothing else
starts (every other step waits for status.operation), and autoscaling records without acting.
Each state is written before it is acted on, so a pass killed anywhere resumes from status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from weavefn.errors import NotFoundError, UnavailableError, WeavefnError
from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import ObjectRef
from weavefn.lifecycle.backup import in_progress
from weavefn.lifecycle.restore.checks import (
    Target,
    ask_errors,
    fact_errors,
    known_version,
    version_errors,
    wanted,
)
from weavefn.lifecycle.restore.decide import (
    RestoreDecision,
    RestorePolicy,
    Verdict,
    decide_answer,
    decide_cancelled,
    decide_checking,
    decide_lookup,
    decide_poll,
    decide_unreachable,
)
from weavefn.lifecycle.restore.read import RestoreReader, read_facts
from weavefn.lifecycle.restore.records import (
    ask_of_record,
    open_restore,
    paths_for,
    pending_restore,
    restore_record,
)
from weavefn.lifecycle.restore.rules import ask_of_spec
from weavefn.lifecycle.restore.state import RestoreSource, RestoreState
from weavefn.model.operations import (
    OperationKind,
    RestoreOperation,
    RestorePhase,
    RestoreStage,
    UnreadableOperation,
)
from weavefn.model.status import BackupRecord, ConditionType, RestoredFrom
from weavefn.providers import backup_backend, backup_problem
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.summary import Observed
from weavefn.weaviate import releases
from weavefn.weaviate.port import BackupInfo

log = logging.getLogger("weavefn")
ApiFor = Callable[[ClusterContext], RestoreReader]
MAX_DECISIONS = 4


class RestoreConditionReason(StrEnum):
    SUCCEEDED = "Restored"
    IN_PROGRESS = "Restoring"
    WAITING = "Waiting"
    FAILED = "Failed"


_ENDED: dict[Verdict, str] = {
    Verdict.SUCCEEDED: RestoreConditionReason.SUCCEEDED,
    Verdict.REFUSED: "Refused",
    Verdict.TIMED_OUT: "TimedOut",
}


def target_of(ctx: ClusterContext) -> Target:
    meta = ctx.cluster.metadata
    live = ctx.live.get(ObjectRef("apps/v1", "StatefulSet", meta.namespace, meta.name))
    replicas = (live or {}).get("spec", {}).get("replicas") or ctx.cluster.spec.replicas
    return Target(
        name=meta.name,
        replicas=int(replicas),
        backend=backup_backend(ctx.cluster),
        backend_problem=backup_problem(ctx.cluster),
    )


class Restorer:
    """The restore Step; ``api_for`` gives the Weaviate of the cluster in a context."""

    def __init__(self, api_for: ApiFor, *, policy: RestorePolicy | None = None) -> None:
        self.api_for = api_for
        self.policy = policy or RestorePolicy()

    def __call__(self, ctx: ClusterContext) -> None:
        operation = ctx.status.operation
        if isinstance(operation, UnreadableOperation) and operation.is_kind(OperationKind.RESTORE):
            self._abandon(ctx, operation)
            return
        if isinstance(operation, RestoreOperation):
            self._advance(ctx, RestoreState.of(operation), resumed=True)
            return
        if operation is None:
            self._take_up_restore_from(ctx)
        pending = pending_restore(ctx.status)
        if pending is None:
            return
        if operation is not None:
            self._wait(ctx, pending, f"waits for the {operation.kind} in flight to finish")
            return
        running = in_progress(ctx.status)
        if running:  # Weaviate would take both; one thing at a time keeps each one readable
            self._wait(ctx, pending, f"waits for backup {running[0].id} to finish")
            return
        self._advance(ctx, self._begin(ctx, pending), resumed=False)

    # taking one up

    def _take_up_restore_from(self, ctx: ClusterContext) -> None:
        """spec.restoreFrom becomes a restore once, when every pod is Ready."""
        restore_from = ctx.cluster.spec.restore_from
        if restore_from is None or ctx.status.restored_from is not None:
            return
        meta = ctx.cluster.metadata
        live = ctx.live.get(ObjectRef("apps/v1", "StatefulSet", meta.namespace, meta.name))
        seen = Observed.of(live, ctx.live.pods)
        ask = ask_of_spec(restore_from)
        if not seen.all_ready:
            ctx.condition(
                ConditionType.RESTORE,
                status=False,
                reason=RestoreConditionReason.WAITING,
                message=f"restore of {ask.backup_id} (spec.restoreFrom) waits for every pod "
                f"Ready ({seen.ready}/{seen.desired})",
            )
            return
        version = known_version(ask, [])
        record = restore_record(ask, version=version, source=RestoreSource.SPEC, now=ctx.now)
        ctx.status.backups = [*ctx.status.backups, record]
        ctx.status.restored_from = RestoredFrom(
            backend=ask.backend, id=ask.backup_id, started_at=record.started_at
        )
        ctx.save_status()

    def _begin(self, ctx: ClusterContext, record: BackupRecord) -> RestoreState:
        source = record.restore.source if record.restore else RestoreSource.REQUEST
        state = RestoreState(
            phase=RestorePhase.RESTORING,
            stage=RestoreStage.CHECKING,
            ask=ask_of_record(record),
            started_at=ctx.now,
            phase_started_at=ctx.now,
            source=source,
            version=record.version,
        )
        ctx.note(
            ClusterEvent(
                EventReason.RESTORE_STARTED,
                f"restore of {record.id} from {record.backend} started ({source})",
                action="Restore",
            )
        )
        self._save(ctx, state)
        return state

    def _wait(self, ctx: ClusterContext, record: BackupRecord, why: str) -> None:
        ctx.condition(
            ConditionType.RESTORE,
            status=False,
            reason=RestoreConditionReason.WAITING,
            message=f"restore of {record.id} {why}",
        )

    # advancing

    def _advance(self, ctx: ClusterContext, state: RestoreState, *, resumed: bool) -> None:
        api = self.api_for(ctx)
        for _ in range(MAX_DECISIONS):
            try:
                decision = self._decide(ctx, api, state, resumed=resumed)
            except UnavailableError as exc:
                # Weaviate is restarting or unreachable: the next pass asks again, until overdue
                given_up = decide_unreachable(state, error=exc, now=ctx.now, policy=self.policy)
                if given_up is None:
                    log.info("restore deferred", extra={"cluster": ctx.key, "error": str(exc)})
                    return
                decision = given_up
            state, resumed = decision.state, False
            if state.finished:
                self._finish(ctx, decision)
                return
            self._save(ctx, state)
            if decision.verdict is not Verdict.REQUEST:
                return  # waiting, or under way: the next pass looks again

    def _decide(
        self, ctx: ClusterContext, api: RestoreReader, state: RestoreState, *, resumed: bool
    ) -> RestoreDecision:
        ask, now, policy = state.ask, ctx.now, self.policy
        if state.stage is RestoreStage.CHECKING:
            facts = read_facts(api, ask, records=ctx.status.backups)
            path = paths_for(state.source)
            version = state.version or known_version(ask, ctx.status.backups)
            running = facts.version or ctx.status.current_version
            errors = [
                *ask_errors(ask, target_of(ctx), path=path),
                *version_errors(ask, backup=version, cluster=running, path=path),
                *fact_errors(ask, facts, path=path),
            ]
            return decide_checking(
                state,
                facts=facts,
                errors=errors,
                wanted=wanted(ask, facts.backup_classes),
                now=now,
                policy=policy,
            )
        if state.stage is RestoreStage.REQUESTING:
            if resumed:
                lookup = decide_lookup(
                    state,
                    seen=self._seen(api, state),
                    collections=tuple(api.collections()),
                )
                if lookup.verdict is Verdict.STARTED:
                    return lookup
            try:
                info = api.restore_backup(
                    ask.backend,
                    ask.backup_id,
                    include=list(ask.include) or None,
                    exclude=list(ask.exclude) or None,
                    node_mapping=dict(ask.node_mapping) or None,
                )
            except WeavefnError as refused:
                return decide_answer(state, answer=refused, now=now, policy=policy)
            return decide_answer(state, answer=info, now=now, policy=policy)
        seen = self._seen(api, state)
        done = seen is not None and seen.status.finished
        collections = tuple(api.collections()) if done else None
        decision = decide_poll(state, seen=seen, collections=collections, now=now, policy=policy)
        if decision.verdict is Verdict.TIMED_OUT:
            return self._cancel(ctx, api, decision)
        return decision

    def _cancel(
        self, ctx: ClusterContext, api: RestoreReader, given_up: RestoreDecision
    ) -> RestoreDecision:
        """Stop Weaviate restoring what weavefn has given up on, where it can (1.36+).

        Cancelled before the end is written: a pass killed in between finds it CANCELED."""
        version = ctx.status.current_version
        if version is None or not releases.cancels_restores(version):
            return given_up
        ask = given_up.state.ask
        try:
            api.cancel_restore(ask.backend, ask.backup_id)
        except WeavefnError as refused:
            return decide_cancelled(given_up, refused=refused, policy=self.policy)
        return decide_cancelled(given_up, refused=None, policy=self.policy)

    @staticmethod
    def _seen(api: RestoreReader, state: RestoreState) -> BackupInfo | None:
        try:
            return api.restore_status(state.ask.backend, state.ask.backup_id)
        except NotFoundError:
            return None

    # status

    def _save(self, ctx: ClusterContext, state: RestoreState) -> None:
        record = open_restore(ctx.status, state.ask.backup_id)
        if record is not None and state.weaviate_status:
            record.status = state.weaviate_status
            record.classes = list(state.classes) or None
        ctx.status.operation = state.operation()
        ctx.condition(
            ConditionType.RESTORE,
            status=False,
            reason=RestoreConditionReason.IN_PROGRESS,
            message=state.message,
        )
        ctx.save_status()

    def _finish(self, ctx: ClusterContext, decision: RestoreDecision) -> None:
        state = decision.state
        ok = state.phase is RestorePhase.SUCCEEDED
        record = open_restore(ctx.status, state.ask.backup_id)
        if record is not None:
            record.status = "SUCCESS" if ok else "FAILED"
            record.classes = list(state.classes) or None
        ctx.status.last_operation = state.operation()
        ctx.status.operation = None
        reason = _ENDED.get(decision.verdict, RestoreConditionReason.FAILED)
        ctx.condition(ConditionType.RESTORE, status=ok, reason=reason, message=state.message)
        ctx.note(
            ClusterEvent(
                EventReason.RESTORE_SUCCEEDED if ok else EventReason.RESTORE_FAILED,
                state.message,
                EventType.NORMAL if ok else EventType.WARNING,
                action="Restore",
            )
        )
        ctx.save_status()

    def _abandon(self, ctx: ClusterContext, operation: UnreadableOperation) -> None:
        """A restore whose saved state cannot be read cannot be resumed: end it, say why."""
        message = f"restore abandoned: unreadable status.operation ({operation.problem})"
        ctx.status.last_operation = operation
        ctx.status.operation = None
        for record in ctx.status.backups:
            if record.reason == "restore" and record.status not in ("SUCCESS", "FAILED"):
                record.status = "FAILED"
        ctx.note(
            ClusterEvent(EventReason.RESTORE_FAILED, message, EventType.WARNING, action="Restore")
        )
        ctx.condition(
            ConditionType.RESTORE,
            status=False,
            reason=RestoreConditionReason.FAILED,
            message=message,
        )
        ctx.save_status()
