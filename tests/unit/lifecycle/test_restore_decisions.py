"""The restore's decisions, one table per stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from weavefn.errors import FieldError, NotFoundError, TerminalError, UnavailableError, WeavefnError
from weavefn.lifecycle.restore.checks import Facts, RestoreAsk
from weavefn.lifecycle.restore.decide import (
    RestorePolicy,
    Verdict,
    decide_answer,
    decide_cancelled,
    decide_checking,
    decide_lookup,
    decide_poll,
    decide_unreachable,
)
from weavefn.lifecycle.restore.state import RestoreState
from weavefn.model.operations import RestoreOperation, RestorePhase, RestoreStage
from weavefn.weaviate.port import BackupInfo, BackupStatus

T0 = datetime(2026, 11, 18, 10, tzinfo=UTC)
POLICY = RestorePolicy()
LATE = T0 + POLICY.timeout + timedelta(seconds=1)
ASK = RestoreAsk("s3", "nightly", include=("Articles",))


def state(stage: RestoreStage, **changes: object) -> RestoreState:
    base = RestoreState(
        phase=RestorePhase.RESTORING,
        stage=stage,
        ask=ASK,
        started_at=T0,
        phase_started_at=T0,
        classes=("Articles",),
    )
    return base.to(now=T0, **changes)


def info(status: BackupStatus, error: str | None = None) -> BackupInfo:
    return BackupInfo("nightly", "s3", status, classes=("Articles",), error=error)


FACTS = Facts("1.32.5", ("w-0", "w-1"), (), (), BackupStatus.SUCCESS, ("Articles",))


@pytest.mark.parametrize(
    ("facts", "errors", "now", "verdict", "stage", "phase"),
    [
        (FACTS, [], T0, Verdict.REQUEST, RestoreStage.REQUESTING, RestorePhase.RESTORING),
        (FACTS, [FieldError("backup", "gone")], T0, Verdict.REFUSED, None, RestorePhase.FAILED),
        (
            Facts("1.32.5", ("w-0", "w-1"), ("w-1",), (), BackupStatus.SUCCESS),
            [],
            T0,
            Verdict.WAIT,
            RestoreStage.CHECKING,
            RestorePhase.RESTORING,
        ),
        (
            Facts("1.32.5", ("w-0", "w-1"), ("w-1",), (), BackupStatus.SUCCESS),
            [],
            LATE,
            Verdict.TIMED_OUT,
            None,
            RestorePhase.FAILED,
        ),
    ],
    ids=["healthy-and-fine", "refused", "a-node-unhealthy", "unhealthy-too-long"],
)
def test_checking(
    *,
    facts: Facts,
    errors: list[FieldError],
    now: datetime,
    verdict: Verdict,
    stage: RestoreStage | None,
    phase: RestorePhase,
) -> None:
    decision = decide_checking(
        state(RestoreStage.CHECKING),
        facts=facts,
        errors=errors,
        wanted=["Articles"],
        now=now,
        policy=POLICY,
    )
    assert (decision.verdict, decision.state.phase) == (verdict, phase)
    if stage is not None:
        assert decision.state.stage is stage


@pytest.mark.parametrize(
    ("seen", "collections", "verdict"),
    [
        (None, (), Verdict.REQUEST),
        (info(BackupStatus.TRANSFERRING), (), Verdict.STARTED),
        (info(BackupStatus.SUCCESS), ("Articles",), Verdict.STARTED),
        (info(BackupStatus.SUCCESS), (), Verdict.REQUEST),
        (info(BackupStatus.FAILED), (), Verdict.REQUEST),
    ],
    ids=["never-asked", "running", "done-and-there", "an-earlier-restore", "an-earlier-failure"],
)
def test_lookup_after_a_pass_was_killed(
    seen: BackupInfo | None, collections: tuple[str, ...], verdict: Verdict
) -> None:
    decision = decide_lookup(state(RestoreStage.REQUESTING), seen=seen, collections=collections)
    assert decision.verdict is verdict


@pytest.mark.parametrize(
    ("answer", "attempts", "verdict", "phase"),
    [
        (info(BackupStatus.STARTED), 0, Verdict.STARTED, RestorePhase.RESTORING),
        (TerminalError("Weaviate answered 422: no"), 0, Verdict.FAILED, RestorePhase.FAILED),
        (NotFoundError("Weaviate answered 404"), 0, Verdict.FAILED, RestorePhase.FAILED),
        (UnavailableError("Weaviate answered 500"), 0, Verdict.WAIT, RestorePhase.RESTORING),
        (UnavailableError("Weaviate answered 500"), 2, Verdict.FAILED, RestorePhase.FAILED),
    ],
    ids=["accepted", "refused", "not-found", "server-error", "third-server-error"],
)
def test_answer(
    answer: BackupInfo | WeavefnError, attempts: int, verdict: Verdict, phase: RestorePhase
) -> None:
    decision = decide_answer(
        state(RestoreStage.REQUESTING, attempts=attempts), answer=answer, now=T0, policy=POLICY
    )
    assert (decision.verdict, decision.state.phase) == (verdict, phase)
    if verdict is Verdict.STARTED:
        assert decision.state.stage is RestoreStage.STARTED


@pytest.mark.parametrize(
    ("seen", "collections", "now", "verdict", "text"),
    [
        (info(BackupStatus.TRANSFERRING), None, T0, Verdict.PROGRESS, "TRANSFERRING"),
        (info(BackupStatus.SUCCESS), ("Articles",), T0, Verdict.SUCCEEDED, "restored Articles"),
        (info(BackupStatus.SUCCESS), ("ARTICLES",), T0, Verdict.SUCCEEDED, "restored Articles"),
        (info(BackupStatus.SUCCESS), (), T0, Verdict.FAILED, "not in the schema"),
        (info(BackupStatus.FAILED, "disk full"), (), T0, Verdict.FAILED, "disk full"),
        (info(BackupStatus.CANCELED), (), T0, Verdict.FAILED, "CANCELED"),
        (info(BackupStatus.STARTED), None, LATE, Verdict.TIMED_OUT, "still STARTED after 120m"),
        (None, None, T0, Verdict.PROGRESS, "restoring"),
    ],
    ids=[
        "transferring",
        "success",
        "success-case-insensitive",
        "success-but-missing",
        "failed",
        "canceled",
        "hangs",
        "status-lost",
    ],
)
def test_poll(
    seen: BackupInfo | None,
    collections: tuple[str, ...] | None,
    now: datetime,
    verdict: Verdict,
    text: str,
) -> None:
    decision = decide_poll(
        state(RestoreStage.STARTED), seen=seen, collections=collections, now=now, policy=POLICY
    )
    assert decision.verdict is verdict
    assert text in decision.state.message


def test_unreachable_is_tried_again_until_overdue() -> None:
    gone = UnavailableError("cannot reach Weaviate")
    assert (
        decide_unreachable(state(RestoreStage.STARTED), error=gone, now=T0, policy=POLICY) is None
    )
    late = decide_unreachable(state(RestoreStage.STARTED), error=gone, now=LATE, policy=POLICY)
    assert late is not None and late.state.phase is RestorePhase.FAILED


@pytest.mark.parametrize(
    ("refused", "status", "text"),
    [
        (None, "CANCELED", "still TRANSFERRING after 120m: given up, and Weaviate's restore"),
        (
            TerminalError("Weaviate answered 422: restore is applying schema changes"),
            "TRANSFERRING",
            "cancelling it failed (Weaviate answered 422: restore is applying schema changes): "
            "Weaviate may still be restoring",
        ),
    ],
    ids=["cancelled", "cancel-refused"],
)
def test_a_restore_given_up_says_whether_weaviate_cancelled_it(
    refused: WeavefnError | None, status: str, text: str
) -> None:
    given_up = decide_poll(
        state(RestoreStage.STARTED, weaviate_status="TRANSFERRING"),
        seen=info(BackupStatus.TRANSFERRING),
        collections=None,
        now=LATE,
        policy=POLICY,
    )
    assert given_up.verdict is Verdict.TIMED_OUT

    decision = decide_cancelled(given_up, refused=refused, policy=POLICY)

    assert decision.verdict is Verdict.TIMED_OUT
    assert decision.state.phase is RestorePhase.FAILED
    assert decision.state.weaviate_status == status
    assert text in decision.state.message


def test_a_state_round_trips_through_its_operation() -> None:
    before = state(RestoreStage.STARTED, weaviate_status="TRANSFERRING", attempts=1)
    written = before.operation().model_dump(by_alias=True, mode="json")

    again = RestoreState.of(RestoreOperation.model_validate(written))

    assert again == before
