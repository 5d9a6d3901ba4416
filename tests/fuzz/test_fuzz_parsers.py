"""Every trigger parser, admission and upgrade authentication under mutated and hostile input.

The only acceptable outcomes are a parsed value or a weavefn error; anything else escaping a
parser would surface as a traceback (or a 500) to whoever sent the payload.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from weavefn.errors import InvalidInputError, WeavefnError
from weavefn.lifecycle.admission import REVIEW_API_VERSION, REVIEW_KIND, review
from weavefn.triggers.azure_monitor import parse_azure_alert
from weavefn.triggers.cloud_monitoring import parse_incident
from weavefn.triggers.cloudwatch import parse_sns_alarms, parse_sns_http_alarm
from weavefn.triggers.cloudwatch_events import parse_eventbridge_alarm, parse_lambda_action_alarm
from weavefn.triggers.detect import detect
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.http_payloads import read_http
from weavefn.triggers.parse import PARSERS, parse_alarm, parse_trigger
from weavefn.triggers.pubsub import read_pubsub
from weavefn.triggers.queue import (
    cluster_from_body,
    parse_azure_queue,
    parse_pubsub_cluster,
    parse_sqs,
)
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.schedules import (
    parse_azure_timer,
    parse_cloud_scheduler_http,
    parse_cloud_scheduler_pubsub,
    parse_eventbridge_schedule,
)
from weavefn.triggers.signed_restore import authenticate_restore
from weavefn.triggers.signed_upgrade import authenticate_upgrade, sign_upgrade

from tests.fuzz.strategies import FUZZ, hostile_bytes, payloads, samples

SHAPE_PARSERS: dict[str, Callable[[Any], object]] = {
    "detect": detect,
    "parse_trigger": parse_trigger,
    "parse_alarm": parse_alarm,
    "sns_alarms": parse_sns_alarms,
    "sns_http_alarm": parse_sns_http_alarm,
    "eventbridge_alarm": parse_eventbridge_alarm,
    "lambda_action_alarm": parse_lambda_action_alarm,
    "azure_alert": parse_azure_alert,
    "incident": parse_incident,
    "eventbridge_schedule": parse_eventbridge_schedule,
    "cloud_scheduler_http": lambda p: parse_cloud_scheduler_http(read_http(p)),
    "cloud_scheduler_pubsub": parse_cloud_scheduler_pubsub,
    "azure_timer": parse_azure_timer,
    "sqs": parse_sqs,
    "pubsub_cluster": parse_pubsub_cluster,
    "azure_queue": parse_azure_queue,
    "cluster_body": lambda p: cluster_from_body(p, event_id="fuzz"),
    "read_http": read_http,
    "upgrade_request": lambda p: signed_upgrade(read_http(p)),
    "restore_request": lambda p: signed_restore(read_http(p)),
    "read_pubsub": lambda p: read_pubsub(p, what="Pub/Sub message").json(what="Pub/Sub message"),
}


def signed_upgrade(request: HttpRequest) -> object:
    """The webhook's upgrade route on a body CI signed: what the body parser must survive."""
    now = 1_764_152_400
    secret = b"fuzz-shared-secret"
    return authenticate_upgrade(
        body=request.body,
        headers=sign_upgrade(request.body, secret=secret, timestamp=now),
        secret=secret,
        now=now,
        replay=InMemoryReplayGuard(),
    )


def signed_restore(request: HttpRequest) -> object:
    """The webhook's restore route on a body CI signed."""
    now = 1_764_152_400
    secret = b"fuzz-shared-secret"
    return authenticate_restore(
        body=request.body,
        headers=sign_upgrade(request.body, secret=secret, timestamp=now),
        secret=secret,
        now=now,
        replay=InMemoryReplayGuard(),
    )


def only_weavefn_errors(parse: Callable[[Any], object], payload: Any) -> object | None:
    try:
        return parse(payload)
    except WeavefnError as refused:
        assert str(refused)  # a message a user can act on
        if isinstance(refused, InvalidInputError):
            assert refused.errors, "an invalid input names at least one field"
        return None


@pytest.mark.parametrize("name", sorted(SHAPE_PARSERS), ids=sorted(SHAPE_PARSERS))
@FUZZ
@given(payload=payloads())
def test_every_parser_returns_or_raises_a_weavefn_error(name: str, payload: Any) -> None:
    only_weavefn_errors(SHAPE_PARSERS[name], payload)


@pytest.mark.parametrize("kind", sorted(PARSERS), ids=[str(k) for k in sorted(PARSERS)])
@FUZZ
@given(data=st.data())
def test_registry_parsers_on_mutations_of_every_sample(kind: Any, data: st.DataObject) -> None:
    payload = data.draw(payloads())
    only_weavefn_errors(lambda p: PARSERS[kind](p, None), payload)


ADMISSION = samples()["aws/apigw-admission-review.json"]


@FUZZ
@given(body=hostile_bytes([json.loads(ADMISSION["body"])]))
def test_admission_always_answers_an_admission_review(body: bytes) -> None:
    result = review(body)
    assert result.http_status in (200, 400, 413)
    assert result.response["apiVersion"] == REVIEW_API_VERSION
    assert result.response["kind"] == REVIEW_KIND
    if result.http_status != 200:
        assert result.response["response"]["allowed"] is False
        assert result.enqueue is None


SECRET = b"fuzz-upgrade-secret"
NOW = 1_795_000_000
UPGRADE_BODY = {"cluster": "weaviate/production", "version": "1.28.2"}

headers = st.dictionaries(
    st.sampled_from(["X-Weavefn-Timestamp", "X-Weavefn-Signature", "x-weavefn-signature", "a"]),
    st.one_of(st.text(max_size=80), st.just(str(NOW)), st.just("sha256=" + "0" * 64)),
    max_size=3,
)


@FUZZ
@given(body=hostile_bytes([UPGRADE_BODY]), given_headers=headers)
def test_unsigned_upgrade_requests_are_refused(body: bytes, given_headers: dict[str, str]) -> None:
    with pytest.raises(WeavefnError):
        authenticate_upgrade(
            body=body,
            headers=given_headers,
            secret=SECRET,
            now=NOW,
            replay=InMemoryReplayGuard(clock=lambda: NOW),
        )


@FUZZ
@given(body=hostile_bytes([UPGRADE_BODY]))
def test_signed_garbage_is_a_malformed_request_not_a_crash(body: bytes) -> None:
    """A holder of the secret who sends nonsense gets field errors, never a traceback."""
    signed = sign_upgrade(body, secret=SECRET, timestamp=NOW)
    try:
        request = authenticate_upgrade(
            body=body,
            headers=signed,
            secret=SECRET,
            now=NOW,
            replay=InMemoryReplayGuard(clock=lambda: NOW),
        )
    except WeavefnError as refused:
        assert str(refused)
    else:
        assert "/" in request.cluster and request.version


RESTORE_BODY = {
    "cluster": "weaviate/production",
    "backup": "weavefn-scheduled-v1-27-0-20251126t030000z",
    "include": ["Articles"],
    "nodeMapping": {"old-0": "production-0"},
}


@FUZZ
@given(body=hostile_bytes([RESTORE_BODY]), given_headers=headers)
def test_unsigned_restore_requests_are_refused(body: bytes, given_headers: dict[str, str]) -> None:
    with pytest.raises(WeavefnError):
        authenticate_restore(
            body=body,
            headers=given_headers,
            secret=SECRET,
            now=NOW,
            replay=InMemoryReplayGuard(clock=lambda: NOW),
        )


@FUZZ
@given(body=hostile_bytes([RESTORE_BODY]))
def test_a_signed_restore_of_garbage_is_a_malformed_request_not_a_crash(body: bytes) -> None:
    signed = sign_upgrade(body, secret=SECRET, timestamp=NOW)
    try:
        request = authenticate_restore(
            body=body,
            headers=signed,
            secret=SECRET,
            now=NOW,
            replay=InMemoryReplayGuard(clock=lambda: NOW),
        )
    except WeavefnError as refused:
        assert str(refused)
    else:
        assert "/" in request.cluster and request.backup
