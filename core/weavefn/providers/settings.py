"""Values a cloud profile contributes to rendering; plain data, no provider logic."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SCRATCH_VOLUME = "local-scratch"
SCRATCH_PATH = "/var/cache/weaviate"


@dataclass(frozen=True)
class StorageClassParams:
    """What differs between clouds in a StorageClass; the rest is common (see render.config)."""

    provisioner: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class PodSettings:
    """Additions to the Weaviate pod and its service account."""

    node_selector: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] = field(default_factory=dict)
    service_account_annotations: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Variables the pod reads from a Secret: name -> (Secret name, key)."""
    modules: tuple[str, ...] = ()
    volumes: tuple[dict[str, Any], ...] = ()
    volume_mounts: tuple[dict[str, Any], ...] = ()
    scratch_size: str | None = None
    """The scratch emptyDir's sizeLimit, also requested as ephemeral storage (None: no scratch)."""


def with_scratch(settings: PodSettings, *, size_limit: str) -> PodSettings:
    """``settings`` plus an emptyDir on the node's local disk, used as TMPDIR.

    Weaviate keeps all durable data (LSM segments, HNSW commit logs, Raft state) under
    PERSISTENCE_DATA_PATH and has no read-cache tier that could live on another disk, so local
    NVMe/SSD cannot hold or speed up the data itself without risking it on node loss. What it
    can do is host temporary files (Go's TMPDIR). The emptyDir lands on local NVMe only when the
    node pool puts kubelet ephemeral storage there (EKS instance-store RAID0, GKE
    ephemeral-storage-local-ssd).

    The emptyDir is bounded (``size_limit``) and requested as ephemeral storage: unbounded, a
    large temporary file would fill the node's disk and the kubelet would evict every pod there
    under disk pressure; bounded, only this pod is evicted past its limit, and the scheduler
    places it on a node with the room.
    """
    scratch = {"name": SCRATCH_VOLUME, "emptyDir": {"sizeLimit": size_limit}}
    return replace(
        settings,
        env={**settings.env, "TMPDIR": SCRATCH_PATH},
        scratch_size=size_limit,
        volumes=(*settings.volumes, scratch),
        volume_mounts=(
            *settings.volume_mounts,
            {"name": SCRATCH_VOLUME, "mountPath": SCRATCH_PATH},
        ),
    )
