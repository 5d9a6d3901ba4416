"""CI/CD upgrade requests: HMAC authentication, replay refusal and body parsing into an UpgradeRequest.

Restore requests (signed_restore.py) are authenticated by the same rules and helpers here.

The shared secret is configured as the environment variable WEAVEFN_UPGRADE_SECRET; the cloud
adapters read it and pass its bytes here. Each rejection is its own error class carrying the
HTTP status the adapter answers with. No message ever contains the secret or the expected
signature.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from weavefn.errors import FieldError, InvalidInputError, TerminalError
from weavefn.model.base import DNS_LABEL
from weavefn.model.units import Version
from weavefn.triggers.model import UpgradeRequest
from weavefn.triggers.replay import ReplayGuard

SECRET_ENV = "WEAVEFN_UPGRADE_SECRET"  # nosec B105 # the variable's name, not a secret
TIMESTAMP_HEADER = "X-Weavefn-Timestamp"
SIGNATURE_HEADER = "X-Weavefn-Signature"
MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 16 * 1024
"""A request is two short strings; anything near this size is not one."""

_SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_LABEL = re.compile(DNS_LABEL)


class RequestRejectedError(TerminalError):
    """An upgrade request refused before anything was changed; ``http_status`` is the answer."""

    http_status: ClassVar[int] = 400


class UnauthenticatedError(RequestRejectedError):
    """The request cannot be attributed to a holder of the secret."""

    http_status = 401


class MissingHeaderError(UnauthenticatedError):
    """A required authentication header is absent."""


class MalformedHeaderError(UnauthenticatedError):
    """An authentication header is present but not in the expected form."""


class BadSignatureError(UnauthenticatedError):
    """The signature does not match the body and timestamp under the configured secret."""


class StaleTimestampError(UnauthenticatedError):
    """The signed timestamp lies outside the accepted clock-skew window."""


class ReplayedRequestError(RequestRejectedError):
    """The same signed request was already accepted within the window."""

    http_status = 409


class MalformedRequestError(InvalidInputError, RequestRejectedError):
    """The authenticated body is not a valid upgrade request; ``errors`` name the fields."""

    http_status = 400


class PayloadTooLargeError(RequestRejectedError):
    """The body exceeds MAX_BODY_BYTES; it is refused before any other work."""

    http_status = 413


class SecretNotConfiguredError(TerminalError):
    """The adapter passed an empty secret: every request would be forgeable."""

    http_status: ClassVar[int] = 500


def cluster_key(value: str) -> str:
    """A request's ``cluster``: namespace/name, both lowercase DNS labels."""
    namespace, slash, name = value.partition("/")
    if not slash or not _LABEL.match(namespace) or not _LABEL.match(name):
        raise ValueError("must be namespace/name, both lowercase DNS labels")
    if len(namespace) > 63 or len(name) > 52:
        raise ValueError("namespace must be at most 63 characters and name at most 52")
    return value


class UpgradeBody(BaseModel):
    """The JSON body of an upgrade request."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    cluster: str = Field(max_length=117, description="namespace/name")
    version: str = Field(max_length=64)

    @field_validator("cluster")
    @classmethod
    def _namespace_name(cls, value: str) -> str:
        return cluster_key(value)

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        return str(Version.parse(value))


def _signature_of(body: bytes, *, secret: bytes, timestamp: str) -> bytes:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign_upgrade(body: bytes, *, secret: bytes, timestamp: int) -> dict[str, str]:
    """The two headers that authenticate ``body`` at ``timestamp`` (unix seconds)."""
    digest = _signature_of(body, secret=secret, timestamp=str(timestamp))
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: f"sha256={digest.hex()}"}


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value.strip()
    raise MissingHeaderError(f"missing header {name}")


def _verified_signature(
    *, body: bytes, headers: Mapping[str, str], secret: bytes, now: float
) -> str:
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if not _TIMESTAMP.match(timestamp):
        raise MalformedHeaderError(f"{TIMESTAMP_HEADER} must be unix seconds")
    skew = now - int(timestamp)
    if abs(skew) > MAX_SKEW_SECONDS:
        direction = "old" if skew > 0 else "far in the future"
        raise StaleTimestampError(
            f"{TIMESTAMP_HEADER} is too {direction}: requests are accepted within "
            f"{MAX_SKEW_SECONDS} s of the receiver's clock"
        )
    match = _SIGNATURE.match(signature)
    if match is None:
        raise MalformedHeaderError(f"{SIGNATURE_HEADER} must be sha256=<64 hex digits>")
    expected = _signature_of(body, secret=secret, timestamp=timestamp)
    if not hmac.compare_digest(expected, bytes.fromhex(match[1])):
        raise BadSignatureError(
            f"{SIGNATURE_HEADER} does not match the body and timestamp "
            f"(HMAC-SHA256 over '<timestamp>.<body>' with {SECRET_ENV})"
        )
    return match[1].lower()


def body_errors(exc: ValidationError, *, shape: str, fields: str) -> list[FieldError]:
    """A signed body's problems, one per field; ``shape`` and ``fields`` say what is expected."""
    errors: dict[str, FieldError] = {}
    for item in exc.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"]) or "(body)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "json_invalid":
            message = f"not valid JSON: expected {shape}"
        elif item["type"] == "model_type":
            message = f"expected a JSON object with {fields}"
        errors.setdefault(path, FieldError(path, message))
    return list(errors.values())


def _parse_body(body: bytes) -> UpgradeBody:
    try:
        return UpgradeBody.model_validate_json(body)
    except ValidationError as exc:
        errors = body_errors(
            exc,
            shape='{"cluster": "ns/name", "version": "X.Y.Z"}',
            fields="cluster and version",
        )
        raise MalformedRequestError(errors, what="upgrade request") from None


def verified_signature(
    *, body: bytes, headers: Mapping[str, str], secret: bytes, now: float, what: str
) -> str:
    """The signature of a signed request (upgrade, restore), checked before its body is read.

    Order matters: the secret and the size are checked before any hashing, the signature
    before the body is trusted.
    """
    if not secret:
        raise SecretNotConfiguredError(f"{SECRET_ENV} is empty: refusing all {what} requests")
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"body exceeds {MAX_BODY_BYTES} bytes")
    return _verified_signature(body=body, headers=headers, secret=secret, now=now)


def refuse_replay(
    signature: str, *, headers: Mapping[str, str], replay: ReplayGuard, kind: str
) -> str:
    """Record a fully valid request against replays; its stable event id (``kind-<hash>``)."""
    timestamp = int(_header(headers, TIMESTAMP_HEADER))
    if replay.seen(signature, timestamp + MAX_SKEW_SECONDS):
        raise ReplayedRequestError("this signed request was already received")
    # Hashing the signature keeps the id stable across redeliveries without storing the MAC.
    return f"{kind}-" + hashlib.sha256(signature.encode()).hexdigest()[:32]


def authenticate_upgrade(
    *,
    body: bytes,
    headers: Mapping[str, str],
    secret: bytes,
    now: float,
    replay: ReplayGuard,
) -> UpgradeRequest:
    """Verify a signed upgrade request and return it; raise a RequestRejectedError otherwise.

    A request is only recorded against replays once it is fully valid.
    """
    signature = verified_signature(
        body=body, headers=headers, secret=secret, now=now, what="upgrade"
    )
    parsed = _parse_body(body)
    event_id = refuse_replay(signature, headers=headers, replay=replay, kind="upgrade")
    return UpgradeRequest(cluster=parsed.cluster, version=parsed.version, event_id=event_id)
