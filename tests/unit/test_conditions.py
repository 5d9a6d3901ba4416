"""Setting a condition keeps its place and its transition time unless its status flips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from weavefn.conditions import ConditionReason, set_condition
from weavefn.model.status import Condition, ConditionType

T0 = datetime(2026, 11, 18, 10, tzinfo=UTC)


def conditions() -> list[Condition]:
    out: list[Condition] = []
    for kind in (ConditionType.RESTORE, ConditionType.READY, ConditionType.DEGRADED):
        out = set_condition(
            out, kind=kind, status=False, reason=ConditionReason.CREATING, message="", now=T0
        )
    return out


def test_a_condition_set_again_keeps_its_place_so_an_unchanged_status_stays_equal() -> None:
    before = conditions()

    again = set_condition(
        before,
        kind=ConditionType.RESTORE,
        status=False,
        reason=ConditionReason.CREATING,
        message="",
        now=T0 + timedelta(minutes=5),
    )

    assert again == before


def test_a_flip_moves_the_transition_time_in_place_and_a_new_one_goes_last() -> None:
    before = conditions()
    later = T0 + timedelta(minutes=5)

    flipped = set_condition(
        before,
        kind=ConditionType.RESTORE,
        status=True,
        reason=ConditionReason.RECONCILED,
        message="done",
        now=later,
    )
    added = set_condition(
        flipped,
        kind=ConditionType.PROGRESSING,
        status=True,
        reason=ConditionReason.RECONCILED,
        message="",
        now=later,
    )

    assert [c.type for c in added] == ["RestoreSucceeded", "Ready", "Degraded", "Progressing"]
    assert (added[0].status, added[0].last_transition_time) == ("True", "2026-11-18T10:05:00Z")
    assert added[1].last_transition_time == "2026-11-18T10:00:00Z"
