"""Signed restore requests through the webhook Lambda: restored, or refused with nothing changed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.invocation import Instance
from weavefn.lifecycle.backup import request_backup
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.weaviate.connector import edit_sim
from weavefn.runtime import Runtime
from weavefn.triggers.signed_upgrade import MAX_BODY_BYTES, sign_upgrade

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.adapters.aws.conftest import NAME, NS, SECRET, sample

KEY = f"{NS}/{NAME}"


@pytest.fixture
def backup(runtime: Runtime, kube: LocalKube, clock: ManualClock) -> str:
    """A finished backup of every collection, and Collection2 dropped since."""
    backup_id = request_backup(
        kube, namespace=NS, name=NAME, now=datetime.fromtimestamp(clock(), UTC)
    )
    runtime.service.reconcile(namespace=NS, name=NAME)
    clock.advance(30)
    runtime.service.reconcile(namespace=NS, name=NAME)
    with edit_sim(kube, KEY) as sim:
        sim.drop_collection("Collection2")
    return backup_id


@pytest.fixture
def webhook(
    make_instance: Callable[..., Instance], context: LocalContext
) -> Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]:
    instance = make_instance()  # one warm instance: its replay guard sees every request

    def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = AwsHandlers(lambda: instance).webhook(event, context)
        return response["statusCode"], json.loads(response["body"])

    return call


def event(body: dict[str, Any] | bytes, *, secret: bytes = SECRET, at: int | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    found = sample("apigw-restore-request.json")
    found["body"] = raw.decode()
    signed = sign_upgrade(raw, secret=secret, timestamp=at or int(time.time()))
    found["headers"].update({k.lower(): v for k, v in signed.items()})
    return found


def test_a_signed_request_restores_the_dropped_collection(
    webhook: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]],
    backup: str,
    runtime: Runtime,
    kube: LocalKube,
    clock: ManualClock,
) -> None:
    status, answer = webhook(event({"cluster": KEY, "backup": backup, "include": ["Collection2"]}))
    clock.advance(30)
    runtime.service.reconcile(namespace=NS, name=NAME)

    assert (status, answer["accepted"]) == (202, True), answer
    assert "recorded" in answer["message"]
    last = kube.get_cluster(NS, NAME)["status"]["lastOperation"]
    assert (last["kind"], last["phase"]) == ("Restore", "Succeeded")
    with edit_sim(kube, KEY) as sim:
        assert sim.state.collection("Collection2") is not None


def _refusals(backup: str) -> list[Any]:
    good = {"cluster": KEY, "backup": backup, "include": ["Collection2"]}
    return [
        pytest.param(event(good, secret=b"other"), 401, "does not match", id="forged"),
        pytest.param(event(good, at=1_000_000), 401, "too old", id="stale"),
        pytest.param(sample("apigw-restore-request.json"), 401, "X-Weavefn", id="placeholder"),
        pytest.param(
            event(b'{"cluster":"' + b"x" * MAX_BODY_BYTES + b'"}'), 413, "exceeds", id="oversize"
        ),
        pytest.param(event({"cluster": KEY}), 400, "backup: Field required", id="no-backup"),
        pytest.param(
            event({**good, "backend": "ftp"}), 400, "backend: must be one of", id="backend"
        ),
        pytest.param(
            event({**good, "cluster": f"{NS}/missing"}), 404, "missing", id="unknown-cluster"
        ),
        pytest.param(
            event({"cluster": KEY, "backup": backup}),
            422,
            "collections already in the cluster: Collection1",
            id="collections-exist",
        ),
        pytest.param(
            event({**good, "backup": "weavefn-on-demand-v1-28-0-20261118t000000z"}),
            422,
            "newer than the cluster's 1.27.0",
            id="newer-than-the-cluster",
        ),
    ]


@pytest.mark.parametrize("index", range(len(_refusals("b"))), ids=[p.id for p in _refusals("b")])
def test_refusals_answer_and_change_nothing(
    index: int,
    webhook: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]],
    backup: str,
    kube: LocalKube,
) -> None:
    case = _refusals(backup)[index]
    request, expected, text = case.values
    before = kube.get_cluster(NS, NAME)

    status, answer = webhook(request)

    assert status == expected, answer
    assert text in json.dumps(answer), answer
    assert kube.get_cluster(NS, NAME) == before, "nothing changed"


def test_a_replay_is_refused_and_another_restore_waits_its_turn(
    webhook: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]], backup: str
) -> None:
    first = event({"cluster": KEY, "backup": backup, "include": ["Collection2"]})

    assert webhook(first)[0] == 202
    assert webhook(first) == (409, {"error": "this signed request was already received"})
    other = event({"cluster": KEY, "backup": backup, "exclude": ["Collection1", "Collection3"]})
    status, answer = webhook(other)
    assert (status, "one restore at a time" in answer["error"]) == (409, True), answer
