"""Follow-ups, pure: when to look again, and whether a new one is queued against the pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from weavefn.reconcile.followup import FollowUp, Wait, follow_up_at, plan, poll, sooner, stamp

T0 = datetime(2026, 11, 25, 10, 15, 0, 400_000, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0.replace(microsecond=0) + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("wait", "since", "expected"),
    [
        pytest.param(Wait.BACKUP, None, 16, id="backup-15s-rounded-up-to-a-whole-second"),
        pytest.param(Wait.REPLICA_MOVE, None, 6, id="move-a-few-seconds"),
        pytest.param(Wait.POD_READY, None, 11, id="pod-without-a-start-10s-from-now"),
        pytest.param(Wait.POD_READY, at(-4), 7, id="pod-next-probe-tick-plus-1s"),
        pytest.param(Wait.POD_READY, at(-55), 6, id="pod-tick-at-60s-after-start-plus-1s"),
        pytest.param(Wait.NEW_PODS, at(-10), 11, id="on-a-tick-waits-for-the-next"),
        pytest.param(Wait.POD_READY, at(30), 11, id="start-in-the-future-ignored"),
    ],
)  # fmt: skip
def test_poll(wait: Wait, since: datetime | None, expected: float) -> None:
    found = poll(wait, "x", now=T0, since=since)

    assert found.at == at(expected)
    assert found.at.microsecond == 0


def test_a_known_end_is_never_sooner_than_a_second() -> None:
    assert follow_up_at(T0 - timedelta(seconds=5), Wait.RATE_LIMIT, "", now=T0).at == at(2)
    assert follow_up_at(at(15), Wait.RATE_LIMIT, "", now=T0).at == at(15)


def test_sooner_keeps_the_earlier() -> None:
    early, late = FollowUp(at(5), Wait.BACKUP, "a"), FollowUp(at(9), Wait.POD_READY, "b")

    assert sooner(early, late) is early and sooner(late, early) is early
    assert sooner(None, late) is late and sooner(early, None) is early


WANT = FollowUp(at(10), Wait.POD_READY, "search-2")


@pytest.mark.parametrize(
    ("pending", "wanted", "delivered", "keeps", "sends"),
    [
        pytest.param(None, WANT, None, None, True, id="none-pending-queues"),
        pytest.param(stamp(at(30)), WANT, None, None, True, id="sooner-than-pending-queues"),
        pytest.param(stamp(at(5)), WANT, None, stamp(at(5)), False, id="pending-comes-first-kept"),
        pytest.param(stamp(at(10)), WANT, None, stamp(at(10)), False, id="same-time-kept"),
        pytest.param(stamp(at(-3)), WANT, None, None, True, id="pending-in-the-past-was-delivered"),
        pytest.param(stamp(at(5)), WANT, stamp(at(5)), None, True, id="early-delivery-is-no-longer-pending"),
        pytest.param(stamp(at(5)), None, None, None, False, id="nothing-in-flight-clears-status"),
    ],
)  # fmt: skip
def test_plan(
    pending: str | None,
    wanted: FollowUp | None,
    delivered: str | None,
    keeps: str | None,
    sends: bool,
) -> None:
    decided = plan(pending=pending, pending_reason="r", wanted=wanted, now=T0, delivered=delivered)

    assert (decided.send is not None) is sends
    if sends:
        assert decided.send == wanted
        assert decided.next_check_at == stamp(at(10)) and decided.reason == "PodReady: search-2"
    elif wanted is None:
        assert (decided.next_check_at, decided.reason) == (None, None)
    else:
        assert (decided.next_check_at, decided.reason) == (keeps, "r")
