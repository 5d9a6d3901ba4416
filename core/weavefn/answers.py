"""One mapping from what handling did (an Outcome, or an error) to the platform's answer.

Every entry point asks it: the Lambda handlers, the Cloud Functions, the Azure functions and
the webhook router. An answer says what the platform should do with the event (done,
deliver it again, rejected as the caller's fault, broken on our side) and the HTTP status and
JSON document an HTTP platform sends. Each adapter only renders it: return or raise, a batch
item failure, an HTTP response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from weavefn.errors import (
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    RetryableError,
    WeavefnError,
)
from weavefn.triggers.model import Outcome

log = logging.getLogger("weavefn")


class Disposition(StrEnum):
    DONE = "done"
    """Handled (a cluster may still have refused something: the outcome says so)."""
    REDELIVER = "redeliver"
    """A transient failure: the same event, delivered again, can succeed."""
    REJECTED = "rejected"
    """The event itself is at fault (malformed, unknown, refused): redelivery cannot help."""
    BROKEN = "broken"
    """Our side is at fault (settings, a bug): a server error the operator must look at."""


@dataclass(frozen=True)
class Answer:
    disposition: Disposition
    status: int
    document: dict[str, Any]
    """The JSON body an HTTP platform answers with."""
    ok: bool = False
    message: str = ""
    clusters: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None

    @property
    def redeliver(self) -> bool:
        """Whether an event platform should deliver the event again (raise, 5xx, batch failure)."""
        return self.disposition in (Disposition.REDELIVER, Disposition.BROKEN)


def outcome_answer(outcome: Outcome) -> Answer:
    document = {"ok": outcome.ok, "message": outcome.message, "clusters": outcome.clusters}
    disposition, status = Disposition.DONE, HTTPStatus.OK
    if outcome.retry:
        disposition, status = Disposition.REDELIVER, HTTPStatus.SERVICE_UNAVAILABLE
    return Answer(
        disposition,
        int(status),
        document,
        ok=outcome.ok,
        message=outcome.message,
        clusters=dict(outcome.clusters),
    )


def error_answer(error: Exception) -> Answer:
    """The answer to an error; settings and bugs are server errors, bad input is the caller's."""
    if isinstance(error, ConfigurationError):
        # which setting is wrong goes to the log; the caller learns only that it is not them
        return _error(
            Disposition.BROKEN,
            HTTPStatus.INTERNAL_SERVER_ERROR,
            error,
            {"error": "function settings are invalid"},
        )
    if isinstance(error, InvalidInputError):
        errors = [{"field": e.path, "message": e.message} for e in error.errors]
        document: dict[str, Any] = {"error": str(error)}
        if errors:
            document["errors"] = errors
        return _error(Disposition.REJECTED, HTTPStatus.BAD_REQUEST, error, document)
    if isinstance(error, NotFoundError):
        return _error(Disposition.REJECTED, HTTPStatus.NOT_FOUND, error, {"error": str(error)})
    if isinstance(error, RetryableError):
        document = {"error": f"try again later: {error}"}
        return _error(Disposition.REDELIVER, HTTPStatus.SERVICE_UNAVAILABLE, error, document)
    if isinstance(error, WeavefnError):
        status = HTTPStatus.UNPROCESSABLE_ENTITY
        return _error(Disposition.REJECTED, status, error, {"error": str(error)})
    document = {"error": "internal error; see the function's logs"}
    return _error(Disposition.BROKEN, HTTPStatus.INTERNAL_SERVER_ERROR, error, document)


def _error(
    disposition: Disposition, status: int, error: Exception, document: dict[str, Any]
) -> Answer:
    return Answer(disposition, int(status), document, message=str(error), error=error)


def answer(handle: Callable[[], Outcome]) -> Answer:
    """Run a handler's work; what it returns or raises becomes the platform's answer.

    A broken answer is logged here, once: which setting is wrong, or the bug's traceback.
    """
    try:
        return outcome_answer(handle())
    except ConfigurationError as bad:
        log.error("function settings are invalid: %s", bad)
        return error_answer(bad)
    except Exception as exc:  # every failure has an answer; a bug's is a server error
        result = error_answer(exc)
        if result.disposition is Disposition.BROKEN:
            log.exception("handling failed")
        return result
