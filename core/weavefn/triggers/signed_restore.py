"""CI/CD restore requests: authenticated as upgrade requests are, parsed into a RestoreRequest.

The same HMAC rules (signed_upgrade.py): ``X-Weavefn-Timestamp`` and ``X-Weavefn-Signature:
sha256=<HMAC-SHA256 of "<timestamp>." + body>`` with WEAVEFN_UPGRADE_SECRET, a 300 s window,
replays refused, the size checked before any hashing; only then is the body read.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from weavefn.model.restore_from import BACKUP_ID, BackupBackend, ClassName, NodeName
from weavefn.model.units import Version
from weavefn.triggers.model import RestoreRequest
from weavefn.triggers.replay import ReplayGuard
from weavefn.triggers.signed_upgrade import (
    MalformedRequestError,
    body_errors,
    cluster_key,
    refuse_replay,
    verified_signature,
)

MAX_NAMES = 200
"""Collections a request may name (the body stays within the 16 KiB limit)."""


class RestoreBody(BaseModel):
    """The JSON body of a restore request."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    cluster: str = Field(max_length=117, description="namespace/name")
    backup: str = Field(pattern=BACKUP_ID, max_length=128, description="the backup's id")
    backend: BackupBackend | None = Field(default=None, description="default: the cluster's")
    include: list[ClassName] = Field(default_factory=list, max_length=MAX_NAMES)
    exclude: list[ClassName] = Field(default_factory=list, max_length=MAX_NAMES)
    node_mapping: dict[str, NodeName] = Field(
        default_factory=dict, alias="nodeMapping", max_length=MAX_NAMES
    )
    version: str | None = Field(default=None, max_length=64)

    @field_validator("backend", mode="before")
    @classmethod
    def _backend_name(cls, value: object) -> object:
        # strict mode takes an enum member only; the wire carries its name
        if not isinstance(value, str):
            return value
        try:
            return BackupBackend(value)
        except ValueError:
            names = ", ".join(b.value for b in BackupBackend)
            raise ValueError(f"must be one of {names}") from None

    @field_validator("cluster")
    @classmethod
    def _namespace_name(cls, value: str) -> str:
        return cluster_key(value)

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str | None) -> str | None:
        return None if value is None else str(Version.parse(value))


def _parse_body(body: bytes) -> RestoreBody:
    try:
        return RestoreBody.model_validate_json(body)
    except ValidationError as exc:
        errors = body_errors(
            exc,
            shape='{"cluster": "ns/name", "backup": "<backup id>"}',
            fields="cluster and backup",
        )
        raise MalformedRequestError(errors, what="restore request") from None


def authenticate_restore(
    *,
    body: bytes,
    headers: Mapping[str, str],
    secret: bytes,
    now: float,
    replay: ReplayGuard,
) -> RestoreRequest:
    """Verify a signed restore request and return it; raise a RequestRejectedError otherwise."""
    signature = verified_signature(
        body=body, headers=headers, secret=secret, now=now, what="restore"
    )
    parsed = _parse_body(body)
    event_id = refuse_replay(signature, headers=headers, replay=replay, kind="restore")
    return RestoreRequest(
        cluster=parsed.cluster,
        backup=parsed.backup,
        event_id=event_id,
        backend=str(parsed.backend) if parsed.backend else None,
        include=tuple(parsed.include),
        exclude=tuple(parsed.exclude),
        node_mapping=tuple(sorted(parsed.node_mapping.items())),
        version=parsed.version,
    )
