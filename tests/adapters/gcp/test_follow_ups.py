"""Follow-ups on GCP: a pass queues a Cloud Tasks HTTP task (the real google-cloud-tasks request
types, a fake client), and the task reaches on_http's /followup route through functions-framework's
test client with an OIDC token checked like Cloud Scheduler's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from google.cloud import tasks_v2
from weavefn import invocation
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.queue.cloud_tasks import CloudTasksQueue
from weavefn.queue.follow_ups import FollowUpKind, follow_up_setting
from weavefn.runtime import Runtime, build_runtime
from weavefn.triggers.model import UpgradeRequest

from tests.adapters.gcp.conftest import NAME, NS, example
from tests.adapters.gcp.test_on_http import FakeVerifier

QUEUE = "projects/acme-search-prod/locations/us-central1/queues/weavefn-followups"
URL = "https://us-central1-acme-search-prod.cloudfunctions.net/weavefn-http/followup"
AUDIENCE = "https://us-central1-acme-search-prod.cloudfunctions.net/weavefn-http"
ACCOUNT = "weavefn@acme-search-prod.iam.gserviceaccount.com"
KEY = f"{NS}/{NAME}"


class FakeTasksClient:
    """Stands in for CloudTasksClient: keeps each CreateTaskRequest, answers with its task."""

    def __init__(self) -> None:
        self.requests: list[tasks_v2.CreateTaskRequest] = []

    def create_task(self, *, request: tasks_v2.CreateTaskRequest, timeout: float) -> tasks_v2.Task:
        assert isinstance(request, tasks_v2.CreateTaskRequest) and timeout > 0
        self.requests.append(request)
        return tasks_v2.Task(name=f"{request.parent}/tasks/{len(self.requests)}")


@pytest.fixture
def tasks() -> FakeTasksClient:
    return FakeTasksClient()


@pytest.fixture
def runtime(kube: LocalKube, clock: ManualClock, tasks: FakeTasksClient) -> Runtime:
    queue = CloudTasksQueue(
        QUEUE, url=URL, service_account=ACCOUNT, audience=AUDIENCE, client=tasks
    )
    return build_runtime(
        local_backend(kube),
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
        follow_ups=queue,
    )


@pytest.fixture
def instance(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Instance:
    chosen = Instance(
        settings=Settings(cluster="local:unused.json"),
        runtime_factory=lambda: fixed_runtime(runtime),
    )
    monkeypatch.setattr(invocation, "current", lambda: chosen)
    return chosen


@pytest.fixture
def verifier(main_module: Any, monkeypatch: pytest.MonkeyPatch) -> FakeVerifier:
    fake = FakeVerifier(token="task-token", audience=AUDIENCE)
    monkeypatch.setattr(main_module, "verify_id_token", fake)
    monkeypatch.setenv("WEAVEFN_OIDC_AUDIENCE", AUDIENCE)
    return fake


def upgrading(kube: LocalKube, runtime: Runtime) -> None:
    kube.apply_cluster(example())
    assert runtime.service.reconcile().ok
    start_upgrade(kube, UpgradeRequest(KEY, "1.28.5", "test"))


def deliver(client: FlaskClient, task: tasks_v2.Task, **headers: str) -> Any:
    """What Cloud Tasks sends for an HTTP task: its method, body and headers, to its URL."""
    request = task.http_request
    return client.open(
        "/" + request.url.split("/", 3)[-1],
        method=tasks_v2.HttpMethod(request.http_method).name,
        headers={**dict(request.headers), "X-CloudTasks-TaskName": "task-1", **headers},
        data=request.body,
    )


def test_a_pass_queues_one_http_task_due_at_the_next_check(
    kube: LocalKube, runtime: Runtime, tasks: FakeTasksClient
) -> None:
    upgrading(kube, runtime)

    runtime.service.reconcile()

    (request,) = tasks.requests
    status = kube.get_cluster(NS, NAME)["status"]
    assert request.parent == QUEUE
    due = request.task.schedule_time
    assert due.isoformat().replace("+00:00", "Z") == status["nextCheckAt"]
    http = request.task.http_request
    assert (http.url, http.http_method) == (URL, tasks_v2.HttpMethod.POST)
    assert dict(http.headers) == {"Content-Type": "application/json"}
    assert (http.oidc_token.service_account_email, http.oidc_token.audience) == (ACCOUNT, AUDIENCE)
    assert json.loads(http.body) == {
        "cluster": KEY,
        "reason": status["nextCheckReason"],
        "due": status["nextCheckAt"],
    }


@pytest.mark.usefixtures("instance")
def test_the_task_advances_the_operation_through_the_http_function(
    kube: LocalKube,
    runtime: Runtime,
    tasks: FakeTasksClient,
    *,
    clock: ManualClock,
    http: FlaskClient,
    verifier: FakeVerifier,
) -> None:
    upgrading(kube, runtime)
    runtime.service.reconcile()
    (request,) = tasks.requests
    clock.advance(request.task.schedule_time.timestamp() - clock())

    answer = deliver(http, request.task, Authorization="Bearer task-token")

    assert answer.status_code == 200, answer.get_json()
    assert verifier.calls == [("task-token", AUDIENCE)]
    assert kube.get_cluster(NS, NAME)["status"]["operation"]["phase"] == "RollingOut"
    assert len(tasks.requests) == 2, "the pass queued its own next look"

    again = deliver(http, request.task, Authorization="Bearer task-token")

    assert again.status_code == 200 and "superseded" in again.get_json()["message"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="no-token"),
        pytest.param({"Authorization": "Bearer forged"}, 401, id="wrong-token"),
    ],
)
@pytest.mark.usefixtures("instance", "verifier")
def test_a_task_without_a_valid_token_is_refused(
    kube: LocalKube,
    runtime: Runtime,
    tasks: FakeTasksClient,
    *,
    http: FlaskClient,
    headers: dict[str, str],
    status: int,
) -> None:
    upgrading(kube, runtime)
    runtime.service.reconcile()
    (request,) = tasks.requests
    before = kube.get_cluster(NS, NAME)["status"]

    answer = deliver(http, request.task, **headers)

    assert answer.status_code == status
    assert kube.get_cluster(NS, NAME)["status"] == before


@pytest.mark.usefixtures("instance")
def test_a_follow_up_without_its_due_time_is_a_bad_request(
    kube: LocalKube, http: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEAVEFN_OIDC_AUDIENCE", raising=False)
    kube.apply_cluster(example())

    answer = http.post("/followup", json={"cluster": KEY, "reason": "no due"})

    assert answer.status_code == 400
    assert answer.get_json()["errors"] == [{"field": "body.due", "message": "is required"}]


def test_the_settings_name_the_queue_its_target_and_identity() -> None:
    env: Mapping[str, str] = {
        "WEAVEFN_QUEUE": "pubsub:projects/acme-search-prod/topics/weavefn-fanout",
        "WEAVEFN_FOLLOWUPS": f"cloudtasks:{QUEUE}",
        "WEAVEFN_FOLLOWUP_URL": URL,
        "WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT": ACCOUNT,
        "WEAVEFN_OIDC_AUDIENCE": AUDIENCE,
    }

    setting = follow_up_setting(env)

    assert (setting.kind, setting.queue, setting.url) == (FollowUpKind.CLOUD_TASKS, QUEUE, URL)
    assert (setting.service_account, setting.audience) == (ACCOUNT, AUDIENCE)


@pytest.mark.usefixtures("instance", "verifier")
def test_a_follow_up_gets_a_full_pass_s_budget_the_other_routes_their_own(
    kube: LocalKube,
    runtime: Runtime,
    tasks: FakeTasksClient,
    *,
    http: FlaskClient,
    main_module: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upgrading(kube, runtime)
    runtime.service.reconcile()
    (request,) = tasks.requests
    budgets: list[float] = []
    real = invocation.deadline_from

    def recorded(seconds: float, *, now: float) -> float:
        budgets.append(seconds)
        return real(seconds, now=now)

    monkeypatch.setattr(invocation, "deadline_from", recorded)
    monkeypatch.delenv(main_module.TIMEOUT_ENV, raising=False)

    deliver(http, request.task, Authorization="Bearer task-token")
    http.post("/upgrade", json={})

    assert budgets == [main_module.EVENT_TIMEOUT_SECONDS, main_module.HTTP_TIMEOUT_SECONDS]
