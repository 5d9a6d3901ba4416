"""Pod-template rollout decisions: whose change it is, and each step of a rollout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from weavefn.lifecycle.template.decide import (
    Observed,
    Proposal,
    StartVerdict,
    StepVerdict,
    decide_start,
    decide_step,
    starting_state,
)
from weavefn.lifecycle.template.state import TemplateState
from weavefn.lifecycle.upgrade.rollout import Health, NodeHealth, PodView
from weavefn.model.operations import AuthSwitch, TemplateRolloutPhase
from weavefn.model.pods import PodRestarts
from weavefn.model.status import PodTemplateRecord
from weavefn.weaviate.port import NodeStatus

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
NEW, OLD = "aaaaaaaaaa", "bbbbbbbbbb"
CHANGED = ("env GOMAXPROCS added",)


def applied(generation: int | None, template: str = OLD) -> PodTemplateRecord:
    return PodTemplateRecord(generation=generation, hash=template, applied=True)


def held(generation: int, template: str = NEW, *, asked: bool = False) -> PodTemplateRecord:
    return PodTemplateRecord(generation=generation, hash=template, applied=False, asked=asked)


@dataclass(frozen=True)
class Case:
    changes: tuple[str, ...]
    record: PodTemplateRecord | None
    generation: int
    observed: int
    restarts: str
    approval: str | None


@pytest.mark.parametrize(
    ("case", "verdict"),
    [
        pytest.param(Case((), None, 3, 3, "Automatic", None), "Current", id="nothing-changed"),
        pytest.param(
            Case(CHANGED, None, 3, 3, "Automatic", None),
            "RestartPending",
            id="migration-weavefn-change-waits",
        ),
        pytest.param(
            Case(CHANGED, None, 4, 3, "Automatic", None),
            "SpecChanged",
            id="migration-with-a-spec-edit",
        ),
        pytest.param(
            Case(CHANGED, applied(3), 3, 3, "Automatic", None),
            "RestartPending",
            id="new-weavefn-same-spec",
        ),
        pytest.param(
            Case(CHANGED, applied(3), 4, 4, "Automatic", None),
            "SpecChanged",
            id="spec-edit-automatic",
        ),
        pytest.param(
            Case(CHANGED, applied(3), 4, 4, "Supervised", None),
            "AwaitingApproval",
            id="spec-edit-supervised",
        ),
        pytest.param(
            Case(CHANGED, held(4, asked=True), 4, 4, "Supervised", None),
            "AwaitingApproval",
            id="still-awaiting-next-pass",
        ),
        pytest.param(
            Case(CHANGED, held(4, asked=True), 4, 4, "Supervised", NEW),
            "Approved",
            id="supervised-approved",
        ),
        pytest.param(
            Case(CHANGED, held(3), 3, 3, "Automatic", OLD),
            "RestartPending",
            id="approval-of-another-revision",
        ),
        pytest.param(
            Case(CHANGED, held(3), 3, 3, "Automatic", f" {NEW}\n"),
            "Approved",
            id="pending-approved",
        ),
        pytest.param(
            Case(CHANGED, held(3), 5, 5, "Automatic", None),
            "RestartPending",
            id="unrelated-spec-edit-keeps-it-pending",
        ),
        pytest.param(
            Case(CHANGED, held(3, OLD), 5, 5, "Automatic", None),
            "SpecChanged",
            id="template-spec-edit-after-pending",
        ),
        pytest.param(
            Case(CHANGED, held(3, OLD), 3, 3, "Automatic", None),
            "RestartPending",
            id="another-weavefn-release-while-pending",
        ),
        pytest.param(
            Case(CHANGED, applied(3, NEW), 3, 3, "Automatic", None),
            "DriftRepaired",
            id="hand-edit-repaired",
        ),
        pytest.param(
            Case(CHANGED, applied(3, NEW), 3, 3, "Supervised", None),
            "AwaitingApproval",
            id="hand-edit-supervised",
        ),
        pytest.param(
            Case(CHANGED, applied(None, OLD), 3, 3, "Automatic", None),
            "SpecChanged",
            id="edited-during-an-upgrade",
        ),
    ],
)
def test_whose_change_it_is_decides_if_it_restarts_pods(case: Case, verdict: str) -> None:
    decision = decide_start(
        Proposal(NEW, case.changes, live_partition=0),
        record=case.record,
        generation=case.generation,
        observed=case.observed,
        restarts=PodRestarts(case.restarts),
        approval=case.approval,
    )
    assert decision.verdict == verdict
    assert decision.verdict.starts == (verdict in ("SpecChanged", "Approved", "DriftRepaired"))


def test_the_record_remembers_why_it_waits() -> None:
    pending = decide_start(
        Proposal(NEW, CHANGED, 0),
        record=None,
        generation=3,
        observed=3,
        restarts=PodRestarts.AUTOMATIC,
        approval=None,
    )
    assert pending.record == held(3)
    current = decide_start(
        Proposal(NEW, (), 0),
        record=held(3),
        generation=3,
        observed=3,
        restarts=PodRestarts.AUTOMATIC,
        approval=None,
    )
    assert current.record == applied(3, NEW)


def test_a_drift_the_last_repair_could_not_remove_is_not_repaired_again() -> None:
    decision = decide_start(
        Proposal(NEW, CHANGED, 0),
        record=applied(3, NEW),
        generation=3,
        observed=3,
        restarts=PodRestarts.AUTOMATIC,
        approval=None,
        repaired=CHANGED,
    )
    assert decision.verdict is StartVerdict.CURRENT


def test_pods_left_below_a_partition_are_rolled_under_watch() -> None:
    decision = decide_start(
        Proposal(NEW, (), live_partition=2),
        record=applied(3, NEW),
        generation=3,
        observed=3,
        restarts=PodRestarts.AUTOMATIC,
        approval=None,
    )
    assert decision.verdict is StartVerdict.RESUMING
    state = starting_state(decision, replicas=3, now=NOW, partition=2)
    assert state.partition == 2, "the pod at the partition is proven first"
    fresh = starting_state(decision, replicas=3, now=NOW)
    assert fresh.partition == 2 and fresh.phase is TemplateRolloutPhase.ROLLING_OUT


# -- a rollout in flight ---------------------------------------------------------------------

REV = "search-7d9f"


def pods(*, revisions: dict[int, str], ready: set[int] | None = None) -> list[PodView]:
    ready = set(revisions) if ready is None else ready
    return [
        PodView(i, f"search-{i}", i in ready, "1.27.3", revision)
        for i, revision in revisions.items()
    ]


def health(*, unhealthy: set[int] = frozenset(), synced: bool = True) -> Health:  # type: ignore[assignment]
    nodes = {
        f"search-{i}": NodeHealth(
            NodeStatus.UNHEALTHY if i in unhealthy else NodeStatus.HEALTHY, "1.27.3"
        )
        for i in range(3)
    }
    return Health(nodes, synchronized=synced)


def state(
    partition: int,
    phase: TemplateRolloutPhase = TemplateRolloutPhase.ROLLING_OUT,
    *,
    started: timedelta = timedelta(minutes=1),
    auth: AuthSwitch | None = None,
) -> TemplateState:
    return TemplateState(
        phase=phase,
        template=NEW,
        replicas=3,
        partition=partition,
        phase_started_at=NOW - started,
        step_started_at=NOW - started,
        changes=CHANGED,
        auth=auth,
    )


def observed(
    pod_list: list[PodView],
    weaviate: Health | None,
    *,
    revision: str | None = REV,
    template: str = NEW,
) -> Observed:
    return Observed(pod_list, weaviate, "1.27.3", revision, template, CHANGED)


OLD_REV = "search-1a2b"
TOP_ROLLED = {0: OLD_REV, 1: OLD_REV, 2: REV}
ALL_ROLLED = {0: REV, 1: REV, 2: REV}
AUTH = AuthSwitch(source=None, target="search-cluster-auth")


@pytest.mark.parametrize(
    ("current", "seen", "verdict", "partition", "phase"),
    [
        pytest.param(
            state(2),
            observed(pods(revisions=TOP_ROLLED), health()),
            StepVerdict.STEPPED,
            1,
            "RollingOut",
            id="top-pod-proven-steps-down",
        ),
        pytest.param(
            state(2),
            observed(pods(revisions=TOP_ROLLED, ready={0, 1}), health()),
            StepVerdict.WAITING,
            None,
            None,
            id="top-pod-not-ready",
        ),
        pytest.param(
            state(2),
            observed(pods(revisions={0: OLD_REV, 1: OLD_REV, 2: OLD_REV}), health()),
            StepVerdict.WAITING,
            None,
            None,
            id="top-pod-still-old-revision",
        ),
        pytest.param(
            state(2),
            observed(pods(revisions=TOP_ROLLED), health(unhealthy={0})),
            StepVerdict.WAITING,
            None,
            None,
            id="a-node-unhealthy-no-step",
        ),
        pytest.param(
            state(2),
            observed(pods(revisions=TOP_ROLLED), health(synced=False)),
            StepVerdict.WAITING,
            None,
            None,
            id="raft-not-in-sync",
        ),
        pytest.param(
            state(2),
            observed(pods(revisions=TOP_ROLLED), None),
            StepVerdict.WAITING,
            None,
            None,
            id="weaviate-not-answering",
        ),
        pytest.param(
            state(2),
            observed(pods(revisions=TOP_ROLLED), health(), revision=None),
            StepVerdict.WAITING,
            None,
            None,
            id="controller-has-not-seen-template",
        ),
        pytest.param(
            state(2, started=timedelta(minutes=11)),
            observed(pods(revisions=TOP_ROLLED, ready={0, 1}), health()),
            StepVerdict.HELD,
            2,
            "Held",
            id="step-timeout-holds-not-reverts",
        ),
        pytest.param(
            state(2, TemplateRolloutPhase.HELD, started=timedelta(hours=2)),
            observed(pods(revisions=TOP_ROLLED, ready={0, 1}), health()),
            StepVerdict.WAITING,
            None,
            None,
            id="held-stays-held",
        ),
        pytest.param(
            state(2, TemplateRolloutPhase.HELD, started=timedelta(hours=2)),
            observed(pods(revisions=TOP_ROLLED), health()),
            StepVerdict.RESUMED,
            1,
            "RollingOut",
            id="held-resumes-once-proven",
        ),
        pytest.param(
            state(0),
            observed(pods(revisions=ALL_ROLLED), health()),
            StepVerdict.ROLLED_OUT,
            0,
            "Verifying",
            id="last-pod-proven",
        ),
        pytest.param(
            state(0, TemplateRolloutPhase.VERIFYING),
            observed(pods(revisions=ALL_ROLLED), health()),
            StepVerdict.SUCCEEDED,
            0,
            "Succeeded",
            id="verified",
        ),
        pytest.param(
            state(1),
            observed(pods(revisions=TOP_ROLLED), health(), template=OLD),
            StepVerdict.RESTARTED,
            2,
            "RollingOut",
            id="template-changed-again",
        ),
        pytest.param(
            state(2, auth=AUTH),
            observed(pods(revisions=TOP_ROLLED), None),
            StepVerdict.STEPPED,
            1,
            "RollingOut",
            id="auth-switch-ready-is-enough",
        ),
        pytest.param(
            state(2, auth=AUTH),
            observed(pods(revisions=TOP_ROLLED), health(unhealthy={0})),
            StepVerdict.STEPPED,
            1,
            "RollingOut",
            id="auth-switch-ignores-what-old-nodes-say",
        ),
        pytest.param(
            state(0, TemplateRolloutPhase.VERIFYING, auth=AUTH),
            observed(pods(revisions=ALL_ROLLED), health(unhealthy={1})),
            StepVerdict.WAITING,
            None,
            None,
            id="auth-switch-verified-by-weaviate",
        ),
    ],
)
def test_each_step_of_a_rollout(
    current: TemplateState,
    seen: Observed,
    verdict: StepVerdict,
    partition: int | None,
    phase: str | None,
) -> None:
    decision = decide_step(current, seen, now=NOW)
    assert decision.verdict is verdict, decision.message
    if partition is None:
        assert decision.state is None
        assert decision.recheck is not None, "a waiting rollout says when to look again"
    else:
        assert decision.state is not None
        assert (decision.state.partition, decision.state.phase) == (partition, phase)
