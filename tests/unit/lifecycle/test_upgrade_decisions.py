"""The upgrade decision table: what each observation makes of each phase."""

from __future__ import annotations

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


def state(phase: UpgradePhase, partition: int = 2) -> UpgradeState:
    return UpgradeState(
        phase, OLD, NEW, 3, T0, "weavefn-pre-1-27-3-x", "s3", partition, partition, T0
    )


def pods(*versions: str, ready: bool = True) -> list[PodView]:
    return [PodView(i, f"w-{i}", ready, v) for i, v in enumerate(versions)]


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
        pytest.param(state(UpgradePhase.ROLLING_OUT), pods(OLD, OLD, NEW), health((UNHEALTHY, OLD), (HEALTHY, OLD), (HEALTHY, NEW)), None, 1, (Verdict.NODE_UNHEALTHY, UpgradePhase.ROLLING_BACK), id="unhealthy-node-rolls-back"),
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
