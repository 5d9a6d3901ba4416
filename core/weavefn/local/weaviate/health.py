"""What the simulated cluster reports about itself: node health, shard counts, Raft agreement."""

from __future__ import annotations

from weavefn.local.weaviate.state import SimNode, SimState
from weavefn.weaviate.port import (
    NodeInfo,
    NodeShard,
    NodeStatus,
    RaftNode,
    RaftState,
    RaftStatistics,
)


def node_status(node: SimNode) -> NodeStatus:
    if not node.ready:
        return NodeStatus.UNAVAILABLE
    return NodeStatus.HEALTHY if node.healthy else NodeStatus.UNHEALTHY


def node_info(state: SimState, node: SimNode) -> NodeInfo:
    status = node_status(node)
    if status is NodeStatus.UNAVAILABLE:
        # Weaviate cannot ask an unreachable node anything: only its name and status.
        return NodeInfo(node.name, status)
    held = tuple(
        NodeShard(coll.name, shard.name, shard.objects)
        for coll in state.collections
        for shard in coll.shards
        if node.name in shard.replicas
    )
    return NodeInfo(
        name=node.name,
        status=status,
        version=node.version,
        shard_count=len(held),
        object_count=sum(s.object_count for s in held),
        shards=held,
    )


def raft_statistics(state: SimState) -> RaftStatistics:
    """Leader: the first voter up, given a quorum. Synchronized: every voter and node up and well."""
    ready = {n.name for n in state.nodes if n.ready}
    quorum = len(state.voters) // 2 + 1
    up_voters = [v for v in state.voters if v in ready]
    leader = up_voters[0] if state.voters and len(up_voters) >= quorum else None
    entries = []
    for node in state.nodes:
        if not node.ready:
            entries.append(RaftNode(node.name, NodeStatus.UNAVAILABLE))
            continue
        voter = node.name in state.voters
        if leader is None:
            role = RaftState.CANDIDATE if voter else RaftState.FOLLOWER
        else:
            role = RaftState.LEADER if node.name == leader else RaftState.FOLLOWER
        entries.append(
            RaftNode(
                name=node.name,
                status=node_status(node),
                ready=True,
                is_voter=voter,
                state=role,
                leader_id=leader,
            )
        )
    synchronized = (
        leader is not None
        and not state.raft_desynchronized
        and len(up_voters) == len(state.voters)
        and all(e.status is NodeStatus.HEALTHY for e in entries)
    )
    return RaftStatistics(synchronized=synchronized, nodes=tuple(entries))
