"""The webhook routes that do more than parse: signed upgrade and restore requests, SNS.

Each returns ``(http_status, json_document)``; the router (webhooks.py) owns HTTP itself.
Nothing in a cluster changes before a request is authenticated and validated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

from weavefn.errors import FieldError, InvalidInputError, NotFoundError
from weavefn.invocation import RuntimeFactory
from weavefn.lifecycle.versions import check_upgrade
from weavefn.logs import log_outcome
from weavefn.model.keys import split_key
from weavefn.model.resource import parse_cluster
from weavefn.runtime import Runtime
from weavefn.triggers.cloudwatch import parse_sns_http_alarm
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.model import AlarmTrigger, Outcome, RestoreRequest, UpgradeRequest
from weavefn.triggers.replay import ReplayGuard
from weavefn.triggers.signed_upgrade import (
    SECRET_ENV,
    MalformedRequestError,
    RequestRejectedError,
    SecretNotConfiguredError,
    authenticate_upgrade,
)
from weavefn.triggers.sns_signature import SignatureError, SnsVerifier, confirm_subscription

Answer = tuple[int, dict[str, Any]]


def _errors(errors: tuple[FieldError, ...] | list[FieldError]) -> list[dict[str, str]]:
    return [{"field": e.path, "message": e.message} for e in errors]


Authenticate = Callable[..., Any]


def _authenticated(
    request: HttpRequest,
    *,
    secret: bytes,
    now: float,
    replay: ReplayGuard,
    authenticate: Authenticate = authenticate_upgrade,
    what: str = "upgrade",
) -> Any:
    """The authenticated request, or the answer refusing it (nothing changed)."""
    try:
        return authenticate(
            body=request.body, headers=request.headers, secret=secret, now=now, replay=replay
        )
    except SecretNotConfiguredError:
        return HTTPStatus.SERVICE_UNAVAILABLE, {
            "error": f"{what} requests are disabled: {SECRET_ENV} is not configured"
        }
    except MalformedRequestError as bad:
        return bad.http_status, {"error": str(bad), "errors": _errors(bad.errors)}
    except RequestRejectedError as rejected:
        return rejected.http_status, {"error": str(rejected)}


def upgrade_answer(
    request: HttpRequest,
    *,
    secret: bytes,
    now: float,
    replay: ReplayGuard,
    runtime_factory: RuntimeFactory,
    deadline: float,
) -> Answer:
    """Authenticate, check the cluster and the version rules, then start the upgrade (202)."""
    upgrade = _authenticated(request, secret=secret, now=now, replay=replay)
    if not isinstance(upgrade, UpgradeRequest):
        return cast(Answer, upgrade)
    with runtime_factory() as runtime:
        refused = _refused(runtime, upgrade)
        if refused is not None:
            return refused
        try:
            outcome = runtime.service.handle(upgrade, deadline=deadline)
        except NotImplementedError:
            return HTTPStatus.NOT_IMPLEMENTED, {
                "error": "this build of weavefn cannot start upgrades yet"
            }
    log_outcome(upgrade, outcome, request_id=request.request_id)
    answer = {"cluster": upgrade.cluster, "version": upgrade.version, "message": outcome.message}
    if outcome.ok:
        return HTTPStatus.ACCEPTED, {**answer, "accepted": True}
    status = HTTPStatus.SERVICE_UNAVAILABLE if outcome.retry else HTTPStatus.CONFLICT
    return status, {**answer, "accepted": False, "error": outcome.message}


def _refused(runtime: Runtime, upgrade: UpgradeRequest) -> Answer | None:
    """404 for an unknown cluster, 422 for a version move the rules forbid."""
    namespace, name = split_key(upgrade.cluster)
    try:
        raw = runtime.kube.get_cluster(namespace, name)
    except NotFoundError:
        return HTTPStatus.NOT_FOUND, {"error": f"no WeaviateCluster {upgrade.cluster}"}
    problems = check_upgrade(parse_cluster(raw), upgrade.version)
    if problems:
        return HTTPStatus.UNPROCESSABLE_ENTITY, {
            "error": f"{upgrade.cluster} cannot move to {upgrade.version}",
            "errors": _errors(problems),
        }
    return None


def restore_answer(
    request: HttpRequest,
    *,
    secret: bytes,
    now: float,
    replay: ReplayGuard,
    runtime_factory: RuntimeFactory,
    deadline: float,
) -> Answer:
    """Authenticate, check the restore against the cluster and Weaviate, record it (202).

    404 an unknown cluster, 422 a restore Weaviate (or weavefn's version rule) would refuse,
    each problem with its field, 409 another restore waiting or running, 503 Weaviate out of
    reach: every refusal changes nothing.
    """
    from weavefn.lifecycle.restore.request import RestoreConflictError
    from weavefn.triggers.signed_restore import authenticate_restore

    restore = _authenticated(
        request,
        secret=secret,
        now=now,
        replay=replay,
        authenticate=authenticate_restore,
        what="restore",
    )
    if not isinstance(restore, RestoreRequest):
        return cast(Answer, restore)
    answer: dict[str, Any] = {"cluster": restore.cluster, "backup": restore.backup}
    with runtime_factory() as runtime:
        try:
            outcome = runtime.service.restore(restore, deadline=deadline)
        except NotFoundError as missing:
            return HTTPStatus.NOT_FOUND, {**answer, "error": str(missing)}
        except InvalidInputError as refused:
            return HTTPStatus.UNPROCESSABLE_ENTITY, {
                **answer,
                "error": f"{restore.cluster} cannot restore {restore.backup}",
                "errors": _errors(refused.errors),
            }
        except RestoreConflictError as busy:
            return HTTPStatus.CONFLICT, {**answer, "error": str(busy)}
    log_outcome(restore, outcome, request_id=request.request_id)
    if outcome.ok:
        return HTTPStatus.ACCEPTED, {**answer, "accepted": True, "message": outcome.message}
    status = HTTPStatus.SERVICE_UNAVAILABLE if outcome.retry else HTTPStatus.CONFLICT
    return status, {**answer, "accepted": False, "error": outcome.message}


def sns_answer(
    body: bytes,
    *,
    verifier: SnsVerifier,
    fetch: Callable[[str], bytes],
    run: Callable[[AlarmTrigger], Outcome],
) -> Answer:
    """Verify an SNS HTTPS delivery, confirm a subscription or handle the alarm it carries."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return HTTPStatus.BAD_REQUEST, {"error": "body is not JSON: expected an SNS message"}
    if not isinstance(document, dict):
        return HTTPStatus.BAD_REQUEST, {
            "error": "body is not a JSON object: expected an SNS message"
        }
    try:
        verifier.verify(document)
    except SignatureError as forged:
        return HTTPStatus.FORBIDDEN, {"error": f"not a verifiable SNS message: {forged}"}
    kind = document.get("Type")
    if kind == "SubscriptionConfirmation":
        confirm_subscription(document, fetch=fetch)
        return HTTPStatus.OK, {"confirmed": True}
    if kind != "Notification":
        return HTTPStatus.OK, {"ignored": str(kind)}
    outcome = run(parse_sns_http_alarm(document))
    # SNS retries 5xx answers: only ask for that when retrying can help
    status = HTTPStatus.SERVICE_UNAVAILABLE if outcome.retry else HTTPStatus.OK
    return status, {"ok": outcome.ok, "message": outcome.message, "clusters": outcome.clusters}
