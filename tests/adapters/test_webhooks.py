"""The platform-neutral webhook router: routing, limits, error mapping and never a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from weavefn.invocation import Settings
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.queue.memory import MemoryQueue
from weavefn.runtime import Runtime, build_runtime
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.http_payloads import read_http
from weavefn.triggers.replay import InMemoryReplayGuard
from weavefn.triggers.sns_signature import SnsVerifier
from weavefn.webhooks import MAX_BODY_BYTES, HttpResponse, Route, handle_http, route_of

from tests.adapters.aws.conftest import example

ROOT = Path(__file__).resolve().parents[2]
ADMISSION_BODY = json.loads((ROOT / "events/aws/apigw-admission-review.json").read_text())["body"]


@pytest.fixture
def kube() -> LocalKube:
    kube = LocalKube(clock=ManualClock(1_795_000_000.0), ready_delay=0.0)
    kube.apply_cluster(example("minimal.yaml"))
    return kube


@pytest.fixture
def runtime(kube: LocalKube) -> Runtime:
    return build_runtime(local_backend(kube), clock=lambda: datetime.now(UTC))


def call(
    request: HttpRequest, runtime: Runtime, *, queue: Any = None, settings: Settings | None = None
) -> HttpResponse:
    return handle_http(
        request,
        runtime_factory=lambda: nullcontext(runtime),
        settings=settings or Settings(cluster="local:unused", upgrade_secret=b"secret"),
        replay=InMemoryReplayGuard(),
        verifier=SnsVerifier(lambda url: pytest.fail(f"no certificate fetch expected: {url}")),
        queue=queue if queue is not None else MemoryQueue(),
    )


def post(path: str, body: bytes | str = b"{}", **headers: str) -> HttpRequest:
    raw = body.encode() if isinstance(body, str) else body
    return HttpRequest(method="POST", path=path, headers=headers, body=raw)


@pytest.mark.parametrize(
    ("path", "route"),
    [
        pytest.param("/admission", Route.ADMISSION, id="aws"),
        pytest.param("/api/upgrade", Route.UPGRADE, id="azure-prefix"),
        pytest.param("/weavefn-webhook/upgrade/", Route.UPGRADE, id="gcp-function-prefix"),
        pytest.param("/weavefn-schedule", Route.SCHEDULE, id="function-named-for-route"),
        pytest.param("/sns", Route.SNS, id="sns"),
        pytest.param("/upgrades", None, id="near-miss"),
        pytest.param("/", None, id="root"),
    ],
)
def test_routes_are_found_behind_each_platform_prefix(path: str, route: Route | None) -> None:
    assert route_of(path) == route


REFUSALS = [
    pytest.param(post("/nowhere"), 404, id="unknown-path"),
    pytest.param(HttpRequest("GET", "/admission", {}, b""), 405, id="get-admission"),
    pytest.param(HttpRequest("PUT", "/upgrade", {}, b"{}"), 405, id="put-upgrade"),
    pytest.param(post("/admission", b"x" * (MAX_BODY_BYTES + 1)), 413, id="oversize"),
    pytest.param(post("/admission", "[1, 2]"), 400, id="admission-not-a-review"),
    pytest.param(post("/upgrade", "{}"), 401, id="upgrade-unsigned"),
    pytest.param(post("/sns", "{"), 400, id="sns-not-json"),
    pytest.param(post("/sns", '{"Type": "Notification"}'), 403, id="sns-unsigned"),
    pytest.param(post("/schedule"), 400, id="schedule-without-scheduler-header"),
]


@pytest.mark.parametrize(("request_", "status"), REFUSALS)
def test_bad_requests_get_json_4xx_and_change_nothing(
    request_: HttpRequest, status: int, runtime: Runtime, kube: LocalKube
) -> None:
    queue = MemoryQueue()
    kube.reset_calls()

    response = call(request_, runtime, queue=queue)

    assert response.status == status
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), dict)
    assert kube.writes == 0 and queue.bodies == []
    if status == 405:
        assert response.json()["allow"] == "POST"


def test_an_internal_failure_is_a_generic_500_with_details_only_in_the_log(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    @contextmanager
    def broken() -> Iterator[Runtime]:
        raise RuntimeError("connection string with password=hunter2")
        yield runtime

    request = read_http(json.loads((ROOT / "events/gcp/scheduler-http.json").read_text()))
    with caplog.at_level(logging.ERROR, logger="weavefn"):
        response = handle_http(
            request,
            runtime_factory=broken,
            settings=Settings(cluster="local:unused"),
            replay=InMemoryReplayGuard(),
            verifier=SnsVerifier(),
        )

    assert response.status == 500
    assert b"hunter2" not in response.body
    assert "internal error" in response.json()["error"]
    assert "hunter2" in caplog.text


def test_admission_answers_even_when_the_queue_is_down(runtime: Runtime) -> None:
    queue = MemoryQueue(failing=True)

    response = call(post("/admission", ADMISSION_BODY), runtime, queue=queue)

    assert response.status == 200
    assert response.json()["response"]["allowed"] is True


def test_admission_dry_run_queues_nothing(runtime: Runtime) -> None:
    review = json.loads(ADMISSION_BODY)
    review["request"]["dryRun"] = True
    queue = MemoryQueue()

    response = call(post("/admission", json.dumps(review)), runtime, queue=queue)

    assert response.json()["response"]["allowed"] is True
    assert queue.bodies == []


def test_inline_queue_reconciles_the_admitted_cluster_at_once(
    runtime: Runtime, kube: LocalKube
) -> None:
    review = json.loads(ADMISSION_BODY)
    for key in ("object", "oldObject"):
        review["request"][key]["metadata"].update(namespace="default", name="minimal")
    review["request"]["object"]["spec"]["replicas"] = 4

    response = handle_http(
        post("/admission", json.dumps(review)),
        runtime_factory=lambda: nullcontext(runtime),
        settings=Settings(cluster="local:unused", queue="inline"),
        replay=InMemoryReplayGuard(),
        verifier=SnsVerifier(),
    )

    assert response.status == 200
    assert kube.get_cluster("default", "minimal")["status"]["phase"] in {"Creating", "Running"}


def test_cloud_scheduler_request_reconciles_every_cluster(
    runtime: Runtime, kube: LocalKube
) -> None:
    request = read_http(json.loads((ROOT / "events/gcp/scheduler-http.json").read_text()))

    response = call(request, runtime)

    assert response.status == 200
    assert list(response.json()["clusters"]) == ["default/minimal"]
    assert kube.get_cluster("default", "minimal")["status"]["phase"] in {"Creating", "Running"}
