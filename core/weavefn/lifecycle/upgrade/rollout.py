"""Rolling upgrade decisions (pure): the next state from (state, pods, Weaviate health, clock).

The state lives in ``status.operation`` (an UpgradeOperation) and is written before anything
is done about it, so a function killed at any point resumes from the last write. Every
decision is a value: the performer (step.py) saves the new state, then acts. The StatefulSet
follows the saved state through ``pinned_rollout``.

What proves a rolled pod (``proven``: Ready on its target, HEALTHY in ``/v1/nodes`` on that
version, every node healthy and Raft in sync) is shared with the pod-template rollout
(lifecycle/template/), which steps the same partition with the version unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from weavefn.lifecycle.backup_schedule import BACKUP_TIMEOUT, id_stamp
from weavefn.lifecycle.upgrade.state import UpgradeState
from weavefn.lifecycle.upgrade.unhealable import StuckReason, Unhealable, unhealable
from weavefn.model.backup_ids import version_tag
from weavefn.model.operations import UpgradePhase
from weavefn.reconcile.followup import FollowUp, Wait, poll
from weavefn.reconcile.pods import PodView
from weavefn.render.statefulset import Rollout
from weavefn.weaviate.port import BackupStatus, NodeStatus

__all__ = ["Health", "NodeHealth", "PodView", "UpgradeDecision", "Verdict", "decide"]

STEP_TIMEOUT = timedelta(minutes=10)


class Verdict(StrEnum):
    """Why the decision is what it is; also the reason named in conditions and Events."""

    WAITING = "Waiting"
    BACKUP_REQUESTED = "BackupRequested"
    BACKUP_DONE = "BackupSucceeded"
    BACKUP_SKIPPED = "BackupSkipped"
    BACKUP_FAILED = "BackupFailed"
    BACKUP_TIMED_OUT = "BackupTimedOut"
    STEP_DONE = "PodUpgraded"
    ROLLED_OUT = "AllPodsUpgraded"
    VERIFIED = "Verified"
    STEP_TIMED_OUT = "StepTimedOut"
    NODE_UNHEALTHY = "NodeUnhealthy"
    POD_STUCK = "PodCannotStart"
    REVERTED = "PodReverted"
    ROLLED_BACK = "RolledBack"
    ROLLBACK_TIMED_OUT = "RollbackTimedOut"


@dataclass(frozen=True)
class UpgradePolicy:
    step_timeout: timedelta = STEP_TIMEOUT
    backup_timeout: timedelta = BACKUP_TIMEOUT


@dataclass(frozen=True)
class Target:
    """What a rolled pod must run: an image version and, when the template is what changes,
    the StatefulSet's update revision."""

    version: str
    revision: str | None = None
    weaviate_gated: bool = True
    """False: Ready alone proves a pod (while nodes cannot vouch for each other, see
    lifecycle/template/decide.py); Weaviate's health is then checked once every pod rolled."""


@dataclass(frozen=True)
class NodeHealth:
    """One Weaviate node as ``/v1/nodes`` reports it."""

    status: NodeStatus
    version: str


@dataclass(frozen=True)
class Health:
    """What Weaviate says about itself; ``error`` when it could not be asked."""

    nodes: dict[str, NodeHealth]
    synchronized: bool
    error: str | None = None


@dataclass(frozen=True)
class UpgradeDecision:
    """The next state (None: unchanged) and why; a wait says when to look again."""

    verdict: Verdict
    message: str
    state: UpgradeState | None = None
    recheck: FollowUp | None = None


def backup_id_for(target: str, now: datetime, *, source: str) -> str:
    """``weavefn-pre-1-27-3-v1-26-5-20261125t101500z``: before moving to ``target``, taken on
    ``source`` (the version a restore must not be older than; model/backup_ids.py)."""
    return f"weavefn-pre-{target.replace('.', '-')}-{version_tag(source)}-{id_stamp(now)}"


def rolling_start(state: UpgradeState, now: datetime) -> UpgradeState:
    top = max(state.replicas - 1, 0)
    return state.to(
        UpgradePhase.ROLLING_OUT, now, partition=top, lowest_rolled=top, step_started_at=now
    )


def decide_backup(
    state: UpgradeState, *, backup: BackupStatus | None, now: datetime, policy: UpgradePolicy
) -> UpgradeDecision:
    """BackingUp: ``backup`` is what Weaviate reports (None: not started there yet)."""
    if backup is BackupStatus.SUCCESS:
        return UpgradeDecision(
            Verdict.BACKUP_DONE, f"backup {state.backup_id} succeeded", rolling_start(state, now)
        )
    if backup in (BackupStatus.FAILED, BackupStatus.CANCELED):
        message = f"backup {state.backup_id} ended {backup}: upgrade aborted, image unchanged"
        return UpgradeDecision(
            Verdict.BACKUP_FAILED, message, state.to(UpgradePhase.FAILED, now, error=message)
        )
    if now - state.phase_started_at > policy.backup_timeout:
        message = (
            f"backup {state.backup_id} still {backup or 'not started'} after "
            f"{_minutes(policy.backup_timeout)}: upgrade aborted, image unchanged"
        )
        return UpgradeDecision(
            Verdict.BACKUP_TIMED_OUT, message, state.to(UpgradePhase.FAILED, now, error=message)
        )
    text = f"backup {state.backup_id} {backup or 'requested'}"
    recheck = poll(Wait.BACKUP, text, now=now)
    if backup is None:
        return UpgradeDecision(Verdict.BACKUP_REQUESTED, text, recheck=recheck)
    return UpgradeDecision(Verdict.WAITING, text, recheck=recheck)


def _pod(pods: list[PodView], ordinal: int) -> PodView | None:
    return next((p for p in pods if p.ordinal == ordinal), None)


def _pod_on(pods: list[PodView], ordinal: int, version: str) -> PodView | None:
    """The pod at ``ordinal`` when it is Ready on ``version``, else None."""
    return pod_on(pods, ordinal, Target(version))


def pod_on(pods: list[PodView], ordinal: int, target: Target) -> PodView | None:
    """The pod at ``ordinal`` when it is Ready on ``target``, else None."""
    pod = _pod(pods, ordinal)
    if pod is None or not pod.ready or pod.version != target.version:
        return None
    return pod if target.revision is None or pod.revision == target.revision else None


def _node_on(health: Health, name: str, version: str) -> bool:
    node = health.nodes.get(name)
    return node is not None and node.status is NodeStatus.HEALTHY and node.version == version


def _all_healthy(health: Health) -> bool:
    return health.synchronized and all(
        v.status is NodeStatus.HEALTHY for v in health.nodes.values()
    )


def _rollback(
    state: UpgradeState, now: datetime, verdict: Verdict, message: str
) -> UpgradeDecision:
    top = max(state.replicas - 1, 0)
    reverting = state.to(
        UpgradePhase.ROLLING_BACK, now, partition=top, step_started_at=now, error=message
    )
    return UpgradeDecision(verdict, f"{message}; rolling back to {state.source}", reverting)


def all_healthy(health: Health) -> bool:
    """Every node HEALTHY and Raft in sync."""
    return _all_healthy(health)


def unhealthy_nodes(health: Health) -> str | None:
    """The nodes reporting UNHEALTHY, comma-separated, or None."""
    bad = sorted(n for n, v in health.nodes.items() if v.status is NodeStatus.UNHEALTHY)
    return ", ".join(bad) if bad else None


def proven(pods: list[PodView], health: Health, ordinal: int, target: Target) -> PodView | None:
    """The pod at ``ordinal`` when a rollout may step past it: Ready on ``target`` and, when
    gated on Weaviate, HEALTHY on the target version with every node healthy and in sync."""
    pod = pod_on(pods, ordinal, target)
    if pod is None or not target.weaviate_gated:
        return pod
    if _node_on(health, pod.name, target.version) and _all_healthy(health):
        return pod
    return None


def rolling(pods: list[PodView], *, first: int, version: str) -> list[PodView]:
    """The pods a rollout has moved: ordinal ``first`` and above, given ``version``'s image."""
    return [p for p in pods if p.ordinal >= first and p.version == version]


def _wait(state: UpgradeState, now: datetime, message: str, pod: PodView | None) -> UpgradeDecision:
    """Wait for ``pod`` (or the cluster), looking again on its readiness probe's grid."""
    since = pod.started if pod is not None else None
    recheck = poll(Wait.POD_READY, message, now=now, since=since)
    return UpgradeDecision(Verdict.WAITING, message, recheck=recheck)


def _stuck_rollout(state: UpgradeState, now: datetime, stuck: Unhealable) -> UpgradeDecision:
    node = stuck.reason is StuckReason.NODE_UNHEALTHY
    return _rollback(
        state, now, Verdict.NODE_UNHEALTHY if node else Verdict.POD_STUCK, stuck.message
    )


def decide_rollout(
    state: UpgradeState,
    *,
    pods: list[PodView],
    health: Health,
    now: datetime,
    policy: UpgradePolicy,
) -> UpgradeDecision:
    """RollingOut and Verifying: step the partition down once the pod above is proven.

    A failure that cannot heal (unhealable.py) rolls back at once, not at the step timeout.
    """
    first = 0 if state.phase is UpgradePhase.VERIFYING else state.partition
    stuck = unhealable(rolling(pods, first=first, version=state.target), state.unhealthy)
    if stuck is not None:
        return _stuck_rollout(state, now, stuck)
    if state.phase is UpgradePhase.VERIFYING:
        ready = all(_pod_on(pods, i, state.target) for i in range(state.replicas))
        nodes = all(
            _node_on(health, p.name, state.target) for p in pods if p.ordinal < state.replicas
        )
        if ready and nodes and _all_healthy(health):
            return UpgradeDecision(
                Verdict.VERIFIED,
                f"all {state.replicas} nodes healthy on {state.target}",
                state.to(UpgradePhase.SUCCEEDED, now),
            )
        return _timeout_or_wait(state, now, policy, "waiting for every node to agree", None)
    pod = proven(pods, health, state.partition, Target(state.target))
    if pod is not None:
        done = state.replicas - state.partition
        if state.partition == 0:
            return UpgradeDecision(
                Verdict.ROLLED_OUT,
                f"{done}/{state.replicas} pods on {state.target}",
                state.to(UpgradePhase.VERIFYING, now, step_started_at=now),
            )
        below = state.partition - 1
        return UpgradeDecision(
            Verdict.STEP_DONE,
            f"{done}/{state.replicas} pods on {state.target}",
            replace(state, partition=below, lowest_rolled=below, step_started_at=now),
        )
    seen = _pod(pods, state.partition)
    name = seen.name if seen else f"pod {state.partition}"
    waiting = f"waiting for {name} on {state.target}"
    on_target = seen if seen is not None and seen.version == state.target else None
    return _timeout_or_wait(state, now, policy, waiting, on_target)


def _timeout_or_wait(
    state: UpgradeState, now: datetime, policy: UpgradePolicy, waiting: str, pod: PodView | None
) -> UpgradeDecision:
    started = state.step_started_at or state.phase_started_at
    if now - started > policy.step_timeout:
        message = f"pod {state.partition} not healthy on {state.target} after {_minutes(policy.step_timeout)}"
        return _rollback(state, now, Verdict.STEP_TIMED_OUT, message)
    return _wait(state, now, waiting, pod)


def _give_up(state: UpgradeState, now: datetime, verdict: Verdict, why: str) -> UpgradeDecision:
    message = f"rollback stuck: {why}; needs a human"
    return UpgradeDecision(verdict, message, state.to(UpgradePhase.FAILED, now, error=message))


def decide_rollback(
    state: UpgradeState,
    *,
    pods: list[PodView],
    health: Health,
    now: datetime,
    policy: UpgradePolicy,
) -> UpgradeDecision:
    """RollingBack: revert the rolled pods from the top, each proven Ready on the source.

    A reverted pod that cannot start on the source either ends it at once (Failed).
    """
    lowest = state.lowest_rolled if state.lowest_rolled is not None else 0
    reverting = state.partition
    stuck = unhealable(rolling(pods, first=reverting, version=state.source), {})
    if stuck is not None:
        return _give_up(state, now, Verdict.ROLLBACK_TIMED_OUT, stuck.message)
    # Pods that never got the target image need nothing: skip straight past them.
    while reverting > lowest and _pod_on(pods, reverting, state.source):
        pod = _pod(pods, reverting)
        if pod is None or not _node_on(health, pod.name, state.source):
            break
        reverting -= 1
    pod = _pod_on(pods, reverting, state.source)
    reverted_all = all(_pod_on(pods, i, state.source) for i in range(state.replicas))
    proven = pod is not None and _node_on(health, pod.name, state.source)
    if proven and reverting <= lowest and reverted_all and _all_healthy(health):
        return UpgradeDecision(
            Verdict.ROLLED_BACK,
            f"all {state.replicas} pods back on {state.source}",
            state.to(UpgradePhase.ROLLED_BACK, now),
        )
    if reverting != state.partition:
        return UpgradeDecision(
            Verdict.REVERTED,
            f"pod {state.partition} back on {state.source}",
            replace(state, partition=reverting, step_started_at=now),
        )
    started = state.step_started_at or state.phase_started_at
    if now - started > policy.step_timeout:
        why = f"pod {reverting} not healthy on {state.source} after {_minutes(policy.step_timeout)}"
        return _give_up(state, now, Verdict.ROLLBACK_TIMED_OUT, why)
    seen = _pod(pods, reverting)
    on_source = seen if seen is not None and seen.version == state.source else None
    return _wait(state, now, f"waiting for pod {reverting} on {state.source}", on_source)


def decide(
    state: UpgradeState,
    *,
    pods: list[PodView],
    health: Health | None,
    backup: BackupStatus | None,
    now: datetime,
    policy: UpgradePolicy,
) -> UpgradeDecision:
    """The next step of an upgrade in any phase; ``health`` None: Weaviate did not answer."""
    if state.phase is UpgradePhase.BACKING_UP:
        return decide_backup(state, backup=backup, now=now, policy=policy)
    if state.phase in (UpgradePhase.ROLLING_OUT, UpgradePhase.VERIFYING, UpgradePhase.ROLLING_BACK):
        seen = health or Health({}, synchronized=False)
        if state.phase is UpgradePhase.ROLLING_BACK:
            return decide_rollback(state, pods=pods, health=seen, now=now, policy=policy)
        return decide_rollout(state, pods=pods, health=seen, now=now, policy=policy)
    return UpgradeDecision(Verdict.WAITING, f"{state.phase}")


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:g}m"


def pinned_rollout(state: UpgradeState | None) -> Rollout | None:
    """The image version and partition an upgrade in flight holds the StatefulSet to."""
    if state is None or state.phase.finished:
        return None
    if state.phase in (UpgradePhase.ROLLING_OUT, UpgradePhase.VERIFYING):
        partition = state.partition if state.phase is UpgradePhase.ROLLING_OUT else 0
        return Rollout(state.target, partition)
    if state.phase is UpgradePhase.ROLLING_BACK:
        return Rollout(state.source, state.partition)
    return Rollout(state.source, 0)  # Pending, BackingUp: nothing changes before the backup


def minutes(delta: timedelta) -> str:
    return _minutes(delta)
