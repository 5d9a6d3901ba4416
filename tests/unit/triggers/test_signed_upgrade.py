"""Signed CI/CD upgrade requests: who may ask, what they may ask, and how each refusal reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from weavefn.errors import InvalidInputError, WeavefnError
from weavefn.lifecycle.versions import check_upgrade
from weavefn.model.resource import parse_cluster
from weavefn.triggers.model import UpgradeRequest
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.signed_upgrade import (
    MAX_BODY_BYTES,
    BadSignatureError,
    MalformedHeaderError,
    MalformedRequestError,
    MissingHeaderError,
    PayloadTooLargeError,
    ReplayedRequestError,
    RequestRejectedError,
    SecretNotConfiguredError,
    StaleTimestampError,
    authenticate_upgrade,
    sign_upgrade,
)

SECRET = b"s3cret-upgrade-key-0f9e8d7c6b5a"
NOW = 1_760_000_000
BODY = b'{"cluster": "prod/wv", "version": "1.27.3"}'

Request = tuple[bytes, dict[str, str]]


def signed(body: bytes = BODY, *, at: int = NOW, secret: bytes = SECRET) -> Request:
    return body, sign_upgrade(body, secret=secret, timestamp=at)


def tampered(request: Request, **headers: str | None) -> Request:
    body, current = request
    names = {"timestamp": "X-Weavefn-Timestamp", "signature": "X-Weavefn-Signature"}
    changed = dict(current)
    for key, value in headers.items():
        if value is None:
            del changed[names[key]]
        else:
            changed[names[key]] = value
    return body, changed


def lower_cased(request: Request) -> Request:
    body, headers = request
    return body, {k.lower(): v for k, v in headers.items()}


def json_body(**fields: Any) -> bytes:
    return json.dumps({"cluster": "prod/wv", "version": "1.27.3", **fields}).encode()


GOOD_SIG = signed()[1]["X-Weavefn-Signature"]

CASES = [
    pytest.param(signed(), None, 200, id="good"),
    pytest.param(lower_cased(signed()), None, 200, id="good-lower-case-headers"),
    pytest.param(signed(at=NOW - 299), None, 200, id="good-near-window-edge"),
    pytest.param(signed(secret=b"another-secret"), BadSignatureError, 401, id="wrong-secret"),
    pytest.param(
        (b'{"cluster": "prod/wv", "version": "1.28.0"}', signed()[1]),
        BadSignatureError,
        401,
        id="signature-for-another-body",
    ),
    pytest.param(
        tampered(signed(), timestamp=str(NOW + 1)), BadSignatureError, 401, id="timestamp-moved"
    ),
    pytest.param(
        tampered(signed(), signature="sha256=" + "0" * 64), BadSignatureError, 401, id="zero-sig"
    ),
    pytest.param(signed(at=NOW - 301), StaleTimestampError, 401, id="stale-past"),
    pytest.param(signed(at=NOW + 301), StaleTimestampError, 401, id="stale-future"),
    pytest.param(tampered(signed(), timestamp=None), MissingHeaderError, 401, id="no-timestamp"),
    pytest.param(tampered(signed(), signature=None), MissingHeaderError, 401, id="no-signature"),
    pytest.param(
        tampered(signed(), signature=GOOD_SIG.removeprefix("sha256=")),
        MalformedHeaderError,
        401,
        id="signature-without-scheme",
    ),
    pytest.param(
        tampered(signed(), signature="sha1=" + "a" * 40),
        MalformedHeaderError,
        401,
        id="signature-wrong-algorithm",
    ),
    pytest.param(
        tampered(signed(), timestamp="yesterday"), MalformedHeaderError, 401, id="timestamp-text"
    ),
    pytest.param(signed(b"{not json"), MalformedRequestError, 400, id="malformed-json"),
    pytest.param(signed(b"[]"), MalformedRequestError, 400, id="json-not-object"),
    pytest.param(signed(json_body(force=True)), MalformedRequestError, 400, id="unknown-field"),
    pytest.param(signed(json_body(cluster="wv")), MalformedRequestError, 400, id="no-namespace"),
    pytest.param(
        signed(json_body(cluster="Prod/WV")), MalformedRequestError, 400, id="cluster-not-dns"
    ),
    pytest.param(signed(json_body(cluster="a/b/c")), MalformedRequestError, 400, id="extra-slash"),
    pytest.param(signed(json_body(version="1.27")), MalformedRequestError, 400, id="bad-version"),
    pytest.param(signed(json_body(version=1.27)), MalformedRequestError, 400, id="numeric-version"),
    pytest.param(signed(b'{"cluster": "prod/wv"}'), MalformedRequestError, 400, id="no-version"),
    pytest.param(signed(b" " * (MAX_BODY_BYTES + 1)), PayloadTooLargeError, 413, id="oversize"),
]


@pytest.mark.parametrize(("request_", "error", "status"), CASES)
def test_authenticate_upgrade(
    request_: Request, error: type[RequestRejectedError] | None, status: int
) -> None:
    body, headers = request_
    guard = InMemoryReplayGuard(clock=lambda: NOW)

    def attempt() -> UpgradeRequest:
        return authenticate_upgrade(
            body=body, headers=headers, secret=SECRET, now=NOW, replay=guard
        )

    if error is None:
        accepted = attempt()
        assert (accepted.cluster, accepted.version) == ("prod/wv", "1.27.3")
        return
    with pytest.raises(error) as raised:
        attempt()
    assert raised.value.http_status == status
    assert not raised.value.retryable
    message = str(raised.value)
    assert SECRET.decode() not in message
    assert GOOD_SIG.removeprefix("sha256=") not in message
    assert message


def test_replay_is_refused_and_a_new_signature_is_not() -> None:
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    body, headers = signed()
    first = authenticate_upgrade(body=body, headers=headers, secret=SECRET, now=NOW, replay=guard)
    with pytest.raises(ReplayedRequestError) as raised:
        authenticate_upgrade(body=body, headers=headers, secret=SECRET, now=NOW + 5, replay=guard)
    assert raised.value.http_status == 409
    assert SECRET.decode() not in str(raised.value)
    body, headers = signed(at=NOW + 1)
    second = authenticate_upgrade(body=body, headers=headers, secret=SECRET, now=NOW, replay=guard)
    assert first.event_id != second.event_id


def test_replay_with_differently_cased_hex_is_still_a_replay() -> None:
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    body, headers = signed()
    authenticate_upgrade(body=body, headers=headers, secret=SECRET, now=NOW, replay=guard)
    shouting = tampered((body, headers), signature="sha256=" + GOOD_SIG[7:].upper())
    with pytest.raises(ReplayedRequestError):
        authenticate_upgrade(body=body, headers=shouting[1], secret=SECRET, now=NOW, replay=guard)


def test_event_id_is_stable_across_redelivery_and_hides_the_signature() -> None:
    body, headers = signed()
    ids = {
        authenticate_upgrade(
            body=body,
            headers=headers,
            secret=SECRET,
            now=NOW,
            replay=InMemoryReplayGuard(clock=lambda: NOW),
        ).event_id
        for _ in range(2)
    }
    assert len(ids) == 1
    assert GOOD_SIG.removeprefix("sha256=") not in ids.pop()


def test_version_is_normalised() -> None:
    body, headers = signed(json_body(version="v1.28.0"))
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    accepted = authenticate_upgrade(
        body=body, headers=headers, secret=SECRET, now=NOW, replay=guard
    )
    assert accepted.version == "1.28.0"


def test_malformed_body_names_each_field() -> None:
    body, headers = signed(b'{"cluster": "Prod", "version": "x", "force": true}')
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    with pytest.raises(MalformedRequestError) as raised:
        authenticate_upgrade(body=body, headers=headers, secret=SECRET, now=NOW, replay=guard)
    assert isinstance(raised.value, InvalidInputError)
    assert {e.path for e in raised.value.errors} == {"cluster", "version", "force"}


def test_empty_secret_refuses_everything() -> None:
    body, headers = signed(secret=b"")
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    with pytest.raises(SecretNotConfiguredError):
        authenticate_upgrade(body=body, headers=headers, secret=b"", now=NOW, replay=guard)


def test_sign_upgrade_matches_the_documented_recipe() -> None:
    import hashlib
    import hmac

    headers = sign_upgrade(BODY, secret=SECRET, timestamp=NOW)
    expected = hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers == {"X-Weavefn-Timestamp": str(NOW), "X-Weavefn-Signature": f"sha256={expected}"}


HEADER_NAMES = st.sampled_from(["X-Weavefn-Timestamp", "X-Weavefn-Signature", "x-other"])


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=300),
    headers=st.dictionaries(HEADER_NAMES, st.text(max_size=80), max_size=3),
    skew=st.integers(min_value=-1000, max_value=1000),
    sign=st.booleans(),
)
def test_random_requests_raise_only_weavefn_errors(
    body: bytes, headers: dict[str, str], skew: int, sign: bool
) -> None:
    if sign:
        headers = {**headers, **sign_upgrade(body, secret=SECRET, timestamp=NOW + skew)}
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    try:
        authenticate_upgrade(body=body, headers=headers, secret=SECRET, now=NOW, replay=guard)
    except WeavefnError as exc:
        assert SECRET.decode() not in str(exc)


def _cluster(
    version: str, *, downtime: bool = False, azure: dict[str, Any] | None = None
) -> Callable[[], Any]:
    annotations = {"weaviate.io/allow-downtime": "true"} if downtime else {}
    spec: dict[str, Any] = {"version": version, "replicas": 3, "storage": {"size": "10Gi"}}
    if azure is not None:
        backup = {"storageAccount": "acct1", "container": "backups", **azure}
        spec["cloudProvider"] = {"type": "azure", "azure": {"backup": backup}}
    raw = {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": "wv", "namespace": "prod", "annotations": annotations},
        "spec": spec,
    }
    return lambda: parse_cluster(raw)


@pytest.mark.parametrize(
    ("cluster", "target", "refused"),
    [
        pytest.param(_cluster("1.26.2"), "1.27.3", False, id="one-minor"),
        pytest.param(_cluster("1.26.2"), "1.28.0", True, id="skip-minor"),
        pytest.param(_cluster("1.27.3"), "1.26.0", True, id="downgrade"),
        pytest.param(_cluster("1.26.2"), "v1.27.3", True, id="v-prefix-is-no-image-tag"),
        pytest.param(_cluster("1.26.2", downtime=True), "1.27.3", False, id="annotated"),
        pytest.param(_cluster("1.26.2", azure={}), "1.27.3", True, id="azure-backup-no-key"),
        pytest.param(
            _cluster("1.26.2", azure={"accountKey": {"secretKeyRef": {"name": "b", "key": "k"}}}),
            "1.27.3",
            False,
            id="azure-backup-with-key",
        ),
    ],
)
def test_check_upgrade(cluster: Callable[[], Any], target: str, refused: bool) -> None:
    errors = check_upgrade(cluster(), target)
    assert bool(errors) is refused
    assert all(e.path in ("spec.version", "spec.cloudProvider.azure.backup") for e in errors)
