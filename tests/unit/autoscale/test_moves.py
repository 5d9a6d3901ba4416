"""Replica MOVE records: how Weaviate's replication states, known or new, move them along."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from weavefn.autoscale import moves
from weavefn.autoscale.moves import Move, MovePolicy, MoveRecord, MoveStage, observed, run_moves
from weavefn.errors import UnavailableError
from weavefn.weaviate import wire
from weavefn.weaviate.port import ReplicationKind, ReplicationOp, WeaviateApi

MOVE = Move("Articles", "shard1", "weaviate-3", "weaviate-0")
RUNNING = MoveRecord(MOVE, MoveStage.RUNNING, op_id="op-1", state="REGISTERED")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _op(state: str, errors: tuple[str, ...] = ()) -> ReplicationOp:
    return ReplicationOp(
        "op-1",
        "Articles",
        "shard1",
        "weaviate-3",
        "weaviate-0",
        ReplicationKind.MOVE,
        state,
        errors,
    )


def _answer(state: str) -> dict[str, Any]:
    return {
        "id": "op-1",
        "collection": "Articles",
        "shard": "shard1",
        "sourceNode": "weaviate-3",
        "targetNode": "weaviate-0",
        "type": "MOVE",
        "status": {"state": state, "errors": []},
    }


@pytest.mark.parametrize(
    ("state", "stage"),
    [
        pytest.param("HYDRATING", MoveStage.RUNNING, id="known-in-progress"),
        pytest.param("INTEGRATING", MoveStage.RUNNING, id="integrating-since-1-38"),
        pytest.param("REBALANCING_SOMEDAY", MoveStage.RUNNING, id="unknown-is-in-progress"),
        pytest.param("READY", MoveStage.DONE, id="ready"),
        pytest.param("CANCELLED", MoveStage.PENDING, id="cancelled-retries"),
    ],
)
def test_only_ready_and_cancelled_end_a_move(state: str, stage: MoveStage) -> None:
    # GET /v1/replication/replicate/{id} as a 1.38+ (or a future) release answers it.
    op = wire.decode_operation(_answer(state))
    record = observed(RUNNING, op, max_attempts=3)
    assert (record.stage, record.state) == (stage, state)


class _Api:
    """Only what run_moves asks of Weaviate for a move already running."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.polls = 0

    def replication_operation(self, op_id: str) -> ReplicationOp:
        self.polls += 1
        return _op(self.state)


def test_an_unknown_state_is_logged_once_and_never_stops_the_pass(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moves, "_UNKNOWN_STATES", set())
    fake = _Api("WARPING")
    api = cast(WeaviateApi, fake)
    records: tuple[MoveRecord, ...] = (RUNNING,)
    with caplog.at_level(logging.WARNING, logger="weavefn"):
        for _ in range(3):
            records = run_moves(api, records, policy=MovePolicy(), now=NOW, save=lambda _: None)
    assert fake.polls == 3
    assert [r.stage for r in records] == [MoveStage.RUNNING]
    warned = [r for r in caplog.records if "WARPING" in r.getMessage()]
    assert len(warned) == 1

    fake.state = "READY"
    records = run_moves(api, records, policy=MovePolicy(), now=NOW, save=lambda _: None)
    assert [r.stage for r in records] == [MoveStage.DONE]


def test_a_state_that_is_no_name_is_an_unreadable_answer() -> None:
    with pytest.raises(UnavailableError):
        wire.decode_operation(_answer(""))
