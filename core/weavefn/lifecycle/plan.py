"""What a pass would do with operations, for ``weavefn plan``: read from status and spec only.

The operation in flight (``=``), one a pass would start (``+``: an upgrade, a requested or
scheduled backup, a pod-template rollout), one that waits behind another (``*``: an upgrade
queued behind the operation in flight, a backup or template change the operation holds
back), and one a rule refuses (``!``). The steps' own checks (``check_start``,
``scheduled_due``, ``backup_problem``, the template rollout's ``decide_start``) decide, so
plan and pass cannot disagree; nothing is written and Weaviate is not asked.
"""

from __future__ import annotations

from weavefn.lifecycle.backup import in_progress
from weavefn.lifecycle.backup_schedule import PENDING, BackupReason, scheduled_due
from weavefn.lifecycle.template.step import plan_rollout
from weavefn.lifecycle.upgrade.start import StartReason, StartRefusal, check_start
from weavefn.lifecycle.upgrade.state import parse_time, upgrade_state
from weavefn.model.operations import Operation, OperationKind, kind_name
from weavefn.model.status import BackupRecord
from weavefn.providers import backup_backend, backup_problem
from weavefn.reconcile.context import ClusterContext

_GAVE_UP_TEXT = "its last attempt failed; change spec.version (or anything in the spec) to retry"


def _in_flight(operation: Operation) -> str:
    text = f"= {kind_name(operation)} {operation.phase} in flight since {operation.started_at}"
    return f"{text}: {operation.message}" if operation.message else text


def _queued(operation: Operation, *, source: str, target: str) -> list[str]:
    state = upgrade_state(operation)
    if state is None:
        return [
            f"* upgrade {source} -> {target} queued: starts once the {kind_name(operation)} "
            "in flight ends"
        ]
    if state.target == target:
        return []  # the upgrade in flight is this one
    return [
        f"* upgrade to {target} queued: starts once the upgrade {state.source} -> "
        f"{state.target} in flight ends"
    ]


def _upgrade(ctx: ClusterContext, operation: Operation | None) -> list[str]:
    source, target = ctx.status.current_version, ctx.cluster.spec.version
    if source is None or source == target:
        return []
    if operation is not None:
        return _queued(operation, source=source, target=target)
    start = check_start(ctx)
    if isinstance(start, StartRefusal):
        if start.reason is StartReason.GAVE_UP:
            return [f"! upgrade {source} -> {target} not retried: {_GAVE_UP_TEXT}"]
        return [f"! {start.message}"] if start.message else []
    running = in_progress(ctx.status)
    if running:
        return [f"* upgrade {source} -> {target} queued: starts once backup {running[0].id} ends"]
    how = (
        "without a backup (skip-backup annotation)"
        if start.backend is None
        else f"backup to {start.backend} first"
    )
    return [f"+ upgrade {source} -> {target}: {how}, then {start.replicas} pods one at a time"]


def _backup(record: BackupRecord, operation: Operation | None) -> str:
    what = f"backup {record.id} ({record.reason or 'requested'}, {record.backend})"
    if record.status != PENDING:
        return f"= {what} {record.status} since {record.started_at}"
    if operation is not None and record.reason != BackupReason.PRE_UPGRADE:
        return f"* {what} requested: waits for the {kind_name(operation)} in flight"
    return f"+ {what} requested: Weaviate is asked for it"


def _scheduled(ctx: ClusterContext, operation: Operation | None) -> list[str]:
    schedule = ctx.cluster.spec.backup
    if schedule is None or (operation is None and in_progress(ctx.status)):
        return []  # no operation: the scheduler takes no second backup while one runs
    slot = scheduled_due(schedule.schedule, ctx.status.backups, ctx.now)
    created = ctx.cluster.metadata.creation_timestamp
    if slot is None or (created and slot < parse_time(created)):
        return []  # as the scheduler: no backup owed for a slot before the cluster existed
    due = f"scheduled backup for {slot:%Y-%m-%d %H:%M} UTC"
    problem = backup_problem(ctx.cluster)
    if problem is not None:
        return [f"! {due} not taken: {problem}"]
    if operation is not None:
        return [f"* {due}: waits for the {kind_name(operation)} in flight"]
    backend = backup_backend(ctx.cluster)
    if backend is None or not ctx.status.current_version:
        return []
    return [f"+ {due} to {backend}"]


def plan_operations(ctx: ClusterContext) -> list[str]:
    """The lines ``weavefn plan`` shows about operations, in flight first."""
    operation = ctx.status.operation
    lines = [_in_flight(operation)] if operation is not None else []
    upgrade = _upgrade(ctx, operation)
    lines += upgrade
    # the steps' order: an upgrade that starts first makes a template change wait for it
    starts_upgrade = any(line.startswith("+ upgrade") for line in upgrade)
    waiting_for = f"{kind_name(operation)} in flight" if operation is not None else None
    if starts_upgrade:
        waiting_for = f"{OperationKind.UPGRADE} this pass starts"
    lines += plan_rollout(ctx, waiting_for=waiting_for)
    lines += [_backup(r, operation) for r in in_progress(ctx.status)]
    lines += _scheduled(ctx, operation)
    return lines
