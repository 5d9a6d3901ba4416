"""Signed CI/CD restore requests: the upgrade's HMAC rules, then the body read field by field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from weavefn.triggers.model import RestoreRequest
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.signed_restore import authenticate_restore
from weavefn.triggers.signed_upgrade import (
    MAX_BODY_BYTES,
    BadSignatureError,
    MalformedRequestError,
    MissingHeaderError,
    PayloadTooLargeError,
    ReplayedRequestError,
    SecretNotConfiguredError,
    StaleTimestampError,
    sign_upgrade,
)

SECRET = b"s3cret-restore-key-0f9e8d7c6b5a"
NOW = 1_760_000_000
BACKUP = "weavefn-scheduled-v1-27-3-20261118t030000z"


def body(**fields: Any) -> bytes:
    return json.dumps({"cluster": "prod/wv", "backup": BACKUP, **fields}).encode()


def authenticate(
    raw: bytes, headers: dict[str, str] | None = None, *, secret: bytes = SECRET, now: int = NOW
) -> RestoreRequest:
    given = sign_upgrade(raw, secret=SECRET, timestamp=NOW) if headers is None else headers
    return authenticate_restore(
        body=raw, headers=given, secret=secret, now=now, replay=InMemoryReplayGuard()
    )


def test_a_signed_request_reads_into_the_core_request() -> None:
    raw = body(backend="s3", include=["Articles"], nodeMapping={"old-1": "wv-1", "old-0": "wv-0"})

    request = authenticate(raw)

    assert request == RestoreRequest(
        cluster="prod/wv",
        backup=BACKUP,
        event_id=request.event_id,
        backend="s3",
        include=("Articles",),
        node_mapping=(("old-0", "wv-0"), ("old-1", "wv-1")),
    )
    assert request.event_id.startswith("restore-")
    assert request == authenticate(raw), "the same request, the same event id"


@pytest.mark.parametrize(
    ("raw", "headers", "secret", "now", "error"),
    [
        pytest.param(body(), {}, SECRET, NOW, MissingHeaderError, id="unsigned"),
        pytest.param(
            body(),
            sign_upgrade(body(), secret=b"x", timestamp=NOW),
            SECRET,
            NOW,
            BadSignatureError,
            id="forged",
        ),
        pytest.param(body(), None, SECRET, NOW + 301, StaleTimestampError, id="stale"),
        pytest.param(body(), None, b"", NOW, SecretNotConfiguredError, id="no-secret"),
        pytest.param(
            b"x" * (MAX_BODY_BYTES + 1), {}, SECRET, NOW, PayloadTooLargeError, id="too-large"
        ),
    ],
)
def test_the_upgrade_rules_refuse_it_before_the_body_is_read(
    raw: bytes, headers: dict[str, str] | None, secret: bytes, now: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        authenticate(raw, headers, secret=secret, now=now)


def test_a_replay_is_refused() -> None:
    raw = body()
    headers = sign_upgrade(raw, secret=SECRET, timestamp=NOW)
    guard = InMemoryReplayGuard(clock=lambda: NOW)
    authenticate_restore(body=raw, headers=headers, secret=SECRET, now=NOW, replay=guard)

    with pytest.raises(ReplayedRequestError):
        authenticate_restore(body=raw, headers=headers, secret=SECRET, now=NOW, replay=guard)


@pytest.mark.parametrize(
    ("raw", "paths"),
    [
        pytest.param(b'{"cluster": "prod/wv"}', ["backup"], id="no-backup"),
        pytest.param(body(backup="Not An Id"), ["backup"], id="bad-id"),
        pytest.param(body(cluster="wv"), ["cluster"], id="no-namespace"),
        pytest.param(body(backend="ftp"), ["backend"], id="unknown-backend"),
        pytest.param(body(include="Articles"), ["include"], id="include-not-a-list"),
        pytest.param(body(include=["1st"]), ["include.0"], id="not-a-class-name"),
        pytest.param(body(nodeMapping={"a": "Not A Pod"}), ["nodeMapping.a"], id="bad-node"),
        pytest.param(body(version="latest"), ["version"], id="version"),
        pytest.param(body(version="1.27.3", extra=1), ["extra"], id="unknown-field"),
        pytest.param(b"[]", ["(body)"], id="not-an-object"),
        pytest.param(b"{", ["(body)"], id="not-json"),
    ],
)
def test_a_malformed_body_names_each_field(raw: bytes, paths: list[str]) -> None:
    with pytest.raises(MalformedRequestError) as refused:
        authenticate(raw)

    assert [e.path for e in refused.value.errors] == paths
    assert refused.value.http_status == 400
