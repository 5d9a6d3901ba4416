"""EmbeddedWeaviateApi: the WeaviateApi port served in process by an EmbeddedWeaviate, with no HTTP.

Refusals become the same weavefn errors WeaviateHttpApi raises for the same HTTP status, so
code that runs against the embedded cluster behaves as it would against a real one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from weavefn.errors import NotFoundError
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import SimRefusal
from weavefn.weaviate.port import (
    BackupInfo,
    CollectionSharding,
    NodeInfo,
    RaftStatistics,
    ReplicationKind,
    ReplicationOp,
    ShardingState,
    WeaviateApi,
    error_for_status,
    replication_kind,
    require_names,
    validate_backup_id,
)

T = TypeVar("T")


@contextmanager
def _refusals(*, feature_gate: bool = False) -> Iterator[None]:
    try:
        yield
    except SimRefusal as refusal:
        message = refusal.sent_message  # what WeaviateHttpApi would read from the same answer
        raise error_for_status(refusal.status, message, feature_gate=feature_gate) from None


class EmbeddedWeaviateApi:
    """The WeaviateApi port against a simulation; ``node`` pins the answering node."""

    def __init__(self, sim: EmbeddedWeaviate, *, node: str | None = None) -> None:
        self.sim = sim
        self.node = node

    def _run(self, call: Callable[[], T], *, feature_gate: bool = False) -> T:
        with _refusals(feature_gate=feature_gate):
            return call()

    def nodes(self) -> list[NodeInfo]:
        return self._run(lambda: self.sim.nodes(via=self.node))

    def cluster_statistics(self) -> RaftStatistics:
        return self._run(lambda: self.sim.cluster_statistics(via=self.node))

    def create_backup(
        self, backend: str, backup_id: str, *, include: list[str] | None = None
    ) -> BackupInfo:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        return self._run(
            lambda: self.sim.create_backup(backend, backup_id, include=include, via=self.node)
        )

    def backup_status(self, backend: str, backup_id: str) -> BackupInfo:
        return self._run(lambda: self.sim.backup_status(backend, backup_id, via=self.node))

    def list_backups(self, backend: str) -> list[BackupInfo]:
        require_names(backend=backend)
        return self._run(lambda: self.sim.list_backups(backend, via=self.node))

    def restore_backup(
        self,
        backend: str,
        backup_id: str,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        node_mapping: dict[str, str] | None = None,
    ) -> BackupInfo:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        return self._run(
            lambda: self.sim.restore_backup(
                backend,
                backup_id,
                include=include,
                exclude=exclude,
                node_mapping=node_mapping,
                via=self.node,
            )
        )

    def restore_status(self, backend: str, backup_id: str) -> BackupInfo:
        return self._run(lambda: self.sim.restore_status(backend, backup_id, via=self.node))

    def cancel_restore(self, backend: str, backup_id: str) -> None:
        require_names(backend=backend)
        validate_backup_id(backup_id)
        self._run(lambda: self.sim.cancel_restore(backend, backup_id, via=self.node))

    def collections(self) -> list[str]:
        return [name for name, _, _ in self._run(lambda: self.sim.collections(via=self.node))]

    def sharding_state(self, collection: str | None = None) -> ShardingState:
        if collection is not None:
            return ShardingState(collections=(self._sharding(collection),))
        parts = []
        for name in self.collections():
            try:
                parts.append(self._sharding(name))
            except NotFoundError:
                continue  # dropped since the schema was read, as WeaviateHttpApi skips it
        return ShardingState(collections=tuple(parts))

    def _sharding(self, collection: str) -> CollectionSharding:
        return self._run(
            lambda: self.sim.sharding_state(collection, via=self.node), feature_gate=True
        )

    def replicate(
        self,
        *,
        collection: str,
        shard: str,
        source_node: str,
        target_node: str,
        kind: ReplicationKind,
    ) -> str:
        require_names(
            collection=collection, shard=shard, source_node=source_node, target_node=target_node
        )
        return self._run(
            lambda: self.sim.replicate(
                collection=collection,
                shard=shard,
                source_node=source_node,
                target_node=target_node,
                kind=replication_kind(kind),
                via=self.node,
            ),
            feature_gate=True,
        )

    def replication_operation(self, op_id: str) -> ReplicationOp:
        return self._run(lambda: self.sim.replication_operation(op_id, via=self.node))

    def set_shard_ready(self, collection: str, shard: str) -> None:
        self._run(lambda: self.sim.set_shard_ready(collection, shard, via=self.node))


if TYPE_CHECKING:

    def _conforms(api: EmbeddedWeaviateApi) -> WeaviateApi:
        return api
