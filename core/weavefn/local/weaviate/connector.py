"""The embedded Weaviate of the local cluster: one EmbeddedWeaviate per cluster, fed by its pods.

Each simulation lives in ``kube.extras["weaviate"]["<ns>/<name>"]`` as ``EmbeddedWeaviate.to_dict``,
so it is saved with the local cluster between CLI runs. Every API call loads it, makes its
membership match the pods (pod name = node name, version from the image tag, ready from the
Ready condition), answers, and saves it back: a pod restarted by a rollout is a node that is
down, then back on its new version.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from weavefn.kube.port import Obj, ObjectRef
from weavefn.local.kube import LocalKube
from weavefn.local.weaviate.api import EmbeddedWeaviateApi
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import PodNode, natural_key
from weavefn.model.resource import API_VERSION, KIND, WeaviateCluster, parse_cluster
from weavefn.render.labels import INSTANCE_LABEL
from weavefn.weaviate import releases
from weavefn.weaviate.port import (
    BackupInfo,
    NodeInfo,
    RaftStatistics,
    ReplicationKind,
    ReplicationOp,
    ShardingState,
)

EXTRAS_KEY = "weaviate"
STORAGE_KEY = "weaviate-backups"
"""The buckets every simulated cluster writes its backups to (shared: a new cluster restores
from what another wrote)."""
# Where each backup module writes, from the variables Weaviate reads (modules/backup-*).
_LOCATION_VARS = {
    "s3": ("BACKUP_S3_BUCKET", "BACKUP_S3_PATH"),
    "gcs": ("BACKUP_GCS_BUCKET", "BACKUP_GCS_PATH"),
    "azure": ("BACKUP_AZURE_CONTAINER", "BACKUP_AZURE_PATH"),
    "filesystem": ("BACKUP_FILESYSTEM_PATH", ""),
}
SEED_COLLECTIONS = 3
SEED_SHARDS = 3
T = TypeVar("T")
# One lock for every simulation: a pass touches one cluster, so contention is negligible.
_LOCK = threading.RLock()


def _plain_env(pod: Obj) -> dict[str, str]:
    container: Obj = next(
        (c for c in pod.get("spec", {}).get("containers", []) if c.get("name") == "weaviate"),
        {},
    )
    return {
        str(e.get("name")): str(e["value"])
        for e in container.get("env") or ()
        if isinstance(e, dict) and "value" in e
    }


def backup_settings(pods: list[Obj]) -> tuple[list[str], dict[str, str]] | None:
    """The backup backends the pods enable (ENABLE_MODULES) and where each writes, or None
    when the pods do not say (then every backend is on, each at one shared place)."""
    for pod in sorted(pods, key=lambda p: natural_key(p["metadata"]["name"])):
        env = _plain_env(pod)
        if "ENABLE_MODULES" not in env:
            continue
        modules = [m.strip() for m in env["ENABLE_MODULES"].split(",")]
        backends = [m.removeprefix("backup-") for m in modules if m.startswith("backup-")]
        locations = {}
        for backend in backends:
            bucket_var, path_var = _LOCATION_VARS.get(backend, ("", ""))
            bucket = env.get(bucket_var, "default") if bucket_var else "default"
            path = env.get(path_var, "") if path_var else ""
            locations[backend] = f"{backend}://{bucket}" + (f"/{path}" if path else "")
        return backends, locations
    return None


def node_views(pods: list[Obj]) -> list[PodNode]:
    """Each pod as the Weaviate node it runs: name, readiness, version from the image tag, and
    replica movement as that release reads the container's environment."""
    views = []
    for pod in pods:
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions", [])
        )
        container: Obj = next(
            (c for c in pod.get("spec", {}).get("containers", []) if c.get("name") == "weaviate"),
            {},
        )
        version = str(container.get("image", "")).rpartition(":")[2]
        env = _plain_env(pod)
        movement = releases.movement_on(version, env)
        views.append(PodNode(pod["metadata"]["name"], ready, version, movement))
    return sorted(views, key=lambda v: natural_key(v.name))


def sims(kube: LocalKube) -> dict[str, Any]:
    found: dict[str, Any] = kube.extras.setdefault(EXTRAS_KEY, {})
    return found


def backup_storage(kube: LocalKube) -> dict[str, Any]:
    found: dict[str, Any] = kube.extras.setdefault(STORAGE_KEY, {})
    return found


@contextmanager
def edit_sim(kube: LocalKube, key: str) -> Iterator[EmbeddedWeaviate]:
    """The saved simulation of cluster ``key`` (``ns/name``), written back on exit.

    For tests and demos that inject failures: ``sim.set_node_healthy(...)``,
    ``sim.fail_next_backup(...)``, ``sim.set_raft_synchronized(False)``. Its reads of the
    cluster are the harness's own: never recorded, never faulted.
    """
    namespace, _, name = key.partition("/")
    with _LOCK:
        pods = [
            p
            for p in kube.list("v1", "Pod", namespace)
            if p["metadata"].get("labels", {}).get(INSTANCE_LABEL) == name
        ]
        saved = sims(kube).get(key)
        if saved is not None:
            sim = EmbeddedWeaviate.from_dict(saved, clock=kube.clock, storage=backup_storage(kube))
        else:  # nothing asked Weaviate yet: seed it from the pods now
            raw = kube.peek(ObjectRef(API_VERSION, KIND, namespace, name))
            if raw is None:
                raise KeyError(f"{key!r} is not a WeaviateCluster")
            views = node_views(pods)
            if not views:
                raise KeyError(f"{key!r} has no pods yet: reconcile it first")
            sim = _seed(parse_cluster(raw), views, kube.clock, backup_storage(kube))
            sim.sync_nodes(views)
        settings = backup_settings(pods)
        if settings is not None:
            sim.configure_backups(*settings)
        yield sim
        sims(kube)[key] = sim.to_dict()


def _seed(
    cluster: WeaviateCluster,
    views: list[PodNode],
    clock: Callable[[], float],
    storage: dict[str, Any],
) -> EmbeddedWeaviate:
    names = [v.name for v in views]
    # A cluster created from a backup starts empty: its data is what the restore brings.
    seeded = 0 if cluster.spec.restore_from is not None else SEED_COLLECTIONS
    sim = EmbeddedWeaviate.seeded(
        names,
        collections=seeded,
        shards_per_collection=SEED_SHARDS,
        replication_factor=max(1, min(cluster.spec.replication.factor, len(names))),
        seed=zlib.crc32(cluster.key.encode()),
        version=views[0].version or cluster.spec.version,
        clock=clock,
        storage=storage,
    )
    sim.set_replica_movement(cluster.spec.replication.replica_movement)
    return sim


class LocalWeaviateApi:
    """The WeaviateApi port over the saved simulation of one cluster."""

    def __init__(self, kube: LocalKube, cluster: WeaviateCluster, pods: list[Obj]) -> None:
        self.kube = kube
        self.cluster = cluster
        self.views = node_views(pods)
        self.backups = backup_settings(pods)

    def _run(self, call: Callable[[EmbeddedWeaviateApi], T]) -> T:
        key = self.cluster.key
        with _LOCK:
            storage = backup_storage(self.kube)
            saved = sims(self.kube).get(key)
            if saved is not None:
                sim = EmbeddedWeaviate.from_dict(saved, clock=self.kube.clock, storage=storage)
            elif self.views:
                sim = _seed(self.cluster, self.views, self.kube.clock, storage)
            else:  # no pod yet: nothing answers
                sim = EmbeddedWeaviate(clock=self.kube.clock, storage=storage)
            sim.sync_nodes(self.views)
            if self.backups is not None:
                sim.configure_backups(*self.backups)
            if self.cluster.status.voters:
                sim.set_voters(self.cluster.status.voters)
            try:
                return call(EmbeddedWeaviateApi(sim))
            finally:
                if self.views:
                    sims(self.kube)[key] = sim.to_dict()

    def nodes(self) -> list[NodeInfo]:
        return self._run(lambda api: api.nodes())

    def cluster_statistics(self) -> RaftStatistics:
        return self._run(lambda api: api.cluster_statistics())

    def create_backup(
        self, backend: str, backup_id: str, *, include: list[str] | None = None
    ) -> BackupInfo:
        return self._run(lambda api: api.create_backup(backend, backup_id, include=include))

    def backup_status(self, backend: str, backup_id: str) -> BackupInfo:
        return self._run(lambda api: api.backup_status(backend, backup_id))

    def list_backups(self, backend: str) -> list[BackupInfo]:
        return self._run(lambda api: api.list_backups(backend))

    def restore_backup(
        self,
        backend: str,
        backup_id: str,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        node_mapping: dict[str, str] | None = None,
    ) -> BackupInfo:
        return self._run(
            lambda api: api.restore_backup(
                backend, backup_id, include=include, exclude=exclude, node_mapping=node_mapping
            )
        )

    def restore_status(self, backend: str, backup_id: str) -> BackupInfo:
        return self._run(lambda api: api.restore_status(backend, backup_id))

    def cancel_restore(self, backend: str, backup_id: str) -> None:
        self._run(lambda api: api.cancel_restore(backend, backup_id))

    def collections(self) -> list[str]:
        return self._run(lambda api: api.collections())

    def sharding_state(self, collection: str | None = None) -> ShardingState:
        return self._run(lambda api: api.sharding_state(collection))

    def replicate(
        self,
        *,
        collection: str,
        shard: str,
        source_node: str,
        target_node: str,
        kind: ReplicationKind,
    ) -> str:
        return self._run(
            lambda api: api.replicate(
                collection=collection,
                shard=shard,
                source_node=source_node,
                target_node=target_node,
                kind=kind,
            )
        )

    def replication_operation(self, op_id: str) -> ReplicationOp:
        return self._run(lambda api: api.replication_operation(op_id))

    def set_shard_ready(self, collection: str, shard: str) -> None:
        self._run(lambda api: api.set_shard_ready(collection, shard))


class LocalWeaviateConnector:
    """The WeaviateConnector of the local cluster: every cluster answers in process."""

    def __init__(self, kube: LocalKube) -> None:
        self.kube = kube

    def for_cluster(self, cluster: WeaviateCluster, live_pods: list[Obj]) -> LocalWeaviateApi:
        return LocalWeaviateApi(self.kube, cluster, live_pods)

    def edit(self, key: str) -> Any:
        """``with connector.edit("ns/name") as sim:`` - see edit_sim."""
        return edit_sim(self.kube, key)


if TYPE_CHECKING:
    from weavefn.weaviate.connect import WeaviateConnector
    from weavefn.weaviate.port import WeaviateApi

    def _conforms(api: LocalWeaviateApi, connector: LocalWeaviateConnector) -> WeaviateConnector:
        _: WeaviateApi = api
        return connector
