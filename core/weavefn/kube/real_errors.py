"""Reading API server answers: success bodies into dicts, failures into weavefn errors (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from weavefn.errors import (
    AlreadyExistsError,
    ApiServerRefusedError,
    ApiServerUnreachableError,
    ConflictError,
    FieldError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
    WeavefnError,
)
from weavefn.kube.paging import ListExpiredError

# Server messages are echoed to users; bounded so a pathological answer cannot flood logs.
_MESSAGE_LIMIT = 300
# Validation messages may quote submitted values; for these kinds only field paths are kept.
_SENSITIVE_KINDS = frozenset({"Secret"})


class RbacVerb(StrEnum):
    """The RBAC verb of a call, so a 403 can say which permission is missing."""

    GET = "get"
    LIST = "list"
    CREATE = "create"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"


@dataclass(frozen=True)
class ApiRequest:
    """What a request tried to do, in the words an error message needs."""

    verb: RbacVerb
    resource: str
    kind: str
    namespace: str | None = None
    name: str | None = None

    def target(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        if self.name:
            return f"{self.kind} {where}{self.name}"
        if self.verb is RbacVerb.CREATE:
            return f"new {self.kind} in namespace {self.namespace}"
        return f"{self.kind} list"

    def permission(self) -> str:
        scope = f" in namespace {self.namespace}" if self.namespace else " (cluster-wide)"
        return f"{self.verb} {self.resource}{scope}"


def error_for_status(call: ApiRequest, status: int, body: bytes) -> WeavefnError:
    """The error for a non-2xx answer. Only the Status message is kept, never the raw body."""
    answer = _status_object(body)
    message = _message(call, answer) or f"HTTP {status}"
    if status in (400, 422):
        return InvalidInputError(_field_errors(call, answer, message), what=call.target())
    if status == 410:
        token = (answer.get("metadata") or {}).get("continue")
        return ListExpiredError(
            f"{call.target()}: {message}", continue_token=token if isinstance(token, str) else None
        )
    if status == 409 and answer.get("reason") == "AlreadyExists":
        return AlreadyExistsError(f"{call.target()} already exists")
    if status in _BY_STATUS:
        return _BY_STATUS[status](call, message)
    if status == 429 or status >= 500:
        return UnavailableError(f"API server unavailable ({call.target()}): {message}")
    return TerminalError(f"{call.target()}: {message}")


_BY_STATUS: dict[int, Callable[[ApiRequest, str], WeavefnError]] = {
    401: lambda call, _: ApiServerRefusedError(
        f"the API server rejected weavefn's credentials ({call.target()})"
    ),
    403: lambda call, _: TerminalError(
        f"forbidden: weavefn needs permission to {call.permission()}"
    ),
    404: lambda call, _: NotFoundError(f"{call.target()} not found"),
    409: lambda call, message: ConflictError(f"{call.target()}: {message}"),
}


def error_for_transport(call: ApiRequest, exc: Exception) -> WeavefnError:
    """The error for a request that got no HTTP answer (timeout, refused, TLS)."""
    cause = getattr(exc, "reason", None)
    # The client wraps TLS failures in an ApiException whose reason starts with the class name.
    names = (type(exc).__name__, type(cause).__name__, str(cause).partition("\n")[0])
    if any("SSL" in name for name in names):
        return ApiServerRefusedError(
            f"TLS to the API server failed ({call.target()}): check the cluster's CA and endpoint"
        )
    kind = type(cause).__name__ if isinstance(cause, Exception) else type(exc).__name__
    # The operating system's words when it gave some ("[Errno 111] Connection refused"): the
    # rest of urllib3's text repeats the address the caller names anyway.
    said = str(cause).rpartition(": ")[2] if "[Errno" in str(cause) else ""
    detail = f"{kind}: {said}" if said else kind
    return ApiServerUnreachableError(f"API server unreachable ({call.target()}): {detail}")


def _status_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) and parsed.get("kind") == "Status" else {}


def _message(call: ApiRequest, answer: dict[str, Any]) -> str:
    if call.kind in _SENSITIVE_KINDS:
        return str(answer.get("reason") or "")
    return str(answer.get("message") or "")[:_MESSAGE_LIMIT]


def _field_errors(call: ApiRequest, answer: dict[str, Any], message: str) -> list[FieldError]:
    details = answer.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    errors = []
    for cause in causes if isinstance(causes, list) else []:
        if not isinstance(cause, dict):
            continue
        text = str(cause.get("reason") or "invalid")
        if call.kind not in _SENSITIVE_KINDS:
            text = str(cause.get("message") or text)[:_MESSAGE_LIMIT]
        errors.append(FieldError(str(cause.get("field") or call.target()), text))
    return errors or [FieldError(call.target(), message)]


def parse_answer(call: ApiRequest, data: bytes) -> dict[str, Any]:
    """The JSON object of a 2xx answer; anything else means the API server did not answer."""
    if not data:
        return {}
    try:
        parsed: Any = json.loads(data)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        # A proxy or load balancer answered instead of the API server.
        raise UnavailableError(f"no JSON object from the API server ({call.target()})")
    return parsed
