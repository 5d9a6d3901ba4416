"""Backups tracked in status.backups: record first, then ask Weaviate, then poll to the end.

A record is written as PENDING (with its id) before Weaviate is asked, so a function killed
in between asks again with the same id next time; asking is idempotent because Weaviate is
first asked whether it already knows the id. On-demand, scheduled and pre-upgrade backups
all go through here; the scheduled step (``scheduled_backup_step``) also prunes to retention.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from weavefn.errors import (
    ConflictError,
    FieldError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
)
from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import ClusterStore
from weavefn.lifecycle.backup_schedule import (
    BACKUP_TIMEOUT,
    PENDING,
    BackupReason,
    backup_id,
    is_finished,
    is_restore,
    prune,
    scheduled_due,
    started,
)
from weavefn.model.resource import WeaviateCluster, parse_cluster
from weavefn.model.status import BackupRecord, ConditionType, WeaviateClusterStatus
from weavefn.providers import backup_backend, backup_problem
from weavefn.reconcile.context import ClusterContext, status_dict
from weavefn.reconcile.followup import Wait, poll
from weavefn.weaviate.port import BackupStatus, WeaviateBackups

log = logging.getLogger("weavefn")
ApiFor = Callable[[ClusterContext], WeaviateBackups]


class BackupConditionReason(StrEnum):
    SUCCEEDED = "BackupSucceeded"
    FAILED = "BackupFailed"
    TIMED_OUT = "BackupTimedOut"
    CREDENTIALS_MISSING = "BackupCredentialsMissing"


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def require_backend(cluster: WeaviateCluster) -> str:
    backend = backup_backend(cluster)
    if backend is None:
        raise InvalidInputError(
            [
                FieldError(
                    "spec.cloudProvider",
                    "no backup target: set cloudProvider.<aws|gcp|azure>.backup or enable a "
                    "backup-* module",
                )
            ],
            what="backup request",
        )
    problem = backup_problem(cluster)
    if problem is not None:
        raise InvalidInputError([problem], what="backup request")
    return backend


def add_pending(
    status: WeaviateClusterStatus,
    *,
    reason: BackupReason,
    backend: str,
    now: datetime,
    id_: str | None = None,
    version: str | None = None,
) -> BackupRecord:
    """Record a backup to take; the caller saves status before Weaviate is asked.

    ``version`` is what the cluster runs now: the id says it, and so does the record.
    """
    record = BackupRecord(
        id=id_ or backup_id(reason, now, version=version),
        backend=backend,
        status=PENDING,
        started_at=stamp(now),
        reason=str(reason),
        version=version,
    )
    status.backups = [*status.backups, record]
    return record


def request_backup(kube: ClusterStore, *, namespace: str, name: str, now: datetime) -> str:
    """Record an on-demand backup as PENDING in status; later passes start and track it.

    Returns the backup id. No backup target: InvalidInputError naming spec.cloudProvider.
    """
    raw = kube.get_cluster(namespace, name)
    cluster = parse_cluster(raw)
    backend = require_backend(cluster)
    status = cluster.status.model_copy(deep=True)
    record = add_pending(
        status,
        reason=BackupReason.ON_DEMAND,
        backend=backend,
        now=now,
        version=status.current_version,
    )
    if sum(1 for r in status.backups if r.id == record.id) > 1:
        raise ConflictError(f"backup {record.id} was already requested this second")
    kube.replace_cluster_status({**raw, "status": status_dict(status)})
    return record.id


def in_progress(status: WeaviateClusterStatus) -> list[BackupRecord]:
    """Backups not finished yet (restore records are the restore's to track)."""
    return [r for r in status.backups if not is_restore(r) and not is_finished(r)]


def _finish(ctx: ClusterContext, record: BackupRecord, status: str, note: str) -> None:
    record.status = status
    ok = status == BackupStatus.SUCCESS
    ctx.note(
        ClusterEvent(
            EventReason.BACKUP_SUCCEEDED if ok else EventReason.BACKUP_FAILED,
            note,
            EventType.NORMAL if ok else EventType.WARNING,
            action="Backup",
        )
    )
    ctx.condition(
        ConditionType.BACKUP,
        status=ok,
        reason=BackupConditionReason.SUCCEEDED if ok else BackupConditionReason.FAILED,
        message=note,
    )


def _poll(
    ctx: ClusterContext, api: WeaviateBackups, record: BackupRecord, timeout: timedelta
) -> None:
    try:
        info = api.backup_status(record.backend, record.id)
    except NotFoundError:
        if record.status == PENDING:
            _create(ctx, api, record)
            return
        info = None
    if info is not None:
        if info.status.finished:
            detail = f": {info.error}" if info.error else ""
            _finish(ctx, record, str(info.status), f"backup {record.id} {info.status}{detail}")
            return
        record.status = str(info.status)
    if ctx.now - started(record) > timeout:
        seen = info.status if info is not None else "unknown to Weaviate"
        _finish(
            ctx,
            record,
            str(BackupStatus.FAILED),
            f"backup {record.id} still {seen} after {timeout.total_seconds() / 60:g}m: given up",
        )


def _create(ctx: ClusterContext, api: WeaviateBackups, record: BackupRecord) -> None:
    try:
        info = api.create_backup(record.backend, record.id)
    except TerminalError as exc:
        _finish(ctx, record, str(BackupStatus.FAILED), f"backup {record.id} refused: {exc}")
        return
    record.status = str(info.status)
    record.classes = list(info.classes) or None
    ctx.note(
        ClusterEvent(
            EventReason.BACKUP_STARTED,
            f"backup {record.id} started on {record.backend} ({record.reason})",
            action="Backup",
        )
    )


def advance_backups(
    ctx: ClusterContext, api: WeaviateBackups, *, timeout: timedelta = BACKUP_TIMEOUT
) -> None:
    """Poll every unfinished record; start the oldest PENDING one when none is running.

    Weaviate runs one backup at a time, so a PENDING record waits for the running one.
    """
    try:
        for record in in_progress(ctx.status):
            if record.status != PENDING:
                _poll(ctx, api, record, timeout)
        pending = [r for r in in_progress(ctx.status) if r.status == PENDING]
        running = [r for r in in_progress(ctx.status) if r.status != PENDING]
        if pending and not running:
            _poll(ctx, api, pending[0], timeout)
    except UnavailableError as exc:
        # Weaviate is restarting or unreachable: the next pass asks again.
        log.info("backup poll deferred", extra={"cluster": ctx.key, "error": str(exc)})


class BackupScheduler:
    """The Step running on-demand and scheduled backups; idle while an operation runs."""

    def __init__(self, api_for: ApiFor, *, timeout: timedelta = BACKUP_TIMEOUT) -> None:
        self.api_for = api_for
        self.timeout = timeout

    def __call__(self, ctx: ClusterContext) -> None:
        if ctx.status.operation is not None:
            return  # the operation drives its own backup; a restart would break others
        schedule = ctx.cluster.spec.backup
        if schedule is not None and not in_progress(ctx.status):
            slot = scheduled_due(schedule.schedule, ctx.status.backups, ctx.now)
            backend = backup_backend(ctx.cluster)
            created = ctx.cluster.metadata.creation_timestamp
            if created and slot is not None and slot < _parse(created):
                slot = None  # no backup owed for a slot before the cluster existed
            problem = backup_problem(ctx.cluster)
            if slot is not None and problem is not None:
                # Asking Weaviate would only fail; say why where people look instead.
                ctx.condition(
                    ConditionType.BACKUP,
                    status=False,
                    reason=BackupConditionReason.CREDENTIALS_MISSING,
                    message=f"scheduled backup not taken: {problem}",
                )
            elif slot is not None and backend is not None and ctx.status.current_version:
                add_pending(
                    ctx.status,
                    reason=BackupReason.SCHEDULED,
                    backend=backend,
                    now=ctx.now,
                    version=ctx.status.current_version,
                )
                ctx.save_status()
        if in_progress(ctx.status):
            advance_backups(ctx, self.api_for(ctx), timeout=self.timeout)
        running = in_progress(ctx.status)
        if running:
            record = running[0]
            text = f"backup {record.id} {record.status}"
            ctx.check_again(poll(Wait.BACKUP, text, now=ctx.now))
        retention = schedule.retention if schedule is not None else None
        kept = prune(ctx.status.backups, retention=retention)
        if len(kept) != len(ctx.status.backups):
            ctx.status.backups = kept
