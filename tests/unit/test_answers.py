"""The one mapping from an outcome or an error to what the platform is told."""

from __future__ import annotations

import pytest
from weavefn.answers import Disposition, answer, error_answer, outcome_answer
from weavefn.errors import (
    ConfigurationError,
    ConflictError,
    FieldError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
)
from weavefn.triggers.model import Outcome

BAD_FIELD = FieldError("data.essentials.alertRule", "Field required")


@pytest.mark.parametrize(
    ("error", "disposition", "status"),
    [
        pytest.param(
            ConfigurationError([FieldError("WEAVEFN_QUEUE", "unknown")]),
            Disposition.BROKEN,
            500,
            id="settings-are-ours",
        ),
        pytest.param(InvalidInputError([BAD_FIELD]), Disposition.REJECTED, 400, id="bad-input"),
        pytest.param(
            NotFoundError("no WeaviateCluster a/b"), Disposition.REJECTED, 404, id="unknown"
        ),
        pytest.param(UnavailableError("API server down"), Disposition.REDELIVER, 503, id="outage"),
        pytest.param(ConflictError("lost a race"), Disposition.REDELIVER, 503, id="conflict"),
        pytest.param(TerminalError("refused"), Disposition.REJECTED, 422, id="refused"),
        pytest.param(KeyError("bug"), Disposition.BROKEN, 500, id="a-bug"),
    ],
)
def test_each_error_has_one_answer(error: Exception, disposition: Disposition, status: int) -> None:
    result = error_answer(error)

    assert (result.disposition, result.status) == (disposition, status)
    assert result.redeliver is (disposition in (Disposition.REDELIVER, Disposition.BROKEN))
    assert result.document["error"]


def test_bad_input_names_each_field() -> None:
    document = error_answer(InvalidInputError([BAD_FIELD])).document

    assert document["errors"] == [{"field": BAD_FIELD.path, "message": BAD_FIELD.message}]


def test_a_settings_error_tells_the_caller_nothing_about_the_settings() -> None:
    secretish = ConfigurationError([FieldError("WEAVEFN_CLUSTER", "'eks:us-east-1/x' is odd")])

    assert error_answer(secretish).document == {"error": "function settings are invalid"}


@pytest.mark.parametrize(
    ("outcome", "disposition", "status"),
    [
        pytest.param(Outcome(ok=True, message="done"), Disposition.DONE, 200, id="done"),
        pytest.param(Outcome(ok=False, message="refused"), Disposition.DONE, 200, id="refused"),
        pytest.param(
            Outcome(ok=False, retry=True, message="deferred"),
            Disposition.REDELIVER,
            503,
            id="retry",
        ),
    ],
)
def test_outcomes(outcome: Outcome, disposition: Disposition, status: int) -> None:
    result = outcome_answer(outcome)

    assert (result.disposition, result.status) == (disposition, status)
    assert result.document == {"ok": outcome.ok, "message": outcome.message, "clusters": {}}


def test_answer_runs_the_work_and_maps_what_it_raises() -> None:
    def broken() -> Outcome:
        raise UnavailableError("API server down")

    assert answer(lambda: Outcome(ok=True)).disposition is Disposition.DONE
    assert answer(broken).disposition is Disposition.REDELIVER
