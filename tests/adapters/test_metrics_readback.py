"""Decision metrics read back from each platform's own format, after a pass run by the handler.

Each case deploys as the platform does (the variables it sets, the local cluster behind
``WEAVEFN_CLUSTER``), runs a schedule through the function's entry point, and reads what the
platform would receive: EMF lines on stdout (checked against the EMF specification), the
CreateTimeSeries requests a local Cloud Monitoring MetricService gets from the real client, and
the envelopes a local Application Insights ingestion endpoint gets. Every documented metric
must be there, with namespace and cluster on every cluster metric.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn import invocation
from weavefn.invocation import Instance
from weavefn.observe import cloud_monitoring
from weavefn.observe.catalog import CATALOG, Scope
from weavefn.runtime import open_runtime_for

from tests.support.metrics_formats import (
    emf_metrics,
    emf_problems,
    ingestion_endpoint,
    metric_service,
    monitoring_client,
)

ROOT = Path(__file__).resolve().parents[2]
NS, NAME = "weaviate", "production"
DOCUMENTED = {m.name for m in CATALOG}
CLUSTER_METRICS = {m.name for m in CATALOG if m.scope is Scope.CLUSTER}


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return loaded


@pytest.fixture
def cluster_setting(tmp_path: Path) -> str:
    """A local cluster with the production example, and an upgrade asked for: the next pass
    takes its backup, so an operation is in flight; qps and latency have no source there."""
    setting = f"local:{tmp_path / 'cluster.json'}"
    with open_runtime_for(setting) as runtime:
        runtime.kube.apply_cluster(example("production-aws.yaml"))
        assert runtime.service.reconcile().ok
        raw = runtime.kube.get_cluster(NS, NAME)
        runtime.kube.patch_cluster_spec(
            NS, NAME, {"version": "1.27.3"}, resource_version=raw["metadata"]["resourceVersion"]
        )
    return setting


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment of a deployed function; each case adds its platform's variables."""
    env: dict[str, str] = {}
    # one Instance per warm container, built on first use as invocation.current() does
    monkeypatch.setattr(invocation, "current", functools.cache(lambda: Instance.from_env(env)))
    logger = logging.getLogger("weavefn")
    handlers, propagate = list(logger.handlers), logger.propagate
    yield env
    # the function's stdout handler was bound to this test's captured stdout
    logger.handlers[:] = handlers
    logger.propagate = propagate


def check_names(seen: dict[str, list[dict[str, str]]]) -> None:
    assert set(seen) == DOCUMENTED, (
        f"missing {DOCUMENTED - set(seen)}, extra {set(seen) - DOCUMENTED}"
    )
    for name in CLUSTER_METRICS:
        for dims in seen[name]:
            assert {"namespace", "cluster"} <= set(dims), (name, dims)
            assert (dims["namespace"], dims["cluster"]) == (NS, NAME)
    assert any(d.get("metric") == "cpu" for d in seen["metric_value"])
    assert any(d.get("metric") == "qps" for d in seen["metric_missing"])
    assert {d["kind"] for d in seen["operation_phase_seconds"]} == {"Upgrade"}
    assert {d["direction"] for d in seen["scale_events"]} == {"up", "down"}


def test_aws_emf_lines_on_stdout(
    cluster_setting: str, deployed: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from functions.aws.handlers import AwsHandlers, LocalContext

    deployed.update(
        AWS_LAMBDA_FUNCTION_NAME="weavefn-prod-schedule", WEAVEFN_CLUSTER=cluster_setting
    )
    event = json.loads((ROOT / "events/aws/schedule-eventbridge.json").read_text())
    answer = AwsHandlers(invocation.current).schedule(event, LocalContext())
    assert answer["ok"], answer
    lines = [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert lines
    for line in lines:
        assert emf_problems(line) == [], line
    seen: dict[str, list[dict[str, str]]] = {}
    for name, dims, values in (m for line in lines for m in emf_metrics(line)):
        seen.setdefault(name, []).append(dims)
        assert all(isinstance(v, float) for v in values)
    check_names(seen)
    directives = [json.loads(line)["_aws"]["CloudWatchMetrics"][0] for line in lines]
    assert {d["Namespace"] for d in directives} == {"weavefn"}
    fleet = next(json.loads(line) for line in lines if '"Dimensions":[[]]' in line)
    assert fleet["fleet_clusters"] == [1.0]
    # the cluster list, a list per kind, the pods; then the pass's own reads and writes
    assert fleet["fleet_api_calls"][0] > 10 and fleet["fleet_api_errors"] == [0.0]


def test_gcp_time_series_through_the_monitoring_client(
    cluster_setting: str, deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask.testing import FlaskClient
    from functions_framework import create_app

    deployed.update(
        K_SERVICE="weavefn-pubsub",
        K_REVISION="weavefn-pubsub-00001",
        FUNCTION_REGION="europe-west1",
        GOOGLE_CLOUD_PROJECT="weavefn-test",
        WEAVEFN_CLUSTER=cluster_setting,
    )
    tick = json.loads((ROOT / "events/gcp/scheduler-pubsub.json").read_text())
    with metric_service() as service:
        monkeypatch.setattr(
            cloud_monitoring, "new_client", lambda: monitoring_client(service.target)
        )
        app = create_app(
            target="on_pubsub",
            source=str(ROOT / "functions/gcp/main.py"),
            signature_type="cloudevent",
        )
        client: FlaskClient = app.test_client()
        answer = client.post(
            "/", json=tick, headers={"Content-Type": "application/cloudevents+json"}
        )
        assert answer.status_code == 200, answer.data
    assert service.requests, "no CreateTimeSeries call"
    seen: dict[str, list[dict[str, str]]] = {}
    for request in service.requests:
        assert request.name == "projects/weavefn-test"
        assert len(request.time_series) <= 200
        for series in request.time_series:
            assert series.metric.type.startswith("custom.googleapis.com/weavefn/")
            assert series.resource.type == "generic_task"
            assert dict(series.resource.labels) == {
                "project_id": "weavefn-test",
                "location": "europe-west1",
                "namespace": "weavefn",
                "job": "weavefn-pubsub",
                "task_id": series.resource.labels["task_id"],
            }
            assert series.resource.labels["task_id"].startswith("weavefn-pubsub-00001-")
            assert len(series.points) == 1 and series.points[0].interval.end_time
            name = series.metric.type.removeprefix("custom.googleapis.com/weavefn/")
            seen.setdefault(name, []).append(dict(series.metric.labels))
    check_names(seen)


def test_azure_envelopes_to_application_insights(
    cluster_setting: str, deployed: dict[str, str]
) -> None:
    from tests.adapters.azure.conftest import timer_request, user_code

    with ingestion_endpoint() as ingestion:
        deployed.update(
            FUNCTIONS_WORKER_RUNTIME="python",
            WEBSITE_SITE_NAME="weavefn-app",
            APPLICATIONINSIGHTS_CONNECTION_STRING=(
                "InstrumentationKey=00000000-0000-0000-0000-000000000001;"
                f"IngestionEndpoint={ingestion.url};LiveEndpoint=https://example.invalid/"
            ),
            WEAVEFN_CLUSTER=cluster_setting,
        )
        timer = json.loads((ROOT / "events/azure/timer.json").read_text())
        user_code("schedule")(timer_request(timer))
    assert ingestion.envelopes
    seen: dict[str, list[dict[str, str]]] = {}
    for envelope in ingestion.envelopes:
        assert envelope["name"] == "Microsoft.ApplicationInsights.Metric"
        assert envelope["iKey"] == "00000000-0000-0000-0000-000000000001"
        assert envelope["tags"]["ai.cloud.role"] == "weavefn-app"
        assert envelope["time"].endswith("Z")
        data = envelope["data"]
        assert data["baseType"] == "MetricData"
        (point,) = data["baseData"]["metrics"]
        assert isinstance(point["value"], float) and point["count"] == 1
        assert point["ns"] == "weavefn"
        dims = {k: v for k, v in data["baseData"]["properties"].items() if k != "unit"}
        seen.setdefault(point["name"], []).append(dims)
    check_names(seen)


def test_a_failing_endpoint_never_fails_the_pass(
    cluster_setting: str, deployed: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.adapters.azure.conftest import timer_request, user_code

    with ingestion_endpoint() as ingestion:
        ingestion.status = 503
        deployed.update(
            FUNCTIONS_WORKER_RUNTIME="python",
            APPLICATIONINSIGHTS_CONNECTION_STRING=(
                f"InstrumentationKey=secret-ikey-canary;IngestionEndpoint={ingestion.url}"
            ),
            WEAVEFN_CLUSTER=cluster_setting,
        )
        instance = invocation.current()
        timer = json.loads((ROOT / "events/azure/timer.json").read_text())
        user_code("schedule")(timer_request(timer))
        user_code("schedule")(timer_request(timer))
    with open_runtime_for(cluster_setting) as runtime:
        operation = runtime.kube.get_cluster(NS, NAME)["status"]["operation"]
    assert operation["kind"] == "Upgrade", "the pass went on"
    logged = capsys.readouterr().out
    warnings = [
        json.loads(line)
        for line in logged.splitlines()
        if line.startswith("{") and "metrics not emitted" in line
    ]
    assert len(warnings) == 1, "logged once"
    assert warnings[0]["level"] == "WARNING" and "HTTP 503" in warnings[0]["message"]
    assert "secret-ikey-canary" not in logged
    assert instance is not None
