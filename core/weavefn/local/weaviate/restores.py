"""Simulated restores, refused and carried out as Weaviate does (its backup scheduler,
``usecases/backup/scheduler.go`` validateRestoreRequest, and coordinator.go).

At the request: an unknown backend, the filesystem backend on more than one node, include
with exclude, an include listed twice, an unknown backup (404), one that did not succeed, an
included class the backup lacks, nothing left to restore, a restore already running (422);
a node of the backup (after ``node_mapping``) that is not a member of the cluster is a plain
error, which Weaviate answers 500 ("cannot resolve hostname"). A class that already exists is
not refused then: the restore transfers, and its schema step fails that class (the raft
apply refuses it, ``cluster/schema/manager.go``), restoring the others and ending FAILED.
The last restore's status stays on the backend, so a later ``GET .../restore`` of the same
backup reports it, from any cluster that reads that bucket.
"""

from __future__ import annotations

import copy
from typing import Any

from weavefn.local.weaviate import storage
from weavefn.local.weaviate.state import (
    SimBackup,
    SimCollection,
    SimRefusal,
    SimShard,
    SimState,
)
from weavefn.local.weaviate.storage import Storage, check_backend, status_at
from weavefn.weaviate.port import BackupInfo, BackupStatus

FAILED_MESSAGE = "restore failed: simulated download error"


def _selected(
    descriptor: dict[str, Any], include: list[str], exclude: list[str]
) -> list[SimCollection]:
    classes = list(descriptor["classes"])
    if include:
        missing = next((c for c in include if c not in classes), None)
        if missing is not None:
            raise SimRefusal(
                422, f"class {missing} doesn't exist in the backup, but does have {classes}: "
            )
        chosen = [c for c in classes if c in include]
    else:
        chosen = [c for c in classes if c not in exclude]
    if not chosen:
        raise SimRefusal(422, f"nothing left to restore: please choose from : {classes}")
    return [c for c in storage.collections(descriptor) if c.name in chosen]


def start(
    state: SimState,
    store: Storage,
    *,
    now: float,
    backend: str,
    backup_id: str,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    node_mapping: dict[str, str] | None = None,
) -> BackupInfo:
    check_backend(state, backend)
    include, exclude, mapping = list(include or ()), list(exclude or ()), dict(node_mapping or {})
    if include and exclude:
        raise SimRefusal(
            422, "malformed request: 'include' and 'exclude' cannot both contain values"
        )
    duplicate = next((c for i, c in enumerate(include) if c in include[:i]), None)
    if duplicate is not None:
        raise SimRefusal(422, f"class list 'include' contains duplicate: {duplicate}")
    descriptor = storage.shelf(state, store, backend).get(backup_id)
    if descriptor is None:
        raise SimRefusal(404, f"backup id {backup_id!r} does not exist")
    found = storage.status_of(descriptor, now)
    if found is not BackupStatus.SUCCESS:
        raise SimRefusal(
            422,
            f"invalid backup in scheduler {storage.location(state, backend)}/{backup_id} "
            f"status: {found}",
        )
    snapshot = _selected(descriptor, include, exclude)
    running = next((r for r in state.backups if r.restore and r.final is None), None)
    if running is not None:
        raise SimRefusal(422, f"restoration {running.id} already in progress")
    members = {n.name for n in state.nodes}
    for node in storage.nodes_holding(descriptor, [c.name for c in snapshot]):
        target = mapping.get(node, node)
        if target not in members:
            raise SimRefusal(
                500,
                f"cannot resolve hostname for {target!r}, nodes={sorted(members)}, "
                f"nodeMapping={mapping}",
            )
    record = SimBackup(
        id=backup_id,
        backend=backend,
        started_at=now,
        snapshot=copy.deepcopy(snapshot),
        restore=True,
        failure=state.next_restore_failure,
        location=storage.location(state, backend),
        node_mapping=mapping,
    )
    state.next_restore_failure = None
    state.backups = [
        b for b in state.backups if not (b.restore and (b.backend, b.id) == (backend, backup_id))
    ]
    state.backups.append(record)
    descriptor["restore"] = {"status": str(BackupStatus.STARTED), "error": None}
    return _info(state, record, BackupStatus.STARTED, None)


def status(state: SimState, store: Storage, backend: str, backup_id: str, now: float) -> BackupInfo:
    """``GET .../restore``: this cluster's running restore, else the last one on the backend."""
    check_backend(state, backend)
    for record in state.backups:
        if (
            record.restore
            and record.final is None
            and (record.backend, record.id)
            == (
                backend,
                backup_id,
            )
        ):
            seen = status_at(
                now - record.started_at,
                timing=state.timing,
                restore=True,
                failure=record.failure,
            )
            return _info(state, record, seen, None)
    descriptor = storage.shelf(state, store, backend).get(backup_id)
    last = (descriptor or {}).get("restore")
    if not isinstance(last, dict):
        raise SimRefusal(404, f"restore of backup {backup_id!r} not found on backend {backend!r}")
    return BackupInfo(
        id=backup_id,
        backend=backend,
        status=BackupStatus(last["status"]),
        path=f"{storage.location(state, backend)}/{backup_id}",
        error=last.get("error"),
    )


CANCELED_MESSAGE = "restore canceled by user"


def cancel(state: SimState, store: Storage, backend: str, backup_id: str) -> None:
    """``DELETE .../restore`` (1.36+): a running restore ends CANCELED, nothing of it applied.

    As Weaviate's CancelRestore: one already CANCELED is no error, nor is a backup never
    restored; one that ended SUCCESS is refused (422). One that ended FAILED is marked CANCELED.
    """
    check_backend(state, backend)
    running = next(
        (
            r
            for r in state.backups
            if r.restore and r.final is None and (r.backend, r.id) == (backend, backup_id)
        ),
        None,
    )
    descriptor = storage.shelf(state, store, backend).get(backup_id)
    last = (descriptor or {}).get("restore")
    if running is None and isinstance(last, dict) and last.get("status") == "SUCCESS":
        raise SimRefusal(422, f"restore {backup_id!r} already succeeded")
    if running is not None:
        running.final, running.error = BackupStatus.CANCELED, CANCELED_MESSAGE
    if descriptor is not None and (running is not None or isinstance(last, dict)):
        descriptor["restore"] = {"status": str(BackupStatus.CANCELED), "error": CANCELED_MESSAGE}


def finish(state: SimState, store: Storage, record: SimBackup, final: BackupStatus) -> None:
    """Apply a restore that reached ``final``; write its outcome beside the backup."""
    error: str | None = None
    if final is BackupStatus.FAILED:
        error = FAILED_MESSAGE
    else:
        error = _apply(state, record)
        if error is not None:
            final = BackupStatus.FAILED
    record.final, record.error = final, error
    descriptor = storage.shelf(state, store, record.backend).get(record.id)
    if descriptor is not None:
        descriptor["restore"] = {"status": str(final), "error": error}


def _apply(state: SimState, record: SimBackup) -> str | None:
    """Recreate each collection on the (mapped) nodes that held it; say which were refused."""
    members = {n.name for n in state.nodes}
    refused = []
    for saved in record.snapshot:
        existing = next(
            (c.name for c in state.collections if c.name.lower() == saved.name.lower()), None
        )
        if existing is not None:
            refused.append(f'"{saved.name}": class name {existing} already exists')
            continue
        shards = []
        for shard in saved.shards:
            nodes = [record.node_mapping.get(n, n) for n in shard.replicas]
            gone = [n for n in nodes if n not in members]
            if gone:
                return f"restore class {saved.name!r}: node {gone[0]!r} left the cluster"
            shards.append(SimShard(name=shard.name, replicas=nodes, objects=shard.objects))
        state.collections.append(SimCollection(name=saved.name, factor=saved.factor, shards=shards))
    if refused:
        return f"could not restore classes: [{' '.join(refused)}]"
    return None


def _info(
    state: SimState, record: SimBackup, status: BackupStatus, error: str | None
) -> BackupInfo:
    return BackupInfo(
        id=record.id,
        backend=record.backend,
        status=status,
        classes=record.classes,
        path=f"{record.location or storage.location(state, record.backend)}/{record.id}",
        error=error,
    )
