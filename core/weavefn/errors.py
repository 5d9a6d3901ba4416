"""The error hierarchy: retryable errors ask the platform to try again, terminal ones do not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class WeavefnError(Exception):
    """Base of every error weavefn raises on purpose."""

    retryable: bool = False


class RetryableError(WeavefnError):
    """A transient failure (API 5xx, timeout, conflict): the platform should retry."""

    retryable = True


class TerminalError(WeavefnError):
    """A failure that retrying cannot fix: acknowledge, record, do not retry."""


class NotFoundError(TerminalError):
    """The named object does not exist."""


class ConflictError(RetryableError):
    """A write lost a race (stale resourceVersion, field-manager conflict): re-read and retry."""


class AlreadyExistsError(ConflictError):
    """A create found an object of that name: 409 with reason AlreadyExists."""


class UnavailableError(RetryableError):
    """A dependency (API server, Weaviate, a metric source) did not answer in time."""


class ApiServerUnreachableError(UnavailableError):
    """No HTTP answer from the Kubernetes API server (refused, timed out): where weavefn looked
    matters, so the code that opened the connection adds it."""


class ApiServerRefusedError(TerminalError):
    """The Kubernetes API server would not let weavefn in (TLS failed, credentials rejected):
    the cluster setting is at fault, so the code that opened the connection names it."""


@dataclass(frozen=True)
class FieldError:
    """One problem with an input, located by a dotted field path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidInputError(TerminalError):
    """Bad input: every problem found, each with its field path, and what to do about it."""

    def __init__(
        self, errors: Iterable[FieldError], *, what: str = "input", hint: str | None = None
    ) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        self.what = what
        self.hint = hint
        """The way out, for people (the CLI prints it after the problems)."""
        lines = "; ".join(str(e) for e in self.errors) or "invalid"
        super().__init__(f"invalid {what}: {lines}")


class ConfigurationError(TerminalError):
    """The function's own settings are wrong: not the caller's fault; the deployment must change.

    Platforms answer it as a server error (HTTP 500, or a failed run the platform retries),
    never as a bad request.
    """

    def __init__(self, errors: Iterable[FieldError], *, what: str = "function settings") -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        self.what = what
        lines = "; ".join(str(e) for e in self.errors) or "invalid"
        super().__init__(f"invalid {what}: {lines}")
