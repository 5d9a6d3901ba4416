"""The webhook Lambda: API Gateway 2.0 events routed to admission, upgrade and SNS, good and bad."""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from weavefn.invocation import Instance
from weavefn.local.kube import LocalKube
from weavefn.queue.memory import MemoryQueue
from weavefn.triggers.signed_upgrade import sign_upgrade

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.adapters.aws.conftest import NS, SECRET, replicas, sample
from tests.adapters.aws.signing import SnsSigner

NAME = "production"


@pytest.fixture
def signer() -> SnsSigner:
    return SnsSigner()


@pytest.fixture
def webhook(
    make_instance: Callable[..., Instance], signer: SnsSigner, context: LocalContext
) -> Callable[..., dict[str, Any]]:
    def call(event: Any, **settings: Any) -> dict[str, Any]:
        instance = make_instance(**settings)
        instance.verifier = signer.verifier()
        response = AwsHandlers(lambda: instance).webhook(event, context)
        assert response["headers"]["content-type"] == "application/json"
        assert response["isBase64Encoded"] is False
        response["json"] = json.loads(response["body"])
        return response

    return call


def upgrade_event(body: str, *, secret: bytes = SECRET, at: int | None = None) -> dict[str, Any]:
    event = sample("apigw-upgrade-request.json")
    event["body"] = body
    headers = sign_upgrade(body.encode(), secret=secret, timestamp=at or int(time.time()))
    event["headers"].update({k.lower(): v for k, v in headers.items()})
    return event


def spec_version(kube: LocalKube) -> str:
    return str(kube.get_cluster(NS, NAME)["spec"]["version"])


def test_admission_sample_is_allowed_and_queues_a_reconcile(
    webhook: Callable[..., dict[str, Any]], queue: MemoryQueue
) -> None:
    response = webhook(sample("apigw-admission-review.json"))

    assert response["statusCode"] == 200
    review = response["json"]
    assert review["kind"] == "AdmissionReview"
    assert review["response"]["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert review["response"]["allowed"] is True
    assert queue.clusters == ["weaviate/production"]


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        pytest.param(None, 401, id="missing"),
        pytest.param("Bearer wrong", 401, id="wrong"),
        pytest.param("Bearer admission-token", 200, id="right"),
    ],
)
def test_admission_token_is_required_when_configured(
    authorization: str | None,
    status: int,
    webhook: Callable[..., dict[str, Any]],
    queue: MemoryQueue,
) -> None:
    event = sample("apigw-admission-review.json")
    if authorization:
        event["headers"]["authorization"] = authorization

    response = webhook(event, admission_token="admission-token")

    assert response["statusCode"] == status
    assert "admission-token" not in response["body"]
    assert len(queue.bodies) == (1 if status == 200 else 0)


def test_signed_upgrade_request_is_accepted(
    webhook: Callable[..., dict[str, Any]], kube: LocalKube
) -> None:
    response = webhook(upgrade_event('{"cluster": "weaviate/production", "version": "1.27.3"}'))

    assert response["statusCode"] == 202, response["json"]
    assert response["json"]["cluster"] == "weaviate/production"
    assert response["json"]["version"] == "1.27.3"
    assert spec_version(kube) == "1.27.3"


UPGRADE_REFUSALS = [
    pytest.param(
        sample("apigw-upgrade-request.json"), 401, "X-Weavefn", id="placeholder-signature"
    ),
    pytest.param(
        upgrade_event('{"cluster": "weaviate/production", "version": "1.27.3"}', secret=b"other"),
        401,
        "does not match",
        id="wrong-secret",
    ),
    pytest.param(
        upgrade_event('{"cluster": "weaviate/production", "version": "1.27.3"}', at=1_000_000),
        401,
        "too old",
        id="stale",
    ),
    pytest.param(
        upgrade_event('{"cluster": "weaviate/missing", "version": "1.27.3"}'),
        404,
        "weaviate/missing",
        id="unknown-cluster",
    ),
    pytest.param(
        upgrade_event('{"cluster": "weaviate/production", "version": "2.0.0"}'),
        422,
        "spec.version",
        id="major-version",
    ),
    pytest.param(
        upgrade_event('{"cluster": "weaviate/production", "version": "latest"}'),
        400,
        "version",
        id="not-a-version",
    ),
    pytest.param(
        upgrade_event('{"cluster": "production", "version": "1.27.3"}'),
        400,
        "cluster",
        id="no-namespace",
    ),
]


@pytest.mark.parametrize(("event", "status", "names"), UPGRADE_REFUSALS)
def test_upgrade_refusals_change_nothing(
    event: dict[str, Any],
    status: int,
    names: str,
    webhook: Callable[..., dict[str, Any]],
    kube: LocalKube,
) -> None:
    kube.reset_calls()

    response = webhook(copy.deepcopy(event))

    assert response["statusCode"] == status
    assert names in response["body"]
    assert SECRET.decode() not in response["body"]
    assert kube.writes == 0
    assert spec_version(kube) == "1.27.0"


def test_replayed_upgrade_request_is_refused(
    webhook: Callable[..., dict[str, Any]], make_instance: Callable[..., Instance]
) -> None:
    event = upgrade_event('{"cluster": "weaviate/production", "version": "1.27.3"}')
    instance = make_instance()
    handlers = AwsHandlers(lambda: instance)

    first = handlers.webhook(copy.deepcopy(event), LocalContext())
    second = handlers.webhook(copy.deepcopy(event), LocalContext())

    assert (first["statusCode"], second["statusCode"]) == (202, 409)


def test_upgrade_without_a_configured_secret_is_refused(
    webhook: Callable[..., dict[str, Any]], make_instance: Callable[..., Instance], kube: LocalKube
) -> None:
    instance = make_instance()
    instance.settings = type(instance.settings)(cluster="local:unused")
    response = AwsHandlers(lambda: instance).webhook(
        upgrade_event('{"cluster": "weaviate/production", "version": "1.27.3"}'), LocalContext()
    )

    assert response["statusCode"] == 503
    assert "WEAVEFN_UPGRADE_SECRET" in response["body"]
    assert spec_version(kube) == "1.27.0"


def test_signed_sns_notification_scales_the_cluster(
    webhook: Callable[..., dict[str, Any]], signer: SnsSigner, kube: LocalKube
) -> None:
    response = webhook(signer.resign_event(sample("sns-http-notification.json")))

    assert response["statusCode"] == 200, response["json"]
    assert replicas(kube) == 5


def _altered(signer: SnsSigner) -> dict[str, Any]:
    event = signer.resign_event(sample("sns-http-notification.json"))
    body = json.loads(event["body"])
    body["Message"] = body["Message"].replace("1480.5", "9999.0")
    return {**event, "body": json.dumps(body)}


def _unsigned() -> dict[str, Any]:
    event = sample("sns-http-notification.json")
    body = json.loads(event["body"])
    del body["Signature"]
    return {**event, "body": json.dumps(body)}


def _foreign_certificate(signer: SnsSigner) -> dict[str, Any]:
    event = signer.resign_event(sample("sns-http-notification.json"))
    body = json.loads(event["body"])
    body["SigningCertURL"] = "https://attacker.example.com/cert.pem"
    return {**event, "body": json.dumps(body)}


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_altered, id="altered"),
        pytest.param(lambda _: _unsigned(), id="unsigned"),
        pytest.param(_foreign_certificate, id="foreign-certificate"),
    ],
)
def test_forged_sns_messages_are_forbidden_and_change_nothing(
    make: Callable[[SnsSigner], dict[str, Any]],
    webhook: Callable[..., dict[str, Any]],
    signer: SnsSigner,
    kube: LocalKube,
) -> None:
    event = make(signer)
    kube.reset_calls()

    response = webhook(event)

    assert response["statusCode"] == 403
    assert kube.writes == 0
    assert "attacker.example.com" not in signer.fetched


def test_subscription_confirmation_visits_the_subscribe_url(
    make_instance: Callable[..., Instance], signer: SnsSigner
) -> None:
    from weavefn.triggers.http_payloads import read_http
    from weavefn.webhooks import handle_http

    instance = make_instance()
    visited: list[str] = []
    event = signer.resign_event(sample("sns-subscription-confirmation.json"))

    response = handle_http(
        read_http(event),
        runtime_factory=instance.runtime_factory,
        settings=instance.settings,
        replay=instance.replay,
        verifier=signer.verifier(),
        fetch=lambda url: visited.append(url) or b"",
    )

    assert response.status == 200
    assert response.json() == {"confirmed": True}
    assert len(visited) == 1 and "Action=ConfirmSubscription" in visited[0]


def _with(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    for key, value in changes.items():
        if key == "method":
            changed["requestContext"]["http"]["method"] = value
        else:
            changed[key] = value
    return changed


ADMISSION = sample("apigw-admission-review.json")

BAD_REQUESTS = [
    pytest.param(_with(ADMISSION, rawPath="/nowhere"), 404, id="unknown-path"),
    pytest.param(_with(ADMISSION, method="GET"), 405, id="wrong-method"),
    pytest.param(_with(ADMISSION, body="x" * (1024 * 1024 + 1)), 413, id="oversize"),
    pytest.param(_with(ADMISSION, body="{not json"), 400, id="admission-not-json"),
    pytest.param(_with(ADMISSION, body="%%%", isBase64Encoded=True), 400, id="body-not-base64"),
    pytest.param({"version": "2.0", "rawPath": "/admission"}, 400, id="no-request-context"),
    pytest.param(
        _with(sample("sns-http-notification.json"), body="[]"), 400, id="sns-not-an-object"
    ),
]


@pytest.mark.parametrize(("event", "status"), BAD_REQUESTS)
def test_bad_requests_get_a_clear_4xx_and_change_nothing(
    event: dict[str, Any],
    status: int,
    webhook: Callable[..., dict[str, Any]],
    kube: LocalKube,
    queue: MemoryQueue,
) -> None:
    kube.reset_calls()

    response = webhook(event)

    assert response["statusCode"] == status
    assert response["json"].get("error") or response["json"]["response"]["status"]["message"]
    assert kube.writes == 0
    assert queue.bodies == []


def test_base64_body_is_decoded(webhook: Callable[..., dict[str, Any]]) -> None:
    event = _with(
        ADMISSION,
        body=base64.b64encode(ADMISSION["body"].encode()).decode(),
        isBase64Encoded=True,
    )

    assert webhook(event)["json"]["response"]["allowed"] is True
