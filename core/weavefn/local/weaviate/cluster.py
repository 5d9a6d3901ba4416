"""EmbeddedWeaviate: one simulated Weaviate cluster, advanced lazily by an injected clock.

Membership comes from outside (``sync_nodes``, fed from pods); data placement, backups,
replica movement and Raft agreement follow Weaviate's rules. Every request method takes
``via``, the node answering it (None: any ready node, as a Service would pick), and raises
SimRefusal with the HTTP status Weaviate would answer. EmbeddedWeaviateApi (api.py) and the
fake HTTP server in the tests are thin shells over these methods.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from weavefn.local.weaviate import backups, health, replication, restores
from weavefn.local.weaviate.state import (
    BackupFailure,
    LostReplica,
    PodNode,
    RefusalBody,
    SimCollection,
    SimNode,
    SimRefusal,
    SimShard,
    SimState,
    SimTiming,
    default_voters,
    natural_key,
    place,
    shard_name,
    state_from_dict,
    state_to_dict,
)
from weavefn.local.weaviate.storage import Storage
from weavefn.model.units import Version
from weavefn.weaviate import releases
from weavefn.weaviate.port import (
    BackupInfo,
    CollectionSharding,
    NodeInfo,
    RaftStatistics,
    ReplicationKind,
    ReplicationOp,
    ShardReplicas,
)
from weavefn.weaviate.releases import REPLICA_MOVEMENT_SINCE

Clock = Callable[[], float]

__all__ = [
    "BackupFailure",
    "EmbeddedWeaviate",
    "LostReplica",
    "PodNode",
    "SimRefusal",
    "SimTiming",
]


class EmbeddedWeaviate:
    """One simulated Weaviate cluster. Not thread-safe: callers serialize access."""

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        timing: SimTiming | None = None,
        state: SimState | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.clock = clock
        self.state = state or SimState(timing=timing or SimTiming())
        self.storage: Storage = {} if storage is None else storage
        """The buckets backups are written to; share one dict between clusters that share
        a bucket (the local cluster keeps one in its saved state)."""

    @classmethod
    def seeded(
        cls,
        nodes: list[str],
        *,
        collections: int,
        shards_per_collection: int,
        replication_factor: int,
        seed: int,
        version: str = REPLICA_MOVEMENT_SINCE,
        clock: Clock = time.time,
        timing: SimTiming | None = None,
        storage: Storage | None = None,
    ) -> EmbeddedWeaviate:
        """A cluster of ready nodes holding deterministic data (same seed, same placement)."""
        sim = cls(clock=clock, timing=timing, storage=storage)
        sim.sync_nodes([PodNode(name, True, version) for name in nodes])
        rng = random.Random(seed)  # nosec B311 # deterministic simulated placement
        for index in range(collections):
            sim.add_collection(
                f"Collection{index + 1}",
                shards=shards_per_collection,
                replication_factor=replication_factor,
                rng=rng,
            )
        return sim

    # persistence

    def to_dict(self) -> dict[str, Any]:
        return state_to_dict(self.state)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, clock: Clock = time.time, storage: Storage | None = None
    ) -> EmbeddedWeaviate:
        return cls(clock=clock, state=state_from_dict(data), storage=storage)

    # driven from outside: membership, data, failures

    def sync_nodes(self, nodes: list[PodNode]) -> None:
        """Make membership match the pods. Joining nodes hold nothing; leaving ones lose data."""
        self._advance()
        state = self.state
        seen = {view.name for view in nodes}
        for view in nodes:
            node = state.node(view.name)
            if node is None:
                state.nodes.append(
                    SimNode(
                        view.name, view.version, view.ready, replica_movement=view.replica_movement
                    )
                )
            else:
                node.ready, node.version = view.ready, view.version
                node.replica_movement = view.replica_movement
        for gone in [n.name for n in state.nodes if n.name not in seen]:
            self._remove_node(gone)
        state.nodes.sort(key=lambda n: natural_key(n.name))
        if not state.voters and state.nodes:
            state.voters = default_voters([n.name for n in state.nodes])

    def set_voters(self, names: list[str]) -> None:
        self.state.voters = list(names)

    def configure_backups(self, backends: list[str], locations: dict[str, str]) -> None:
        """The backup modules the nodes enable and where each writes (their environment)."""
        self.state.backends = list(backends)
        self.state.locations = dict(locations)

    def drop_collection(self, name: str) -> None:
        """``DELETE /v1/schema/{class}``: the collection and its objects are gone."""
        self.state.collections = [c for c in self.state.collections if c.name != name]

    def add_collection(
        self,
        name: str,
        *,
        shards: int,
        replication_factor: int,
        rng: random.Random | None = None,
    ) -> None:
        rng = rng or random.Random(name)  # nosec B311 # deterministic simulated placement
        members = [n.name for n in self.state.nodes]
        placement = place(
            members, shards=shards, factor=replication_factor, offset=rng.randrange(len(members))
        )
        self.state.collections.append(
            SimCollection(
                name=name,
                factor=replication_factor,
                shards=[
                    SimShard(shard_name(rng), replicas, objects=rng.randint(100, 10_000))
                    for replicas in placement
                ],
            )
        )

    def fail_next_backup(self, mode: BackupFailure) -> None:
        self.state.next_backup_failure = mode

    def fail_next_restore(self, mode: BackupFailure) -> None:
        self.state.next_restore_failure = mode

    def fail_next_replication(self, message: str) -> None:
        """The next replica operation ends CANCELLED with this error after hydrating."""
        self.state.next_replication_failure = message

    def set_node_healthy(self, name: str, healthy: bool) -> None:
        self._member(name).healthy = healthy

    def set_raft_synchronized(self, synchronized: bool) -> None:
        self.state.raft_desynchronized = not synchronized

    def set_replica_movement(self, enabled: bool) -> None:
        """Replica movement switched on or off on every node whose environment is not known."""
        self.state.replica_movement_enabled = enabled

    def set_shard_readonly(self, collection: str, shard: str) -> None:
        """What Weaviate does when a disk crosses DISK_USE_READONLY_PERCENTAGE."""
        self._shard(collection, shard).status = "READONLY"

    # observations for tests and the local cluster

    def lost_replicas(self) -> list[LostReplica]:
        return list(self.state.lost)

    def shard_status(self, collection: str, shard: str) -> str:
        return self._shard(collection, shard).status

    # the REST API, one method per endpoint

    def nodes(self, *, via: str | None = None) -> list[NodeInfo]:
        self._answering(via)
        return [health.node_info(self.state, node) for node in self.state.nodes]

    def cluster_statistics(self, *, via: str | None = None) -> RaftStatistics:
        self._answering(via)
        return health.raft_statistics(self.state)

    def create_backup(
        self,
        backend: str,
        backup_id: str,
        *,
        include: list[str] | None = None,
        via: str | None = None,
    ) -> BackupInfo:
        self._answering(via)
        return backups.create(
            self.state,
            self.storage,
            now=self.clock(),
            backend=backend,
            backup_id=backup_id,
            include=include,
        )

    def backup_status(self, backend: str, backup_id: str, *, via: str | None = None) -> BackupInfo:
        self._answering(via)
        return backups.info(self.state, self.storage, backend, backup_id, self.clock())

    def list_backups(self, backend: str, *, via: str | None = None) -> list[BackupInfo]:
        node = self._answering(via)
        if not releases.lists_backups(node.version):
            raise SimRefusal(500, "not implemented")
        return backups.listing(self.state, self.storage, backend, self.clock())

    def restore_backup(
        self,
        backend: str,
        backup_id: str,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        node_mapping: dict[str, str] | None = None,
        via: str | None = None,
    ) -> BackupInfo:
        self._answering(via)
        return restores.start(
            self.state,
            self.storage,
            now=self.clock(),
            backend=backend,
            backup_id=backup_id,
            include=include,
            exclude=exclude,
            node_mapping=node_mapping,
        )

    def restore_status(self, backend: str, backup_id: str, *, via: str | None = None) -> BackupInfo:
        self._answering(via)
        return restores.status(self.state, self.storage, backend, backup_id, self.clock())

    def cancel_restore(self, backend: str, backup_id: str, *, via: str | None = None) -> None:
        node = self._answering(via)
        if not releases.cancels_restores(node.version):
            # the route has GET and POST only: go-openapi's router answers 405
            raise SimRefusal(
                405, "method DELETE is not allowed, but [GET,POST] are", body=RefusalBody.ROUTE
            )
        restores.cancel(self.state, self.storage, backend, backup_id)

    def collections(self, *, via: str | None = None) -> list[tuple[str, int, int]]:
        """(name, replication factor, shard count) of every collection, as the schema says."""
        self._answering(via)
        return [(c.name, c.factor, len(c.shards)) for c in self.state.collections]

    def sharding_state(self, collection: str, *, via: str | None = None) -> CollectionSharding:
        self._replica_movement_api(via, "/v1/replication/sharding-state")
        coll = self.state.collection(collection)
        if coll is None:
            # handlers_replicate.go: NewGetCollectionShardingStateNotFound(), no payload
            raise SimRefusal(404, f"collection {collection!r} not found", body=RefusalBody.EMPTY)
        return CollectionSharding(
            collection=coll.name,
            shards=tuple(ShardReplicas(s.name, tuple(s.replicas)) for s in coll.shards),
        )

    def replicate(
        self,
        *,
        collection: str,
        shard: str,
        source_node: str,
        target_node: str,
        kind: ReplicationKind,
        via: str | None = None,
    ) -> str:
        self._replica_movement_api(via, "/v1/replication/replicate")
        return replication.start(
            self.state,
            now=self.clock(),
            collection=collection,
            shard=shard,
            source=source_node,
            target=target_node,
            kind=kind,
        )

    def replication_operation(self, op_id: str, *, via: str | None = None) -> ReplicationOp:
        self._replica_movement_api(via, f"/v1/replication/replicate/{op_id}")
        return replication.view(self.state, replication.find(self.state, op_id), self.clock())

    def set_shard_ready(self, collection: str, shard: str, *, via: str | None = None) -> None:
        self._answering(via)
        self._shard(collection, shard).status = "READY"

    # internals

    def _advance(self) -> None:
        now = self.clock()
        replication.advance(self.state, now)
        backups.advance(self.state, self.storage, now)

    def _answering(self, via: str | None) -> SimNode:
        """Advance time, then pick the node that answers; a node that is down cannot."""
        self._advance()
        if via is None:
            node = next((n for n in self.state.nodes if n.ready), None)
            if node is None:
                raise SimRefusal(503, "no Weaviate node is ready")
            return node
        node = self.state.node(via)
        if node is None or not node.ready:
            raise SimRefusal(503, f"node {via!r} is not ready")
        return node

    def _replica_movement_api(self, via: str | None, path: str) -> None:
        node = self._answering(via)
        # Across a rolling upgrade the oldest ready node decides what the cluster can do.
        nodes = [node] if via else [n for n in self.state.nodes if n.ready]
        if any(_below(n.version, REPLICA_MOVEMENT_SINCE) for n in nodes):
            raise SimRefusal(404, f"path {path} was not found", body=RefusalBody.ROUTE)
        # Each node reads its own switch (REPLICA_MOVEMENT_DISABLED or _ENABLED, by release);
        # one that has it off answers 501 to every replication request.
        off = next((n for n in nodes if not self._movement_on(n)), None)
        if off is not None:
            switch = releases.movement_switch(off.version) or releases.MOVEMENT_ENABLED_VAR
            raise SimRefusal(
                501,
                f"replica movement is disabled ({switch}, {off.version})",
                body=RefusalBody.EMPTY,
            )

    def _movement_on(self, node: SimNode) -> bool:
        known = node.replica_movement
        return self.state.replica_movement_enabled if known is None else known

    def _remove_node(self, name: str) -> None:
        state = self.state
        for coll in state.collections:
            for shard in coll.shards:
                if name in shard.replicas:
                    shard.replicas.remove(name)
                    state.lost.append(LostReplica(coll.name, shard.name, name, not shard.replicas))
        for op in state.ops:
            if op.final is None and name in (op.source, op.target):
                replication.cancel(op, f"node {name!r} left the cluster")
        state.nodes = [n for n in state.nodes if n.name != name]

    def _member(self, name: str) -> SimNode:
        node = self.state.node(name)
        if node is None:
            raise KeyError(f"no simulated node {name!r}")
        return node

    def _shard(self, collection: str, shard: str) -> SimShard:
        coll = self.state.collection(collection)
        entry = coll.shard(shard) if coll else None
        if entry is None:
            raise SimRefusal(404, f"shard {shard!r} of collection {collection!r} not found")
        return entry


def _below(version: str, floor: str) -> bool:
    try:
        return Version.parse(version) < Version.parse(floor)
    except ValueError:
        return True  # an unreadable tag promises nothing
