"""function_app's indexed functions, called with the worker's binding objects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from weavefn.errors import RetryableError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import Fault, LocalKube
from weavefn.runtime import Runtime

from functions.azure import function_app
from tests.adapters.azure.conftest import (
    built,
    http_request,
    queue_message,
    sample,
    timer_request,
    user_code,
)
from tests.functional.conftest import example

NS, NAME = "weaviate", "production"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)
FIRED = "azure-monitor-metric-alert.json"
RESOLVED = "azure-monitor-metric-alert-resolved.json"

pytestmark = pytest.mark.usefixtures("instance")


def replicas(kube: LocalKube, name: str = NAME) -> int | None:
    found = kube.get(ObjectRef("apps/v1", "StatefulSet", NS, name))
    return None if found is None else int(found["spec"]["replicas"])


def reasons(kube: LocalKube, reason: str) -> list[dict[str, Any]]:
    return [e for e in kube.list_events(NS) if e["reason"] == reason]


@pytest.fixture
def running(kube: LocalKube, runtime: Runtime) -> LocalKube:
    kube.apply_cluster(example("production-aws.yaml"))
    assert runtime.service.reconcile().ok
    kube.reset_calls()
    return kube


def alert(document: dict[str, Any] | str) -> Any:
    body = document if isinstance(document, str) else json.dumps(document)
    return user_code("alert")(http_request("alert", body))


def test_the_app_indexes_the_functions_the_infrastructure_wires() -> None:
    bindings = {name: json.loads(f.get_function_json())["bindings"] for name, f in built().items()}

    assert set(bindings) == {"alert", "admission", "upgrade", "restore", "schedule", "fanout"}
    auth = {
        name: b[0].get("authLevel") for name, b in bindings.items() if b[0]["type"] == "httpTrigger"
    }
    # the API server cannot send a function key; everyone else can
    assert auth == {
        "alert": "FUNCTION",
        "admission": "ANONYMOUS",
        "upgrade": "FUNCTION",
        "restore": "FUNCTION",
    }
    assert bindings["schedule"][0]["schedule"] == "0 */1 * * * *"
    assert bindings["fanout"][0]["queueName"] == "weavefn-reconcile"
    assert bindings["fanout"][0]["connection"] == "AzureWebJobsStorage"


def test_a_fired_metric_alert_scales_the_cluster_out(running: LocalKube) -> None:
    answer = alert(sample(FIRED))

    assert answer.status_code == 200, answer.get_body()
    assert replicas(running) == 5
    status = running.get_cluster(NS, NAME)["status"]
    assert status["autoscaling"]["lastScaleTime"]
    (scaled,) = reasons(running, "ScaledUp")
    assert "3 -> 5" in scaled["note"]
    assert f"{NS}/{NAME}" in json.loads(answer.get_body())["clusters"]


def test_a_resolved_alert_evaluates_but_does_not_shrink_at_once(running: LocalKube) -> None:
    alert(sample(FIRED))

    answer = alert(sample(RESOLVED))

    assert answer.status_code == 200
    assert replicas(running) == 5, "scale-down waits out its stabilization window"
    assert not reasons(running, "ScaledDown")


def test_a_repeated_alert_scales_once(running: LocalKube) -> None:
    alert(sample(FIRED))
    alert(sample(FIRED))

    assert len(reasons(running, "ScaledUp")) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param(json.dumps({"schemaId": "azureMonitorCommonAlertSchema"}), id="no-data"),
        pytest.param(
            json.dumps({**sample(FIRED), "schemaId": "Microsoft.Insights/activityLogs"}),
            id="other-schema",
        ),
        pytest.param(
            json.dumps(
                {
                    "schemaId": "azureMonitorCommonAlertSchema",
                    "data": {"essentials": {"alertRule": "x"}},
                }
            ),
            id="essentials-missing-fields",
        ),
    ],
)
def test_a_malformed_alert_is_400_and_changes_nothing(running: LocalKube, body: str) -> None:
    answer = alert(body)

    assert answer.status_code == 400
    document = json.loads(answer.get_body())
    assert document["errors"] and all(e["field"] for e in document["errors"])
    assert running.writes == 0


def test_an_api_outage_answers_503_so_the_action_group_retries(running: LocalKube) -> None:
    running.add_fault(Fault.UNAVAILABLE, kind="WeaviateCluster", times=100)

    answer = alert(sample(FIRED))

    assert answer.status_code == 503
    assert replicas(running) == 3


def test_the_timer_reconciles_every_cluster(kube: LocalKube) -> None:
    kube.apply_cluster(example("production-aws.yaml"))
    kube.apply_cluster(example("azure.yaml"))

    user_code("schedule")(timer_request(sample("timer.json")))

    assert replicas(kube) == 3
    assert replicas(kube, "catalog") == 3


def test_a_failing_timer_tick_is_logged_not_raised(running: LocalKube) -> None:
    running.add_fault(Fault.UNAVAILABLE, kind="WeaviateCluster", times=1000)

    user_code("schedule")(timer_request({**sample("timer.json"), "IsPastDue": True}))

    assert replicas(running) == 3


def test_a_queue_message_reconciles_one_cluster(kube: LocalKube) -> None:
    kube.apply_cluster(example("production-aws.yaml"))
    kube.apply_cluster(example("azure.yaml"))

    user_code("fanout")(queue_message(sample("queue-reconcile.json")))

    assert replicas(kube) == 3
    assert replicas(kube, "catalog") is None, "only the named cluster"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'{"reason": "no cluster"}', id="no-cluster"),
        pytest.param(b'{"cluster": "UPPER/Case"}', id="bad-cluster-name"),
        pytest.param(b"%%%", id="not-base64"),
    ],
)
def test_a_malformed_queue_message_is_dropped_not_retried(running: LocalKube, body: bytes) -> None:
    user_code("fanout")(queue_message(sample("queue-reconcile.json"), body=body))

    assert running.writes == 0


def test_a_transient_failure_raises_so_the_queue_redelivers(running: LocalKube) -> None:
    running.add_fault(Fault.UNAVAILABLE, kind="WeaviateCluster", times=100)

    with pytest.raises(RetryableError):
        user_code("fanout")(queue_message(sample("queue-reconcile.json")))


@pytest.mark.parametrize(
    ("route", "status"),
    [
        pytest.param("admission", 400, id="admission"),
        pytest.param("upgrade", 503, id="upgrade-without-secret"),
        pytest.param("restore", 503, id="restore-without-secret"),
    ],
)
def test_webhooks_answer_with_the_routers_status(
    running: LocalKube, route: str, status: int
) -> None:
    answer = user_code(route)(http_request(route, "{not json"))

    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    assert running.writes == 0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("00:01:00", 60.0, id="one-minute"),
        pytest.param("00:10:00", 600.0, id="ten-minutes"),
        pytest.param("1.00:00:00", 86400.0, id="one-day"),
        pytest.param("00:00:30.5", 30.5, id="fraction"),
        pytest.param("-1", None, id="unlimited"),
        pytest.param("00:00:00", None, id="zero"),
        pytest.param("one minute", None, id="words"),
    ],
)
def test_host_timespans(text: str, seconds: float | None) -> None:
    assert function_app.parse_timespan(text) == seconds


def test_the_deadline_comes_from_host_json() -> None:
    function_app.host_timeout.cache_clear()
    started = 1000.0

    # host.json says 00:01:00; the answer keeps a margin of a tenth, at most five seconds
    assert function_app.deadline(started=started) == pytest.approx(started + 55.0)
