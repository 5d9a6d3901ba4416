"""What Weaviate says about a cluster and a backup, read for the restore checks."""

from __future__ import annotations

from typing import Protocol

from weavefn.errors import NotFoundError, TerminalError
from weavefn.lifecycle.restore.checks import Facts, RestoreAsk
from weavefn.model.status import BackupRecord
from weavefn.weaviate import releases
from weavefn.weaviate.port import (
    BackupInfo,
    NodeInfo,
    NodeStatus,
    WeaviateHealth,
    WeaviateRestores,
)


class RestoreReader(WeaviateHealth, WeaviateRestores, Protocol):
    """The reads and the requests of a restore: nodes, schema, the backup, its restore and
    cancelling it (1.36+)."""

    def collections(self) -> list[str]: ...

    def backup_status(self, backend: str, backup_id: str) -> BackupInfo: ...


def oldest_version(nodes: list[NodeInfo]) -> str | None:
    """The oldest version any answering node runs: what restored data must be read by."""
    versions = [v for n in nodes if (v := releases.parse(n.version)) is not None]
    return str(min(versions)) if versions else None


def _recorded_classes(ask: RestoreAsk, records: list[BackupRecord]) -> tuple[str, ...] | None:
    for record in records:
        if record.id == ask.backup_id and record.reason != "restore" and record.classes:
            return tuple(record.classes)
    return None


def read_facts(api: RestoreReader, ask: RestoreAsk, *, records: list[BackupRecord]) -> Facts:
    """Nodes, collections and the backup, as Weaviate answers now.

    The backup's classes come from weavefn's record of it, else from the backup list
    (``releases.lists_backups``); otherwise they stay unknown and only Weaviate can tell.
    UnavailableError propagates: the caller asks again later.
    """
    nodes = api.nodes()
    version = oldest_version(nodes)
    collections = tuple(api.collections())
    status, error = None, None
    try:
        status = api.backup_status(ask.backend, ask.backup_id).status
    except NotFoundError:
        pass
    except TerminalError as refused:
        error = str(refused)
    classes = _recorded_classes(ask, records)
    if classes is None and status is not None and version and releases.lists_backups(version):
        try:
            listed = api.list_backups(ask.backend)
        except TerminalError:
            listed = []
        found = next((b for b in listed if b.id == ask.backup_id), None)
        classes = found.classes if found is not None else None
    return Facts(
        version=version,
        nodes=tuple(n.name for n in nodes),
        unhealthy=tuple(n.name for n in nodes if n.status is not NodeStatus.HEALTHY),
        collections=collections,
        backup=status,
        backup_classes=classes,
        error=error,
    )
