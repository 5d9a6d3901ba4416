"""Backup backends: which a cluster enables, and what each holds (descriptors, last restores).

Weaviate writes a backup's descriptor (``backup_config.json``: status, classes, the nodes that
held them, the server version) and, when it is restored, ``restore_config.json`` beside it in
the bucket. Every cluster configured with the same bucket and path sees them, which is what a
new cluster restores from. The filesystem backend writes to the node's own disk instead: its
backups are kept in the cluster's own state, invisible to any other cluster.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from weavefn.local.weaviate.state import (
    BackupFailure,
    SimBackup,
    SimCollection,
    SimRefusal,
    SimShard,
    SimState,
    SimTiming,
)
from weavefn.weaviate.port import BackupStatus

Shelf = dict[str, dict[str, Any]]
"""Backup id -> descriptor, at one location."""
Storage = dict[str, Shelf]
"""Location -> shelf: every bucket the simulated clusters write to."""
NOT_VIABLE = "local filesystem backend is not viable for backing up a node cluster, try s3 or gcs"


def check_backend(state: SimState, backend: str) -> None:
    """Weaviate's refusals of a backend, before anything else is looked at: a module not
    enabled, or the filesystem backend (not external) on more than one node."""
    if backend not in state.backends:
        raise SimRefusal(
            422,
            f"no backup backend {backend!r}: backup module not found, did you enable the "
            "right module?",
        )
    if backend == "filesystem" and len(state.nodes) > 1:
        raise SimRefusal(422, NOT_VIABLE)


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


def location(state: SimState, backend: str) -> str:
    """Where ``backend`` writes, from the nodes' settings (``s3://bucket/path``)."""
    return state.locations.get(backend) or f"{backend}://backups"


def shelf(state: SimState, storage: Storage, backend: str) -> Shelf:
    where = location(state, backend)
    if backend == "filesystem":
        local: Shelf = state.local_storage.setdefault(where, {})
        return local
    return storage.setdefault(where, {})


def describe(
    record: SimBackup, *, nodes: list[str], version: str, timing: SimTiming
) -> dict[str, Any]:
    """The descriptor a new backup writes at its start. Until the backup ends, its status
    follows from the time (as the writing cluster would have moved it on by then)."""
    return {
        "id": record.id,
        "backend": record.backend,
        "status": None,
        "error": None,
        "startedAt": record.started_at,
        "failure": str(record.failure) if record.failure else None,
        "timing": [timing.backup_started_s, timing.backup_transferring_s],
        "version": version,
        "nodes": nodes,
        "classes": list(record.classes),
        "snapshot": [asdict(c) for c in record.snapshot],
    }


def collections(descriptor: dict[str, Any]) -> list[SimCollection]:
    return [
        SimCollection(
            name=c["name"],
            factor=int(c["factor"]),
            shards=[SimShard(**s) for s in c["shards"]],
        )
        for c in descriptor["snapshot"]
    ]


def status_of(descriptor: dict[str, Any], now: float) -> BackupStatus:
    if descriptor["status"]:
        return BackupStatus(descriptor["status"])
    started, transferring = descriptor["timing"]
    failure = descriptor.get("failure")
    return status_at(
        now - float(descriptor["startedAt"]),
        timing=SimTiming(backup_started_s=started, backup_transferring_s=transferring),
        restore=False,
        failure=BackupFailure(failure) if failure else None,
    )


def nodes_holding(descriptor: dict[str, Any], classes: list[str]) -> list[str]:
    """The backup's nodes that held a replica of one of ``classes`` (the ones a restore asks)."""
    held = {
        node
        for c in descriptor["snapshot"]
        if c["name"] in classes
        for shard in c["shards"]
        for node in shard["replicas"]
    }
    return sorted(held)
