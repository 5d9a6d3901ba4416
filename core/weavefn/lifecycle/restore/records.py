"""Restores in status.backups: the record a request (or spec.restoreFrom) leaves, and its ask."""

from __future__ import annotations

from datetime import datetime

from weavefn.conditions import timestamp
from weavefn.lifecycle.backup_schedule import PENDING, BackupReason, is_finished, is_restore
from weavefn.lifecycle.restore.checks import PathOf, RestoreAsk, body_path
from weavefn.lifecycle.restore.rules import spec_path
from weavefn.model.status import AskedRestore, BackupRecord, WeaviateClusterStatus


def ask_of_record(record: BackupRecord) -> RestoreAsk:
    asked = record.restore or AskedRestore()
    return RestoreAsk(
        backend=record.backend,
        backup_id=record.id,
        include=tuple(asked.include),
        exclude=tuple(asked.exclude),
        node_mapping=dict(asked.node_mapping),
        version=asked.version,
    )


def paths_for(source: str) -> PathOf:
    """Where a restore's problems are reported: spec.restoreFrom.*, or the request's fields."""
    return spec_path if source == "spec.restoreFrom" else body_path


def pending_restore(status: WeaviateClusterStatus) -> BackupRecord | None:
    """The oldest restore asked for and not yet begun."""
    return next((r for r in status.backups if is_restore(r) and r.status == PENDING), None)


def open_restore(status: WeaviateClusterStatus, backup_id: str) -> BackupRecord | None:
    """The record of the restore of ``backup_id`` that has not ended (the one in flight)."""
    for record in reversed(status.backups):
        if is_restore(record) and record.id == backup_id and not is_finished(record):
            return record
    return None


def restore_record(
    ask: RestoreAsk, *, version: str | None, source: str, now: datetime
) -> BackupRecord:
    """A restore to run, recorded before anything acts on it."""
    return BackupRecord(
        id=ask.backup_id,
        backend=ask.backend,
        status=PENDING,
        started_at=timestamp(now),
        reason=str(BackupReason.RESTORE),
        version=version,
        restore=AskedRestore(
            include=list(ask.include),
            exclude=list(ask.exclude),
            node_mapping=dict(ask.node_mapping),
            version=ask.version,
            source=source,
        ),
    )


def same_ask(record: BackupRecord, ask: RestoreAsk) -> bool:
    mine = ask_of_record(record)
    return (mine.backend, mine.backup_id, mine.include, mine.exclude, dict(mine.node_mapping)) == (
        ask.backend,
        ask.backup_id,
        ask.include,
        ask.exclude,
        dict(ask.node_mapping),
    )
