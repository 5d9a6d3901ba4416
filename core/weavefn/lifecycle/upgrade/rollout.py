"""Rolling upgrade decisions (pure): the next state from (state, pods, Weaviate health, clock).

The state lives in ``status.operation.details`` and is written before anything is done about
it, so a function killed at any point resumes from the last write. Every decision is a value:
the performer (step.py) saves the new state, then acts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from weavefn.weaviate.port import BackupStatus, NodeStatus

STEP_TIMEOUT = timedelta(minutes=10)
BACKUP_TIMEOUT = timedelta(minutes=60)


class UpgradePhase(StrEnum):
    PENDING = "Pending"
    BACKING_UP = "BackingUp"
    ROLLING_OUT = "RollingOut"
    VERIFYING = "Verifying"
    SUCCEEDED = "Succeeded"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"

    @property
    def finished(self) -> bool:
        return self in (UpgradePhase.SUCCEEDED, UpgradePhase.ROLLED_BACK, UpgradePhase.FAILED)


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
    REVERTED = "PodReverted"
    ROLLED_BACK = "RolledBack"
    ROLLBACK_TIMED_OUT = "RollbackTimedOut"


@dataclass(frozen=True)
class UpgradePolicy:
    step_timeout: timedelta = STEP_TIMEOUT
    backup_timeout: timedelta = BACKUP_TIMEOUT


@dataclass(frozen=True)
class UpgradeState:
    """Where one upgrade stands; round-trips through ``Operation.details``."""

    phase: UpgradePhase
    source: str
    target: str
    replicas: int
    phase_started_at: datetime
    backup_id: str | None = None
    backend: str | None = None
    partition: int = 0
    """RollingOut: pods with ordinal >= partition run the target. RollingBack: the pod reverting."""
    lowest_rolled: int | None = None
    """The lowest ordinal that was given the target image (what a rollback must revert)."""
    step_started_at: datetime | None = None
    error: str | None = None

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "to": self.target,
            "replicas": self.replicas,
            "partition": self.partition,
        }
        for key, value in (
            ("backupId", self.backup_id),
            ("backend", self.backend),
            ("lowestRolled", self.lowest_rolled),
            ("stepStartedAt", _stamp(self.step_started_at)),
            ("error", self.error),
        ):
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def of(cls, phase: str, phase_started_at: str, details: dict[str, Any]) -> UpgradeState:
        step = details.get("stepStartedAt")
        lowest = details.get("lowestRolled")
        return cls(
            phase=UpgradePhase(phase),
            source=str(details["from"]),
            target=str(details["to"]),
            replicas=int(details["replicas"]),
            phase_started_at=_parse(phase_started_at),
            backup_id=details.get("backupId"),
            backend=details.get("backend"),
            partition=int(details.get("partition", 0)),
            lowest_rolled=int(lowest) if lowest is not None else None,
            step_started_at=_parse(step) if step else None,
            error=details.get("error"),
        )

    def to(self, phase: UpgradePhase, now: datetime, **changes: Any) -> UpgradeState:
        return replace(self, phase=phase, phase_started_at=now, **changes)


@dataclass(frozen=True)
class PodView:
    ordinal: int
    name: str
    ready: bool
    version: str | None


@dataclass(frozen=True)
class NodeView:
    status: NodeStatus
    version: str


@dataclass(frozen=True)
class Health:
    """What Weaviate says about itself; ``error`` when it could not be asked."""

    nodes: dict[str, NodeView]
    synchronized: bool
    error: str | None = None


@dataclass(frozen=True)
class Decision:
    """The next state (None: unchanged) and why."""

    verdict: Verdict
    message: str
    state: UpgradeState | None = None


def _stamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def backup_id_for(target: str, now: datetime) -> str:
    """``weavefn-pre-1-27-3-20261125t101500z``: Weaviate ids allow only ``[a-z0-9_-]``."""
    return f"weavefn-pre-{target.replace('.', '-')}-{now.strftime('%Y%m%dt%H%M%Sz')}"


def rolling_start(state: UpgradeState, now: datetime) -> UpgradeState:
    top = max(state.replicas - 1, 0)
    return state.to(
        UpgradePhase.ROLLING_OUT, now, partition=top, lowest_rolled=top, step_started_at=now
    )


def decide_backup(
    state: UpgradeState, *, backup: BackupStatus | None, now: datetime, policy: UpgradePolicy
) -> Decision:
    """BackingUp: ``backup`` is what Weaviate reports (None: not started there yet)."""
    if backup is BackupStatus.SUCCESS:
        return Decision(
            Verdict.BACKUP_DONE, f"backup {state.backup_id} succeeded", rolling_start(state, now)
        )
    if backup in (BackupStatus.FAILED, BackupStatus.CANCELED):
        message = f"backup {state.backup_id} ended {backup}: upgrade aborted, image unchanged"
        return Decision(
            Verdict.BACKUP_FAILED, message, state.to(UpgradePhase.FAILED, now, error=message)
        )
    if now - state.phase_started_at > policy.backup_timeout:
        message = (
            f"backup {state.backup_id} still {backup or 'not started'} after "
            f"{_minutes(policy.backup_timeout)}: upgrade aborted, image unchanged"
        )
        return Decision(
            Verdict.BACKUP_TIMED_OUT, message, state.to(UpgradePhase.FAILED, now, error=message)
        )
    if backup is None:
        return Decision(Verdict.BACKUP_REQUESTED, f"backup {state.backup_id} requested")
    return Decision(Verdict.WAITING, f"backup {state.backup_id} {backup}")


def _pod(pods: list[PodView], ordinal: int) -> PodView | None:
    return next((p for p in pods if p.ordinal == ordinal), None)


def _unhealthy(health: Health) -> str | None:
    bad = sorted(n for n, v in health.nodes.items() if v.status is NodeStatus.UNHEALTHY)
    return ", ".join(bad) if bad else None


def _pod_on(pods: list[PodView], ordinal: int, version: str) -> PodView | None:
    """The pod at ``ordinal`` when it is Ready on ``version``, else None."""
    pod = _pod(pods, ordinal)
    return pod if pod is not None and pod.ready and pod.version == version else None


def _node_on(health: Health, name: str, version: str) -> bool:
    node = health.nodes.get(name)
    return node is not None and node.status is NodeStatus.HEALTHY and node.version == version


def _all_healthy(health: Health) -> bool:
    return health.synchronized and all(
        v.status is NodeStatus.HEALTHY for v in health.nodes.values()
    )


def _rollback(state: UpgradeState, now: datetime, verdict: Verdict, message: str) -> Decision:
    top = max(state.replicas - 1, 0)
    reverting = state.to(
        UpgradePhase.ROLLING_BACK, now, partition=top, step_started_at=now, error=message
    )
    return Decision(verdict, f"{message}; rolling back to {state.source}", reverting)


def decide_rollout(
    state: UpgradeState,
    *,
    pods: list[PodView],
    health: Health,
    now: datetime,
    policy: UpgradePolicy,
) -> Decision:
    """RollingOut and Verifying: step the partition down once the pod above is proven."""
    unhealthy = _unhealthy(health)
    if unhealthy:
        return _rollback(state, now, Verdict.NODE_UNHEALTHY, f"node {unhealthy} is UNHEALTHY")
    if state.phase is UpgradePhase.VERIFYING:
        ready = all(_pod_on(pods, i, state.target) for i in range(state.replicas))
        nodes = all(
            _node_on(health, p.name, state.target) for p in pods if p.ordinal < state.replicas
        )
        if ready and nodes and _all_healthy(health):
            return Decision(
                Verdict.VERIFIED,
                f"all {state.replicas} nodes healthy on {state.target}",
                state.to(UpgradePhase.SUCCEEDED, now),
            )
        return _timeout_or_wait(state, now, policy, "waiting for every node to agree")
    pod = _pod_on(pods, state.partition, state.target)
    if pod is not None and _node_on(health, pod.name, state.target) and _all_healthy(health):
        done = state.replicas - state.partition
        if state.partition == 0:
            return Decision(
                Verdict.ROLLED_OUT,
                f"{done}/{state.replicas} pods on {state.target}",
                state.to(UpgradePhase.VERIFYING, now, step_started_at=now),
            )
        below = state.partition - 1
        return Decision(
            Verdict.STEP_DONE,
            f"{done}/{state.replicas} pods on {state.target}",
            replace(state, partition=below, lowest_rolled=below, step_started_at=now),
        )
    name = pod.name if pod else f"pod {state.partition}"
    return _timeout_or_wait(state, now, policy, f"waiting for {name} on {state.target}")


def _timeout_or_wait(
    state: UpgradeState, now: datetime, policy: UpgradePolicy, waiting: str
) -> Decision:
    started = state.step_started_at or state.phase_started_at
    if now - started > policy.step_timeout:
        message = f"pod {state.partition} not healthy on {state.target} after {_minutes(policy.step_timeout)}"
        return _rollback(state, now, Verdict.STEP_TIMED_OUT, message)
    return Decision(Verdict.WAITING, waiting)


def decide_rollback(
    state: UpgradeState,
    *,
    pods: list[PodView],
    health: Health,
    now: datetime,
    policy: UpgradePolicy,
) -> Decision:
    """RollingBack: revert the rolled pods from the top, each proven Ready on the source."""
    lowest = state.lowest_rolled if state.lowest_rolled is not None else 0
    reverting = state.partition
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
        return Decision(
            Verdict.ROLLED_BACK,
            f"all {state.replicas} pods back on {state.source}",
            state.to(UpgradePhase.ROLLED_BACK, now),
        )
    if reverting != state.partition:
        return Decision(
            Verdict.REVERTED,
            f"pod {state.partition} back on {state.source}",
            replace(state, partition=reverting, step_started_at=now),
        )
    started = state.step_started_at or state.phase_started_at
    if now - started > policy.step_timeout:
        message = (
            f"rollback stuck: pod {reverting} not healthy on {state.source} after "
            f"{_minutes(policy.step_timeout)}; needs a human"
        )
        return Decision(
            Verdict.ROLLBACK_TIMED_OUT, message, state.to(UpgradePhase.FAILED, now, error=message)
        )
    return Decision(Verdict.WAITING, f"waiting for pod {reverting} on {state.source}")


def decide(
    state: UpgradeState,
    *,
    pods: list[PodView],
    health: Health | None,
    backup: BackupStatus | None,
    now: datetime,
    policy: UpgradePolicy,
) -> Decision:
    """The next step of an upgrade in any phase; ``health`` None: Weaviate did not answer."""
    if state.phase is UpgradePhase.BACKING_UP:
        return decide_backup(state, backup=backup, now=now, policy=policy)
    if state.phase in (UpgradePhase.ROLLING_OUT, UpgradePhase.VERIFYING, UpgradePhase.ROLLING_BACK):
        seen = health or Health({}, synchronized=False)
        if state.phase is UpgradePhase.ROLLING_BACK:
            return decide_rollback(state, pods=pods, health=seen, now=now, policy=policy)
        return decide_rollout(state, pods=pods, health=seen, now=now, policy=policy)
    return Decision(Verdict.WAITING, f"{state.phase}")


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:g}m"
