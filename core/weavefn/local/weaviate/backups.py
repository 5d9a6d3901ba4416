"""Simulated backups and restores: validation, progress over time and their effects."""

from __future__ import annotations

import copy

from weavefn.local.weaviate.state import (
    BackupFailure,
    SimBackup,
    SimCollection,
    SimRefusal,
    SimShard,
    SimState,
    SimTiming,
    natural_key,
    place,
)
from weavefn.weaviate.port import BACKUP_ID, BackupInfo, BackupStatus

FAILED_MESSAGE = "backup failed: simulated upload error"


def status_at(
    elapsed: float, *, timing: SimTiming, restore: bool, failure: BackupFailure | None
) -> BackupStatus:
    """Where a backup (or restore) stands ``elapsed`` seconds after it started."""
    started = timing.restore_started_s if restore else timing.backup_started_s
    transferring = timing.restore_transferring_s if restore else timing.backup_transferring_s
    if failure is BackupFailure.STUCK or elapsed < started:
        return BackupStatus.STARTED
    if failure is BackupFailure.FAILED:
        return BackupStatus.FAILED
    if elapsed < started + transferring:
        return BackupStatus.TRANSFERRING
    return BackupStatus.SUCCESS


def advance(state: SimState, now: float) -> None:
    """Settle every backup and restore that has finished by ``now``, applying its effects."""
    for record in state.backups:
        if record.final is not None:
            continue
        status = status_at(
            now - record.started_at,
            timing=state.timing,
            restore=record.restore,
            failure=record.failure,
        )
        if status is BackupStatus.FAILED:
            record.final, record.error = status, FAILED_MESSAGE
        elif status is BackupStatus.SUCCESS:
            record.final = status
            if record.restore:
                _apply_restore(state, record)


def info(state: SimState, record: SimBackup, now: float) -> BackupInfo:
    status = record.final or status_at(
        now - record.started_at, timing=state.timing, restore=record.restore, failure=record.failure
    )
    return BackupInfo(
        id=record.id,
        backend=record.backend,
        status=status,
        classes=record.classes,
        path=f"{record.backend}://backups/{record.id}",
        error=record.error,
    )


def find(state: SimState, backend: str, backup_id: str, *, restore: bool) -> SimBackup:
    for record in state.backups:
        if (record.backend, record.id, record.restore) == (backend, backup_id, restore):
            return record
    what = "restore of backup" if restore else "backup"
    raise SimRefusal(404, f"{what} {backup_id!r} not found on backend {backend!r}")


def create(
    state: SimState, *, now: float, backend: str, backup_id: str, include: list[str] | None
) -> BackupInfo:
    _check_backend(state, backend)
    if not BACKUP_ID.match(backup_id):
        raise SimRefusal(422, f"invalid backup id {backup_id!r}: use a-z, 0-9, '_' and '-'")
    if any((b.backend, b.id) == (backend, backup_id) for b in state.backups if not b.restore):
        raise SimRefusal(422, f"backup {backup_id!r} already exists")
    for other in state.backups:
        if not other.restore and other.final is None:
            raise SimRefusal(422, f"backup {other.id!r} already in progress")
    names = include or [c.name for c in state.collections]
    missing = [n for n in names if state.collection(n) is None]
    if missing:
        raise SimRefusal(422, f"class {missing[0]!r} does not exist")
    if not names:
        raise SimRefusal(422, "no classes to back up")
    snapshot = [copy.deepcopy(c) for c in state.collections if c.name in names]
    holders = {r for c in snapshot for s in c.shards for r in s.replicas}
    down = sorted(n.name for n in state.nodes if n.name in holders and not n.ready)
    if down:
        raise SimRefusal(422, f"cannot back up: node {down[0]!r} is not available")
    record = SimBackup(
        id=backup_id,
        backend=backend,
        started_at=now,
        snapshot=snapshot,
        failure=state.next_backup_failure,
    )
    state.next_backup_failure = None
    state.backups.append(record)
    return info(state, record, now)


def start_restore(state: SimState, *, now: float, backend: str, backup_id: str) -> BackupInfo:
    _check_backend(state, backend)
    backup = find(state, backend, backup_id, restore=False)
    if backup.final is not BackupStatus.SUCCESS:
        raise SimRefusal(422, f"backup {backup_id!r} did not succeed; it cannot be restored")
    existing = [c.name for c in backup.snapshot if state.collection(c.name) is not None]
    if existing:
        raise SimRefusal(422, f"cannot restore class {existing[0]!r}: it already exists")
    for other in state.backups:
        if other.restore and other.final is None:
            raise SimRefusal(422, f"restore of {other.id!r} already in progress")
    state.backups = [
        b for b in state.backups if not (b.restore and (b.backend, b.id) == (backend, backup_id))
    ]
    record = SimBackup(
        id=backup_id,
        backend=backend,
        started_at=now,
        snapshot=copy.deepcopy(backup.snapshot),
        restore=True,
    )
    state.backups.append(record)
    return info(state, record, now)


def _check_backend(state: SimState, backend: str) -> None:
    if backend not in state.backends:
        raise SimRefusal(422, f"backup backend {backend!r} is not enabled")


def _apply_restore(state: SimState, record: SimBackup) -> None:
    ready = sorted((n.name for n in state.nodes if n.ready), key=natural_key)
    if not ready:
        record.final, record.error = BackupStatus.FAILED, "restore failed: no node is ready"
        return
    for index, saved in enumerate(record.snapshot):
        if state.collection(saved.name) is not None:
            continue
        factor = min(saved.factor, len(ready))
        placement = place(ready, shards=len(saved.shards), factor=factor, offset=index)
        state.collections.append(
            SimCollection(
                name=saved.name,
                factor=factor,
                shards=[
                    SimShard(name=s.name, replicas=nodes, objects=s.objects)
                    for s, nodes in zip(saved.shards, placement, strict=True)
                ],
            )
        )
