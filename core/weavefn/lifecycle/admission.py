"""The validating admission webhook for WeaviateCluster: an AdmissionReview in, the answer out.

Reading the review (size, JSON, envelope) is kept apart from the decision, which is a pure
function of the request. A malformed review gets HTTP 400 (413 when oversize) and still an
AdmissionReview body; a well-formed one always gets HTTP 200, allowed or not, as the API
server expects. Messages name field paths and versions, never other spec values, so a
credential pasted into the spec cannot leak through a denial.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.lifecycle.admission_rules import (
    immutable_field_errors,
    spec_warnings,
    upgrade_backup_errors,
)
from weavefn.lifecycle.versions import VERSION_PATH, allows_downtime, check_version_change
from weavefn.model.manifest import API_VERSION, KIND, ClusterManifest, parse_manifest

REVIEW_API_VERSION = "admission.k8s.io/v1"
REVIEW_KIND = "AdmissionReview"
MAX_REVIEW_BYTES = 1024 * 1024
"""Above what the API server sends for one object (etcd's limit is 1.5 MiB for the stored form)."""
_MAX_MESSAGE = 1000
# Room for an unknown module's list of known names (about 450 characters for text2vec-*).
_MAX_ITEM = 600
_MAX_LISTED = 10


class ReviewOperation(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    CONNECT = "CONNECT"


@dataclass(frozen=True)
class AdmissionResult:
    """The response AdmissionReview, the HTTP status to send it with, and what to enqueue."""

    response: dict[str, Any]
    http_status: int
    enqueue: str | None = None
    """``namespace/name`` to reconcile: set only for an allowed, real change of the spec."""
    reviewed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def allowed(self) -> bool:
        return bool(self.response["response"]["allowed"])

    @property
    def message(self) -> str:
        status = self.response["response"].get("status") or {}
        return str(status.get("message", ""))

    @property
    def warnings(self) -> list[str]:
        return list(self.response["response"].get("warnings", []))


@dataclass(frozen=True)
class AdmissionDecision:
    """What to answer a well-formed review."""

    allowed: bool
    code: int = HTTPStatus.OK
    message: str = ""
    warnings: tuple[str, ...] = ()
    enqueue: str | None = None


@dataclass(frozen=True)
class ReviewRequest:
    """The parts of ``AdmissionReview.request`` the decision reads."""

    uid: str
    operation: str
    obj: dict[str, Any] | None
    old: dict[str, Any] | None
    dry_run: bool
    namespace: str | None


class _MalformedReview(Exception):
    def __init__(self, message: str, *, status: int = HTTPStatus.BAD_REQUEST, uid: str = ""):
        super().__init__(message)
        self.status = status
        self.uid = uid


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _load(body: bytes | str | dict[str, Any]) -> Any:
    if isinstance(body, dict):
        return body  # already parsed by the platform, under its own size limit
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_REVIEW_BYTES:
        raise _MalformedReview(
            f"AdmissionReview exceeds {MAX_REVIEW_BYTES} bytes",
            status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        )
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise _MalformedReview(
            "body is not JSON: expected an admission.k8s.io/v1 AdmissionReview"
        ) from None


def _read_request(body: bytes | str | dict[str, Any]) -> ReviewRequest:
    document = _load(body)
    if not isinstance(document, dict):
        raise _MalformedReview("body is not a JSON object: expected an AdmissionReview")
    request = document.get("request")
    uid = request.get("uid") if isinstance(request, dict) else None
    uid = uid if isinstance(uid, str) and uid else ""
    if document.get("apiVersion") != REVIEW_API_VERSION or document.get("kind") != REVIEW_KIND:
        raise _MalformedReview(
            f"expected apiVersion {REVIEW_API_VERSION} and kind {REVIEW_KIND}", uid=uid
        )
    if not isinstance(request, dict):
        raise _MalformedReview("request is missing or not an object")
    if not uid:
        raise _MalformedReview("request.uid is missing")
    operation = str(request.get("operation", ""))
    obj, old = request.get("object"), request.get("oldObject")
    if operation in (ReviewOperation.CREATE, ReviewOperation.UPDATE):
        _check_is_cluster(obj, "request.object", uid=uid)
    if operation == ReviewOperation.UPDATE:
        _check_is_cluster(old, "request.oldObject", uid=uid)
    namespace = request.get("namespace")
    return ReviewRequest(
        uid=uid,
        operation=operation,
        obj=obj if isinstance(obj, dict) else None,
        old=old if isinstance(old, dict) else None,
        dry_run=request.get("dryRun") is True,
        namespace=namespace if isinstance(namespace, str) and namespace else None,
    )


def _check_is_cluster(obj: Any, where: str, *, uid: str) -> None:
    if not isinstance(obj, dict):
        raise _MalformedReview(f"{where} is missing or not an object", uid=uid)
    if obj.get("apiVersion") != API_VERSION or obj.get("kind") != KIND:
        found = _clip(f"{obj.get('apiVersion')!s} {obj.get('kind')!s}", 80)
        raise _MalformedReview(
            f"{where} is {found}, not a {API_VERSION} {KIND}: check the webhook's rules",
            uid=uid,
        )


def _spec(obj: dict[str, Any] | None) -> dict[str, Any]:
    spec = (obj or {}).get("spec")
    return spec if isinstance(spec, dict) else {}


def _meta(obj: dict[str, Any] | None) -> dict[str, Any]:
    meta = (obj or {}).get("metadata")
    return meta if isinstance(meta, dict) else {}


def _with_namespace(obj: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    # On CREATE the object may omit its namespace; the request carries the one it lands in.
    meta = _meta(obj)
    if meta.get("namespace") or not namespace:
        return obj
    return {**obj, "metadata": {**meta, "namespace": namespace}}


def _display_name(obj: dict[str, Any]) -> str:
    meta = _meta(obj)
    parts = [meta.get("namespace"), meta.get("name")]
    if all(isinstance(p, str) and 0 < len(p) <= 63 for p in parts):
        return f"{KIND} {parts[0]}/{parts[1]}"
    return KIND


def _denial(obj: dict[str, Any], errors: list[FieldError]) -> str:
    listed = [_clip(str(e), _MAX_ITEM) for e in errors[:_MAX_LISTED]]
    more = len(errors) - len(listed)
    tail = f"; and {more} more" if more else ""
    return _clip(f"{_display_name(obj)} is invalid: " + "; ".join(listed) + tail, _MAX_MESSAGE)


@dataclass(frozen=True)
class ChangeCheck:
    """What the admission rules say about creating or changing one WeaviateCluster."""

    cluster: ClusterManifest | None
    """The new object as a manifest, when it parses."""
    errors: tuple[FieldError, ...]
    warnings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.cluster is not None and not self.errors


def _version_errors(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    new = _spec(obj).get("version")
    if not isinstance(new, str):
        return []  # the model validation already reports a missing or non-text version
    old_version = _spec(old).get("version") if old is not None else None
    return check_version_change(
        old_version if isinstance(old_version, str) else None,
        new,
        allow_downtime=allows_downtime(_meta(obj).get("annotations")),
    )


def check_change(obj: dict[str, Any], *, old: dict[str, Any] | None) -> ChangeCheck:
    """Every rule creating ``obj`` (``old`` None) or changing ``old`` into it breaks: the model,
    the version rules, the fields fixed after creation, an upgrade's backup; and the warnings.

    The admission webhook and ``weavefn apply`` (against the live object) both ask this.
    """
    errors: list[FieldError] = []
    cluster: ClusterManifest | None = None
    try:
        cluster = parse_manifest(obj)
    except InvalidInputError as invalid:
        errors.extend(invalid.errors)
    if not any(e.path == VERSION_PATH for e in errors):
        errors.extend(_version_errors(obj, old))
    if old is not None:
        errors.extend(immutable_field_errors(old=old, new=_spec(obj)))
        if "restoreFrom" in _spec(obj):
            from weavefn.lifecycle.restore.rules import restore_from_change_errors

            errors.extend(restore_from_change_errors(old=old, new=_spec(obj)))
        if cluster is not None and not errors:
            errors.extend(upgrade_backup_errors(cluster, old=old))
    elif cluster is not None and cluster.spec.restore_from is not None:
        # loaded only for a cluster created from a backup
        from weavefn.lifecycle.restore.rules import restore_from_errors

        errors.extend(restore_from_errors(cluster))
    warnings = tuple(spec_warnings(cluster, old=old)) if cluster else ()
    return ChangeCheck(cluster, tuple(errors), warnings)


def decide(request: ReviewRequest) -> AdmissionDecision:
    """The answer to a well-formed review: validation, version rules, immutables and warnings."""
    if (
        request.operation not in (ReviewOperation.CREATE, ReviewOperation.UPDATE)
        or request.obj is None
    ):
        return AdmissionDecision(allowed=True)
    obj = _with_namespace(request.obj, request.namespace)
    old = (request.old or {}) if request.operation == ReviewOperation.UPDATE else None
    checked = check_change(obj, old=old)
    if not checked.allowed or checked.cluster is None:
        return AdmissionDecision(
            allowed=False,
            code=HTTPStatus.UNPROCESSABLE_ENTITY,
            message=_denial(obj, list(checked.errors)),
            warnings=checked.warnings,
        )
    changed = request.operation == ReviewOperation.CREATE or _spec(request.old) != _spec(obj)
    enqueue = checked.cluster.key if changed and not request.dry_run else None
    return AdmissionDecision(allowed=True, warnings=checked.warnings, enqueue=enqueue)


def _answer(
    *, uid: str, decision: AdmissionDecision, http_status: int, now: datetime
) -> AdmissionResult:
    response: dict[str, Any] = {"uid": uid, "allowed": decision.allowed}
    if not decision.allowed:
        response["status"] = {"code": int(decision.code), "message": decision.message}
    if decision.warnings:
        response["warnings"] = list(decision.warnings)
    return AdmissionResult(
        response={"apiVersion": REVIEW_API_VERSION, "kind": REVIEW_KIND, "response": response},
        http_status=int(http_status),
        enqueue=decision.enqueue,
        reviewed_at=now,
    )


def review(body: bytes | str | dict[str, Any], *, now: datetime | None = None) -> AdmissionResult:
    """Answer one AdmissionReview for a WeaviateCluster; never raises on any input."""
    now = now or datetime.now(UTC)
    try:
        request = _read_request(body)
    except _MalformedReview as bad:
        refusal = AdmissionDecision(allowed=False, code=bad.status, message=str(bad))
        return _answer(uid=bad.uid, decision=refusal, http_status=bad.status, now=now)
    return _answer(uid=request.uid, decision=decide(request), http_status=HTTPStatus.OK, now=now)
