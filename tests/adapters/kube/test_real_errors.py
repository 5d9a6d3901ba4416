"""What a caller gets when the API server says no, is slow, or is not there."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from kubernetes.client import ApiClient, Configuration
from weavefn.errors import (
    ApiServerRefusedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
    WeavefnError,
)
from weavefn.kube.real import RealKube

from tests.adapters.kube.apiserver import ApiServer, status_body

STS = "/apis/apps/v1/namespaces/db/statefulsets/weaviate"
STATEFULSET = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "weaviate", "namespace": "db"},
    "spec": {"replicas": 3},
}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(
            404,
            status_body(404, "NotFound", "not found"),
            (NotFoundError, False),
            id="404-not-found",
        ),
        pytest.param(
            409,
            status_body(409, "Conflict", "Apply failed with 1 conflict"),
            (ConflictError, True),
            id="409-conflict",
        ),
        pytest.param(
            422,
            status_body(422, "Invalid", "forbidden update"),
            (InvalidInputError, False),
            id="422-invalid",
        ),
        pytest.param(
            400,
            status_body(400, "BadRequest", "cannot decode"),
            (InvalidInputError, False),
            id="400-bad-request",
        ),
        pytest.param(
            401,
            status_body(401, "Unauthorized", "Unauthorized"),
            (ApiServerRefusedError, False),  # a TerminalError the CLI names the setting of
            id="401-unauthorized",
        ),
        pytest.param(
            403,
            status_body(403, "Forbidden", "cannot patch"),
            (TerminalError, False),
            id="403-forbidden",
        ),
        pytest.param(
            429,
            status_body(429, "TooManyRequests", "slow down"),
            (UnavailableError, True),
            id="429-throttled",
        ),
        pytest.param(
            503,
            status_body(503, "ServiceUnavailable", "etcd down"),
            (UnavailableError, True),
            id="503-unavailable",
        ),
        pytest.param(
            502, "<html>bad gateway</html>", (UnavailableError, True), id="502-non-status-body"
        ),
    ],
)
def test_status_codes_map_to_weavefn_errors(
    kube: RealKube,
    api_server: ApiServer,
    status: int,
    body: Any,
    expected: tuple[type[WeavefnError], bool],
) -> None:
    error, retryable = expected
    api_server.answer("PATCH", STS, status, body)

    with pytest.raises(error) as caught:
        kube.apply(STATEFULSET)

    assert type(caught.value) is error
    assert caught.value.retryable is retryable


def test_invalid_answer_names_each_field_the_server_rejected(
    kube: RealKube, api_server: ApiServer
) -> None:
    causes = [
        {
            "reason": "FieldValueForbidden",
            "field": "spec",
            "message": "Forbidden: updates to statefulset spec for fields other than ...",
        }
    ]
    api_server.answer(
        "PATCH", STS, 422, status_body(422, "Invalid", "StatefulSet is invalid", causes)
    )

    with pytest.raises(InvalidInputError) as caught:
        kube.apply(STATEFULSET)

    assert [(e.path, e.message[:10]) for e in caught.value.errors] == [("spec", "Forbidden:")]


def test_forbidden_names_the_missing_permission(kube: RealKube, api_server: ApiServer) -> None:
    api_server.answer("PATCH", STS, 403, status_body(403, "Forbidden", "no"))

    with pytest.raises(TerminalError, match=r"patch statefulsets\.apps in namespace db"):
        kube.apply(STATEFULSET)


def test_rejected_secret_never_echoes_its_values(kube: RealKube, api_server: ApiServer) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "keys", "namespace": "db"},
        "stringData": {"OPENAI_APIKEY": "sk-live-123"},
    }
    leak = 'Invalid value: "sk-live-123"'
    causes = [{"field": "stringData.OPENAI_APIKEY", "reason": "FieldValueInvalid", "message": leak}]
    api_server.answer(
        "PATCH",
        "/api/v1/namespaces/db/secrets/keys",
        422,
        status_body(422, "Invalid", leak, causes),
    )

    with pytest.raises(InvalidInputError) as caught:
        kube.apply(secret)

    assert "sk-live-123" not in str(caught.value)
    assert caught.value.errors[0].path == "stringData.OPENAI_APIKEY"


def test_slow_server_is_unavailable_after_the_request_timeout(
    kube: RealKube, api_server: ApiServer
) -> None:
    api_server.answer("GET", STS + "/scale", 200, {"spec": {"replicas": 3}}, delay=5.0)

    started = time.monotonic()
    with pytest.raises(UnavailableError):
        kube.get_scale("db", "weaviate")
    elapsed = time.monotonic() - started

    assert elapsed < 2.0  # the fixture's timeout is 0.5 s


def test_unreachable_server_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configuration = Configuration(host=f"http://127.0.0.1:{port}")
    configuration.retries = False
    with ApiClient(configuration) as client, pytest.raises(UnavailableError):
        RealKube(client, timeout=0.5).list_clusters()


def test_non_json_success_is_unavailable(kube: RealKube, api_server: ApiServer) -> None:
    api_server.answer("GET", STS + "/scale", 200, "<html>captive portal</html>")

    with pytest.raises(UnavailableError):
        kube.get_scale("db", "weaviate")
