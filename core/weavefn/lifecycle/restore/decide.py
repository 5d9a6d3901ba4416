"""The restore's decisions: from what was read to the next state (pure, no I/O).

CHECKING -> REQUESTING (written before the request goes out) -> STARTED -> Succeeded, or
Failed from any of them. Weaviate's own answers end it: a refusal of the request (4xx), its
restore ending FAILED, or server errors on the request ``max_attempts`` times (Weaviate
answers some permanent refusals, such as a node of the backup missing from the cluster, with
a 500). A restore can hang like a backup: ``timeout`` after it began, it is given up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from weavefn.errors import FieldError, RetryableError, WeavefnError
from weavefn.lifecycle.restore.checks import Facts
from weavefn.lifecycle.restore.state import RestoreState
from weavefn.model.operations import RestorePhase, RestoreStage
from weavefn.weaviate.port import BackupInfo, BackupStatus

RESTORE_TIMEOUT = timedelta(hours=2)
"""Restores read every byte back from the bucket: allow them twice a backup's hour."""


@dataclass(frozen=True)
class RestorePolicy:
    timeout: timedelta = RESTORE_TIMEOUT
    max_attempts: int = 3
    """Server errors answering the request before it counts as refused."""


class Verdict(StrEnum):
    WAIT = "Wait"
    REFUSED = "Refused"
    REQUEST = "Request"
    STARTED = "Started"
    PROGRESS = "Progress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"


@dataclass(frozen=True)
class RestoreDecision:
    verdict: Verdict
    state: RestoreState


def _fail(state: RestoreState, verdict: Verdict, error: str, now: datetime) -> RestoreDecision:
    return RestoreDecision(verdict, state.to(now=now, phase=RestorePhase.FAILED, error=error))


def _overdue(state: RestoreState, now: datetime, policy: RestorePolicy) -> bool:
    return now - state.started_at > policy.timeout


def _minutes(policy: RestorePolicy) -> str:
    return f"{policy.timeout.total_seconds() / 60:g}m"


def decide_checking(
    state: RestoreState,
    *,
    facts: Facts,
    errors: list[FieldError],
    wanted: list[str],
    now: datetime,
    policy: RestorePolicy,
) -> RestoreDecision:
    """The checks ran: refuse, wait for every node to be HEALTHY, or send the request."""
    if errors:
        text = "; ".join(str(e) for e in errors)
        return _fail(state, Verdict.REFUSED, f"refused: {text}", now)
    if facts.unhealthy or not facts.nodes:
        if _overdue(state, now, policy):
            return _fail(
                state,
                Verdict.TIMED_OUT,
                f"nodes {', '.join(facts.unhealthy)} not HEALTHY within {_minutes(policy)}",
                now,
            )
        waiting = ", ".join(facts.unhealthy) or "any node"
        error = f"waits for every node HEALTHY ({waiting} is not)"
        return RestoreDecision(Verdict.WAIT, state.to(now=now, error=error))
    ready = state.to(now=now, stage=RestoreStage.REQUESTING, classes=tuple(wanted), error=None)
    return RestoreDecision(Verdict.REQUEST, ready)


def decide_lookup(
    state: RestoreState, *, seen: BackupInfo | None, collections: tuple[str, ...]
) -> RestoreDecision:
    """A pass found the request possibly sent (the last one stopped after writing
    REQUESTING): take up a restore Weaviate is running, or one that ended with every
    collection in place; anything else is an earlier restore of the backup (its status stays
    on the backend), so the request is sent (again)."""
    if seen is not None and not seen.status.finished:
        return RestoreDecision(Verdict.STARTED, _started(state, seen))
    present = {c.lower() for c in collections}
    if (
        seen is not None
        and seen.status is BackupStatus.SUCCESS
        and state.classes
        and all(c.lower() in present for c in state.classes)
    ):
        return RestoreDecision(Verdict.STARTED, _started(state, seen))
    return RestoreDecision(Verdict.REQUEST, state)


def _started(state: RestoreState, seen: BackupInfo) -> RestoreState:
    return replace(
        state,
        stage=RestoreStage.STARTED,
        classes=seen.classes or state.classes,
        weaviate_status=str(seen.status),
        error=None,
    )


def decide_answer(
    state: RestoreState,
    *,
    answer: BackupInfo | WeavefnError,
    now: datetime,
    policy: RestorePolicy,
) -> RestoreDecision:
    """Weaviate answered the request: it started, it refused, or it failed to answer."""
    if isinstance(answer, BackupInfo):
        return RestoreDecision(Verdict.STARTED, _started(state, answer))
    if isinstance(answer, RetryableError):
        attempts = state.attempts + 1
        if attempts >= policy.max_attempts:
            return _fail(
                state.to(now=now, attempts=attempts),
                Verdict.FAILED,
                f"refused ({attempts} attempts): {answer}",
                now,
            )
        error = f"asks again ({attempts} of {policy.max_attempts} asked): {answer}"
        return RestoreDecision(Verdict.WAIT, state.to(now=now, attempts=attempts, error=error))
    return _fail(state, Verdict.FAILED, f"refused: {answer}", now)


def decide_poll(
    state: RestoreState,
    *,
    seen: BackupInfo | None,
    collections: tuple[str, ...] | None,
    now: datetime,
    policy: RestorePolicy,
) -> RestoreDecision:
    """Where Weaviate's restore stands (None: it reports none): on, done, failed or overdue.

    A SUCCESS counts once every restored collection is in the schema (``collections``).
    """
    if seen is not None and seen.status is BackupStatus.SUCCESS:
        present = {c.lower() for c in collections or ()}
        missing = [c for c in state.classes if c.lower() not in present]
        if missing:
            return _fail(
                state,
                Verdict.FAILED,
                f"Weaviate reported SUCCESS, but {', '.join(missing)} is not in the schema",
                now,
            )
        done = state.to(now=now, phase=RestorePhase.SUCCEEDED, weaviate_status=str(seen.status))
        return RestoreDecision(Verdict.SUCCEEDED, done)
    if seen is not None and seen.status.finished:
        error = seen.error or f"Weaviate ended it {seen.status}"
        failed = state.to(now=now, weaviate_status=str(seen.status))
        return _fail(failed, Verdict.FAILED, error, now)
    status = str(seen.status) if seen is not None else state.weaviate_status
    if _overdue(state, now, policy):
        return _fail(
            state.to(now=now, weaviate_status=status),
            Verdict.TIMED_OUT,
            f"{_given_up(status, policy)} ({_MAY_STILL_RESTORE})",
            now,
        )
    return RestoreDecision(Verdict.PROGRESS, state.to(now=now, weaviate_status=status))


_MAY_STILL_RESTORE = (
    "Weaviate may still be restoring: check GET /v1/backups/{backend}/{id}/restore before retrying"
)


def _given_up(status: str | None, policy: RestorePolicy) -> str:
    return f"still {status or 'unreported'} after {_minutes(policy)}: given up"


def decide_cancelled(
    given_up: RestoreDecision, *, refused: WeavefnError | None, policy: RestorePolicy
) -> RestoreDecision:
    """A restore given up (overdue) was cancelled on Weaviate (1.36+), or the cancel failed.

    Cancelled, Weaviate stops writing into the cluster, and retrying is safe once it reports
    CANCELED; otherwise the operator is told it may still be restoring.
    """
    state = given_up.state
    status = state.weaviate_status
    if refused is None:
        error = f"{_given_up(status, policy)}, and Weaviate's restore cancelled"
        status = str(BackupStatus.CANCELED)
    else:
        error = (
            f"{_given_up(status, policy)}; cancelling it failed ({refused}): {_MAY_STILL_RESTORE}"
        )
    return RestoreDecision(given_up.verdict, replace(state, error=error, weaviate_status=status))


def decide_unreachable(
    state: RestoreState, *, error: WeavefnError, now: datetime, policy: RestorePolicy
) -> RestoreDecision | None:
    """Weaviate did not answer: try again next pass, or give up once the restore is overdue."""
    if not _overdue(state, now, policy):
        return None
    return _fail(
        state,
        Verdict.TIMED_OUT,
        f"Weaviate did not answer for {_minutes(policy)}: given up ({error})",
        now,
    )
