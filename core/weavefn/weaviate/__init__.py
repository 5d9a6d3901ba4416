"""Weaviate side of weavefn: the WeaviateApi port, its HTTP client and a cluster simulation.

Names load on first use, so a function that talks to a real Weaviate never imports the
simulation (a cold-start cost it would not use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weavefn.weaviate.http import WeaviateHttpApi
    from weavefn.weaviate.port import (
        BackupInfo,
        BackupStatus,
        NodeInfo,
        NodeStatus,
        RaftStatistics,
        ReplicaMovementUnsupportedError,
        ReplicationKind,
        ReplicationOp,
        ReplicationState,
        ShardingState,
        WeaviateApi,
    )
    from weavefn.weaviate.sim import WeaviateSim
    from weavefn.weaviate.sim_api import SimWeaviateApi
    from weavefn.weaviate.sim_state import BackupFailure, LostReplica, NodeView, SimTiming

_HOMES = {
    "weavefn.weaviate.http": ("WeaviateHttpApi",),
    "weavefn.weaviate.port": (
        "BackupInfo",
        "BackupStatus",
        "NodeInfo",
        "NodeStatus",
        "RaftStatistics",
        "ReplicaMovementUnsupportedError",
        "ReplicationKind",
        "ReplicationOp",
        "ReplicationState",
        "ShardingState",
        "WeaviateApi",
    ),
    "weavefn.weaviate.sim": ("WeaviateSim",),
    "weavefn.weaviate.sim_api": ("SimWeaviateApi",),
    "weavefn.weaviate.sim_state": ("BackupFailure", "LostReplica", "NodeView", "SimTiming"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "BackupFailure",
    "BackupInfo",
    "BackupStatus",
    "LostReplica",
    "NodeInfo",
    "NodeStatus",
    "NodeView",
    "RaftStatistics",
    "ReplicaMovementUnsupportedError",
    "ReplicationKind",
    "ReplicationOp",
    "ReplicationState",
    "ShardingState",
    "SimTiming",
    "SimWeaviateApi",
    "WeaviateApi",
    "WeaviateHttpApi",
    "WeaviateSim",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'weavefn.weaviate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
