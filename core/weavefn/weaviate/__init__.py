"""Weaviate side of weavefn: the WeaviateApi port, its HTTP client and a cluster simulation."""

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
