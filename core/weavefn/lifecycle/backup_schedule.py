"""When a scheduled backup is due and which records retention keeps (pure, cron in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from weavefn.model.backup_ids import version_tag
from weavefn.model.status import BackupRecord
from weavefn.weaviate.port import BackupStatus

PENDING = "PENDING"
"""A backup weavefn has recorded but Weaviate may not have been asked for yet."""
KEEP_OTHERS = 10
"""On-demand and pre-upgrade records kept besides the scheduled ones."""
BACKUP_TIMEOUT = timedelta(minutes=60)
"""How long a backup may run before it counts as failed (they can hang in STARTED)."""


class BackupReason(StrEnum):
    SCHEDULED = "scheduled"
    ON_DEMAND = "on-demand"
    PRE_UPGRADE = "pre-upgrade"
    RESTORE = "restore"
    """Not a backup: a restore of one (lifecycle/restore), kept beside the backups."""


def is_restore(record: BackupRecord) -> bool:
    return record.reason == BackupReason.RESTORE


def is_finished(record: BackupRecord) -> bool:
    return record.status in (BackupStatus.SUCCESS, BackupStatus.FAILED, BackupStatus.CANCELED)


def started(record: BackupRecord) -> datetime:
    return datetime.fromisoformat(record.started_at.replace("Z", "+00:00"))


def last_due(schedule: str, now: datetime) -> datetime:
    """The latest instant at or before ``now`` the cron expression names."""
    from croniter import croniter

    # croniter treats an aware start as its zone; the schedule is documented as UTC.
    # get_prev is strictly before its start; a second later makes "at" count.
    start = now.astimezone(UTC) + timedelta(seconds=1)
    previous: datetime = croniter(schedule, start).get_prev(datetime)
    return previous.astimezone(UTC)


def scheduled_due(schedule: str, records: list[BackupRecord], now: datetime) -> datetime | None:
    """The slot a scheduled backup should be taken for now, or None when the last is recent.

    Missed slots (no trigger ran, an operation was in flight) collapse into one backup.
    """
    slot = last_due(schedule, now)
    for record in records:
        if record.reason == BackupReason.SCHEDULED and started(record) >= slot:
            return None
    return slot


def prune(records: list[BackupRecord], *, retention: int | None) -> list[BackupRecord]:
    """Keep the newest ``retention`` finished scheduled records, every unfinished one, and
    the newest KEEP_OTHERS others; order is preserved (oldest first)."""
    keep: set[int] = set()
    scheduled = [
        i for i, r in enumerate(records) if r.reason == BackupReason.SCHEDULED and is_finished(r)
    ]
    others = [
        i for i, r in enumerate(records) if r.reason != BackupReason.SCHEDULED and is_finished(r)
    ]
    keep.update(i for i, r in enumerate(records) if not is_finished(r))
    if retention is not None:
        keep.update(scheduled[-retention:] if retention > 0 else [])
    else:
        keep.update(scheduled)
    keep.update(others[-KEEP_OTHERS:])
    return [r for i, r in enumerate(records) if i in keep]


def id_stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dt%H%M%Sz")


def backup_id(reason: BackupReason, now: datetime, *, version: str | None = None) -> str:
    """``weavefn-scheduled-v1-27-3-20261125t030000z``: the version the cluster runs (see
    model/backup_ids.py), left out when it is not known yet."""
    tag = f"{version_tag(version)}-" if version else ""
    return f"weavefn-{reason}-{tag}{id_stamp(now)}"
