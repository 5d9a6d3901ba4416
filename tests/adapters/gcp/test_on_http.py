"""on_http: Cloud Scheduler HTTP with OIDC, webhook routes and bad input, on the local cluster."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import pytest
from flask.testing import FlaskClient
from weavefn.local.kube import LocalKube

from tests.adapters.gcp.conftest import NAME, NS, example, replicas, sample

AUDIENCE = "https://us-central1-acme-search-prod.cloudfunctions.net/weavefn-http"


def send(client: FlaskClient, document: dict[str, Any], **changes: Any) -> Any:
    """POST a ``{method, url, headers, body}`` sample to its path on the test client."""
    headers = {**document["headers"], **changes.pop("headers", {})}
    headers.pop("Content-Length", None)
    path = changes.pop("path", "/" + document["url"].split("/", 3)[-1].split("/", 1)[-1])
    body = changes.pop("body", document["body"])
    return client.open(path, method=document["method"], headers=headers, data=body)


class FakeVerifier:
    """Stands in for Google's token check: one token is valid, for one audience."""

    def __init__(self, *, token: str, audience: str) -> None:
        self.token, self.audience = token, audience
        self.calls: list[tuple[str, str]] = []

    def __call__(self, token: str, audience: str) -> Mapping[str, Any]:
        self.calls.append((token, audience))
        if token != self.token or audience != self.audience:
            raise ValueError("Token has wrong audience")
        return {"aud": audience, "email": "scheduler@acme-search-prod.iam.gserviceaccount.com"}


@pytest.fixture
def verifier(main_module: Any, monkeypatch: pytest.MonkeyPatch) -> FakeVerifier:
    fake = FakeVerifier(token="good-token", audience=AUDIENCE)
    monkeypatch.setattr(main_module, "verify_id_token", fake)
    return fake


def test_the_scheduler_http_sample_reaches_the_schedule_route(
    kube: LocalKube, http: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEAVEFN_OIDC_AUDIENCE", raising=False)
    kube.apply_cluster(example())
    document = sample("scheduler-http.json")

    answer = send(http, document, path="/schedule")

    assert answer.status_code == 200, answer.get_json()
    assert replicas(kube) == 3
    assert f"{NS}/{NAME}" in answer.get_json()["clusters"]


def test_a_valid_oidc_token_is_checked_against_the_audience(
    kube: LocalKube, http: FlaskClient, verifier: FakeVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEAVEFN_OIDC_AUDIENCE", AUDIENCE)
    kube.apply_cluster(example())

    answer = send(
        http,
        sample("scheduler-http.json"),
        path="/schedule",
        headers={"Authorization": "Bearer good-token"},
    )

    assert answer.status_code == 200
    assert verifier.calls == [("good-token", AUDIENCE)]
    assert replicas(kube) == 3


@pytest.mark.parametrize(
    ("authorization", "configured"),
    [
        pytest.param("Bearer token-for-another-function", AUDIENCE, id="wrong-token"),
        pytest.param("Bearer good-token", AUDIENCE + "-other", id="audience-mismatch"),
        pytest.param("", AUDIENCE, id="no-token"),
        pytest.param("Basic dXNlcjpwYXNz", AUDIENCE, id="not-bearer"),
    ],
)
@pytest.mark.usefixtures("verifier")
def test_a_bad_oidc_token_is_401_and_changes_nothing(
    kube: LocalKube,
    http: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    authorization: str,
    configured: str,
) -> None:
    monkeypatch.setenv("WEAVEFN_OIDC_AUDIENCE", configured)
    kube.apply_cluster(example())
    kube.reset_calls()

    answer = send(
        http,
        sample("scheduler-http.json"),
        path="/schedule",
        headers={"Authorization": authorization},
    )

    assert answer.status_code == 401
    assert kube.writes == 0 and replicas(kube) is None
    assert "good-token" not in answer.get_data(as_text=True)


def test_oidc_is_not_required_on_the_webhook_routes(
    running: LocalKube, http: FlaskClient, verifier: FakeVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEAVEFN_OIDC_AUDIENCE", AUDIENCE)

    answer = http.post("/admission", data="{not json", headers={"Content-Type": "application/json"})

    assert answer.status_code == 400
    assert verifier.calls == []
    assert running.writes == 0


def signed(body: str, *, secret: bytes, timestamp: int) -> dict[str, str]:
    mac = hmac.new(secret, f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Weavefn-Timestamp": str(timestamp), "X-Weavefn-Signature": f"sha256={mac}"}


def test_a_signed_upgrade_request_is_answered_by_the_router(
    running: LocalKube, http: FlaskClient
) -> None:
    document = sample("http-upgrade-request.json")
    headers = signed(document["body"], secret=b"ci-shared-secret", timestamp=int(time.time()))

    answer = send(http, document, headers=headers)

    assert answer.status_code in (200, 202), answer.get_json()
    assert answer.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(("/upgrade", "{not json", 401, "X-Weavefn-Timestamp"), id="upgrade-unsigned"),
        pytest.param(
            ("/admission", "[]", 400, "expected an AdmissionReview"), id="admission-array"
        ),
        pytest.param(("/admission", "{not json", 400, "not JSON"), id="admission-bad-json"),
        pytest.param(("/nowhere", "{}", 404, "no endpoint"), id="unknown-route"),
    ],
)
def test_bad_http_requests_get_a_clear_4xx(
    running: LocalKube, http: FlaskClient, case: tuple[str, str, int, str]
) -> None:
    path, body, status, says = case
    answer = http.post(path, data=body, headers={"Content-Type": "application/json"})

    assert answer.status_code == status
    assert says.lower() in answer.get_data(as_text=True).lower()
    assert running.writes == 0
