"""Simulated backups: Weaviate's refusals, progress over time, and the descriptor they leave.

The refusals and their messages follow Weaviate's backup scheduler
(``usecases/backup/scheduler.go``, ``coordinator.go``): an unknown backend, the filesystem
backend on more than one node (it is not external), an id already on the backend, a backup
already running, a class that does not exist, a node that holds data and is down.
"""

from __future__ import annotations

import copy

from weavefn.local.weaviate import restores, storage
from weavefn.local.weaviate.state import SimBackup, SimRefusal, SimState, natural_key
from weavefn.local.weaviate.storage import Storage, check_backend, status_at
from weavefn.model.units import Version
from weavefn.weaviate.port import BACKUP_ID, BackupInfo, BackupStatus

FAILED_MESSAGE = "backup failed: simulated upload error"


def advance(state: SimState, store: Storage, now: float) -> None:
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
        if record.restore:
            if status.finished:
                restores.finish(state, store, record, status)
            continue
        if status is BackupStatus.FAILED:
            record.final, record.error = status, FAILED_MESSAGE
        elif status is BackupStatus.SUCCESS:
            record.final = status
        if record.final is not None:
            found = storage.shelf(state, store, record.backend).get(record.id)
            if found is not None:
                found.update(status=str(record.final), error=record.error)


def info(state: SimState, store: Storage, backend: str, backup_id: str, now: float) -> BackupInfo:
    """``GET /v1/backups/{backend}/{id}``: the running backup, else what the backend holds."""
    check_backend(state, backend)
    descriptor = storage.shelf(state, store, backend).get(backup_id)
    if descriptor is None:
        raise SimRefusal(404, f"backup id {backup_id!r} does not exist on backend {backend!r}")
    return BackupInfo(
        id=backup_id,
        backend=backend,
        status=storage.status_of(descriptor, now),
        classes=tuple(descriptor["classes"]),
        path=f"{storage.location(state, backend)}/{backup_id}",
        error=descriptor.get("error"),
    )


def listing(state: SimState, store: Storage, backend: str, now: float) -> list[BackupInfo]:
    """``GET /v1/backups/{backend}`` (1.27+): every backup at the location, newest first."""
    check_backend(state, backend)
    found = storage.shelf(state, store, backend)
    ordered = sorted(found.values(), key=lambda d: float(d["startedAt"]), reverse=True)
    return [info(state, store, backend, d["id"], now) for d in ordered]


def create(
    state: SimState,
    store: Storage,
    *,
    now: float,
    backend: str,
    backup_id: str,
    include: list[str] | None,
) -> BackupInfo:
    check_backend(state, backend)
    if not BACKUP_ID.match(backup_id):
        raise SimRefusal(422, f"invalid backup id {backup_id!r}: use a-z, 0-9, '_' and '-'")
    where = storage.location(state, backend)
    if backup_id in storage.shelf(state, store, backend):
        raise SimRefusal(422, f"backup {backup_id!r} already exists at {where}/{backup_id}")
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
    holders = sorted({r for c in snapshot for s in c.shards for r in s.replicas}, key=natural_key)
    down = [n.name for n in state.nodes if n.name in holders and not n.ready]
    if down:
        raise SimRefusal(422, f"cannot back up: node {down[0]!r} is not available")
    record = SimBackup(
        id=backup_id,
        backend=backend,
        started_at=now,
        snapshot=snapshot,
        failure=state.next_backup_failure,
        location=where,
    )
    state.next_backup_failure = None
    state.backups.append(record)
    descriptor = storage.describe(
        record, nodes=holders, version=_server_version(state), timing=state.timing
    )
    storage.shelf(state, store, backend)[backup_id] = descriptor
    return info(state, store, backend, backup_id, now)


def _server_version(state: SimState) -> str:
    """The version the descriptor records: the oldest node's, as a mixed cluster writes."""
    versions = []
    for node in state.nodes:
        try:
            versions.append(Version.parse(node.version))
        except ValueError:
            continue
    return str(min(versions)) if versions else ""
