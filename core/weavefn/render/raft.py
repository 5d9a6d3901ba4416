"""The Raft voter set: chosen once when a cluster is created, then carried in status."""

from __future__ import annotations

# (minimum replicas, voters): 1 voter below 3 replicas, 3 from 3, 5 from 10.
_VOTER_STEPS = ((10, 5), (3, 3), (1, 1))


def voter_count(replicas: int) -> int:
    return next(voters for floor, voters in _VOTER_STEPS if replicas >= floor)


def default_voters(name: str, replicas: int, override: int | None = None) -> list[str]:
    """Voter pod names, the lowest ordinals.

    Voters must not follow autoscaling: call this when the cluster is created, keep the result
    in ``status.voters`` and pass that to the renderers afterwards.
    """
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, got {replicas}")
    count = override if override is not None else voter_count(replicas)
    if not 1 <= count <= replicas:
        raise ValueError(f"voters must be between 1 and replicas ({replicas}), got {count}")
    return [f"{name}-{ordinal}" for ordinal in range(count)]


def raft_env(voters: list[str]) -> dict[str, str]:
    if not voters:
        raise ValueError("at least one Raft voter is required")
    return {
        "RAFT_JOIN": ",".join(voters),
        "RAFT_BOOTSTRAP_EXPECT": str(len(voters)),
        "RAFT_PORT": "8300",
        "RAFT_INTERNAL_RPC_PORT": "8301",
    }
