"""The upgrade decision table: what each observation makes of each phase."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from weavefn.lifecycle.upgrade.rollout import (
    Health,
    NodeHealth,
    PodView,
    UpgradePolicy,
    Verdict,
    decide,
)
from weavefn.lifecycle.upgrade.state import UpgradeState
from weavefn.model.operations import UpgradePhase
from weavefn.weaviate.port import BackupStatus, NodeStatus

T0 = datetime(2026, 11, 25, 10, 15, tzinfo=UTC)
OLD, NEW = "1.26.5", "1.27.3"
HEALTHY, UNHEALTHY, DOWN = NodeStatus.HEALTHY, NodeStatus.UNHEALTHY, NodeStatus.UNAVAILABLE


def state(phase: UpgradePhase, partition: int = 2, **unhealthy: int) -> UpgradeState:
    found = UpgradeState(
        phase, OLD, NEW, 3, T0, "weavefn-pre-1-27-3-x", "s3", partition, partition, T0
    )
    return replace(found, unhealthy={k.replace("_", "-"): v for k, v in unhealthy.items()})


def pods(*versions: str, ready: bool = True) -> list[PodView]:
    return [PodView(i, f"w-{i}", ready, v) for i, v in enumerate(versions)]


def waiting(found: list[PodView], ordinal: int, reason: str, restarts: int = 0) -> list[PodView]:
    """``found`` with one pod not Ready, its container waiting with ``reason``."""
    return [
        replace(p, ready=False, waiting=reason, restarts=restarts) if p.ordinal == ordinal else p
        for p in found
    ]


def health(*nodes: tuple[NodeStatus, str], synchronized: bool = True) -> Health:
    return Health({f"w-{i}": NodeHealth(s, v) for i, (s, v) in enumerate(nodes)}, synchronized)


ALL_OLD = health((HEALTHY, OLD), (HEALTHY, OLD), (HEALTHY, OLD))
TOP_NEW = health((HEALTHY, OLD), (HEALTHY, OLD), (HEALTHY, NEW))


@pytest.mark.parametrize(
    ("current", "seen_pods", "seen", "backup", "after", "expected"),
    [
        pytest.param(state(UpgradePhase.BACKING_UP), pods(OLD, OLD, OLD), None, BackupStatus.SUCCESS, 1, (Verdict.BACKUP_DONE, UpgradePhase.ROLLING_OUT), id="backup-done-starts-rollout"),
        pytest.param(state(UpgradePhase.BACKING_UP), pods(OLD, OLD, OLD), None, BackupStatus.FAILED, 1, (Verdict.BACKUP_FAILED, UpgradePhase.FAILED), id="backup-failed-aborts"),
        pytest.param(state(UpgradePhase.BACKING_UP), pods(OLD, OLD, OLD), None, BackupStatus.STARTED, 61, (Verdict.BACKUP_TIMED_OUT, UpgradePhase.FAILED), id="backup-stuck-past-deadline"),
        pytest.param(state(UpgradePhase.BACKING_UP), pods(OLD, OLD, OLD), None, BackupStatus.STARTED, 5, (Verdict.WAITING, None), id="backup-running-waits"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), pods(OLD, OLD, NEW), TOP_NEW, None, 1, (Verdict.STEP_DONE, UpgradePhase.ROLLING_OUT), id="pod-proven-steps-down"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), pods(OLD, OLD, NEW), health((HEALTHY, OLD), (HEALTHY, OLD), (HEALTHY, NEW), synchronized=False), None, 1, (Verdict.WAITING, None), id="raft-not-synchronized-waits"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), pods(OLD, OLD, OLD), ALL_OLD, None, 1, (Verdict.WAITING, None), id="pod-still-old-waits"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), pods(OLD, OLD, NEW), health((HEALTHY, OLD), (HEALTHY, OLD), (DOWN, "")), None, 11, (Verdict.STEP_TIMED_OUT, UpgradePhase.ROLLING_BACK), id="step-timeout-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT, w_0=1), pods(OLD, OLD, NEW), health((UNHEALTHY, OLD), (HEALTHY, OLD), (HEALTHY, NEW)), None, 1, (Verdict.WAITING, None), id="unhealthy-once-waits"),
        pytest.param(state(UpgradePhase.ROLLING_OUT, w_0=2), pods(OLD, OLD, NEW), health((UNHEALTHY, OLD), (HEALTHY, OLD), (HEALTHY, NEW)), None, 1, (Verdict.NODE_UNHEALTHY, UpgradePhase.ROLLING_BACK), id="unhealthy-twice-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "ErrImagePull"), TOP_NEW, None, 1, (Verdict.POD_STUCK, UpgradePhase.ROLLING_BACK), id="err-image-pull-rolls-back-at-once"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "ImagePullBackOff"), TOP_NEW, None, 1, (Verdict.POD_STUCK, UpgradePhase.ROLLING_BACK), id="image-pull-back-off-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "InvalidImageName"), TOP_NEW, None, 1, (Verdict.POD_STUCK, UpgradePhase.ROLLING_BACK), id="invalid-image-name-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "CreateContainerConfigError"), TOP_NEW, None, 1, (Verdict.POD_STUCK, UpgradePhase.ROLLING_BACK), id="config-error-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "CreateContainerError"), TOP_NEW, None, 1, (Verdict.POD_STUCK, UpgradePhase.ROLLING_BACK), id="create-error-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "CrashLoopBackOff", 2), TOP_NEW, None, 1, (Verdict.WAITING, None), id="two-restarts-wait"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "CrashLoopBackOff", 3), TOP_NEW, None, 1, (Verdict.POD_STUCK, UpgradePhase.ROLLING_BACK), id="third-restart-rolls-back"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 2, "ContainerCreating"), TOP_NEW, None, 1, (Verdict.WAITING, None), id="container-creating-waits"),
        pytest.param(state(UpgradePhase.ROLLING_OUT), waiting(pods(OLD, OLD, NEW), 0, "ImagePullBackOff"), TOP_NEW, None, 1, (Verdict.STEP_DONE, UpgradePhase.ROLLING_OUT), id="a-pod-the-rollout-did-not-move-is-not-its-failure"),
        pytest.param(state(UpgradePhase.ROLLING_BACK, 2), waiting(pods(OLD, OLD, OLD), 2, "CrashLoopBackOff", 4), ALL_OLD, None, 1, (Verdict.ROLLBACK_TIMED_OUT, UpgradePhase.FAILED), id="reverted-pod-cannot-start-fails"),
        pytest.param(state(UpgradePhase.ROLLING_BACK, 2), waiting(pods(OLD, OLD, NEW), 2, "ImagePullBackOff"), ALL_OLD, None, 1, (Verdict.WAITING, None), id="stuck-pod-still-on-target-waits-for-its-revert"),
        pytest.param(state(UpgradePhase.ROLLING_OUT, 0), pods(NEW, NEW, NEW), health((HEALTHY, NEW), (HEALTHY, NEW), (HEALTHY, NEW)), None, 1, (Verdict.ROLLED_OUT, UpgradePhase.VERIFYING), id="last-pod-proven-verifies"),
        pytest.param(state(UpgradePhase.VERIFYING, 0), pods(NEW, NEW, NEW), health((HEALTHY, NEW), (HEALTHY, NEW), (HEALTHY, NEW)), None, 1, (Verdict.VERIFIED, UpgradePhase.SUCCEEDED), id="all-verified-succeeds"),
        pytest.param(state(UpgradePhase.ROLLING_BACK, 2), pods(OLD, OLD, OLD), ALL_OLD, None, 1, (Verdict.ROLLED_BACK, UpgradePhase.ROLLED_BACK), id="reverted-rolled-back"),
        pytest.param(state(UpgradePhase.ROLLING_BACK, 2), pods(OLD, OLD, NEW), health((HEALTHY, OLD), (HEALTHY, OLD), (DOWN, "")), None, 11, (Verdict.ROLLBACK_TIMED_OUT, UpgradePhase.FAILED), id="stuck-rollback-fails"),
    ],
)  # fmt: skip
def test_decision(*, current, seen_pods, seen, backup, after, expected):
    verdict, phase = expected
    decision = decide(
        current,
        pods=seen_pods,
        health=seen,
        backup=backup,
        now=T0 + timedelta(minutes=after),
        policy=UpgradePolicy(),
    )

    assert decision.verdict is verdict, decision.message
    assert (decision.state.phase if decision.state else None) is phase
