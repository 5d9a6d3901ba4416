"""Metric points, emitter choice, call counting and the EMF checker, without a platform."""

from __future__ import annotations

import json
import logging
import math
import warnings
from datetime import UTC, datetime

import pytest
from weavefn.errors import InvalidInputError, UnavailableError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import Fault, LocalKube
from weavefn.observe.calls import MeteredKube, counting
from weavefn.observe.catalog import BY_NAME, CATALOG, Scope, Unit
from weavefn.observe.emf import LINES_PER_WRITE, EmfEmitter
from weavefn.observe.emitters import MetricsObserver, Sink, detect, emitter_factory, parse_sink
from weavefn.observe.points import Point, fleet_points
from weavefn.reconcile.fleet import FleetReport
from weavefn.reconcile.reconciler import ClusterReport

from tests.support.metrics_formats import emf_problems


def test_a_failed_cluster_still_reports_its_error_and_calls() -> None:
    report = FleetReport(
        clusters={
            "a/b": ClusterReport("a/b", ok=False, phase="Unknown", api_calls=3, api_errors=3)
        },
        api_calls=5,
        api_errors=3,
    )
    points = {(p.name, p.dimensions): p.value for p in fleet_points(report)}
    base = (("namespace", "a"), ("cluster", "b"))
    assert points[("reconcile_errors", base)] == 1
    assert points[("api_errors", base)] == 3
    assert points[("fleet_clusters_failed", ())] == 1
    assert points[("fleet_api_calls", ())] == 5
    assert all(BY_NAME[name].scope for name, _ in points)


@pytest.mark.parametrize(
    ("env", "sink"),
    [
        pytest.param({"AWS_LAMBDA_FUNCTION_NAME": "f"}, Sink.EMF, id="lambda"),
        pytest.param({"K_SERVICE": "f"}, Sink.CLOUD_MONITORING, id="cloud-run"),
        pytest.param(
            {"FUNCTIONS_WORKER_RUNTIME": "python", "APPLICATIONINSIGHTS_CONNECTION_STRING": "x"},
            Sink.APP_INSIGHTS,
            id="azure-with-insights",
        ),
        pytest.param({"FUNCTIONS_WORKER_RUNTIME": "python"}, Sink.OFF, id="azure-without"),
        pytest.param({}, Sink.OFF, id="cli"),
    ],
)
def test_auto_picks_the_platforms_own_path(env: dict[str, str], sink: Sink) -> None:
    assert detect(env) is sink


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(InvalidInputError, match="WEAVEFN_METRICS"):
        parse_sink("statsd")
    with pytest.raises(InvalidInputError, match="GOOGLE_CLOUD_PROJECT"):
        emitter_factory(Sink.CLOUD_MONITORING, env={}, cluster_setting="local:x")
    with pytest.raises(InvalidInputError, match="InstrumentationKey"):
        emitter_factory(
            Sink.APP_INSIGHTS,
            env={"APPLICATIONINSIGHTS_CONNECTION_STRING": "a=b"},
            cluster_setting="",
        )
    assert emitter_factory(Sink.AUTO, env={"K_SERVICE": "f"}, cluster_setting="local:x") is None
    assert (
        emitter_factory(Sink.OFF, env={"AWS_LAMBDA_FUNCTION_NAME": "f"}, cluster_setting="") is None
    )


def test_the_fleet_scope_keeps_only_fleet_metrics() -> None:
    blocks: list[str] = []
    observer = MetricsObserver(lambda: EmfEmitter(write=blocks.append), scope=Scope.FLEET)
    observer(FleetReport(clusters={"a/b": ClusterReport("a/b", ok=True, phase="Running")}))
    lines = "".join(blocks).splitlines()
    names = {
        m["Name"]
        for line in lines
        for m in json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    assert names and all(name.startswith("fleet_") for name in names)


def test_an_emitter_that_raises_is_logged_and_swallowed(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def emit(self, points: object, *, at: datetime) -> None:
            raise UnavailableError("endpoint down")

    observer = MetricsObserver(Broken)
    monkeypatch.setattr(logging.getLogger("weavefn"), "propagate", True)
    for _ in range(3):
        observer(FleetReport())
    assert [r.getMessage() for r in caplog.records] == ["metrics not emitted: endpoint down"]


def test_calls_count_pages_and_errors_in_the_threads_scope() -> None:
    local = LocalKube()
    for i in range(3):
        local.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"c{i}", "namespace": "a"},
            }
        )
    kube = MeteredKube(local)
    local.add_fault(Fault.UNAVAILABLE, kind="ConfigMap", verb=None, times=1)
    with counting() as outer:
        with counting() as inner, pytest.raises(UnavailableError):
            kube.get(ObjectRef("v1", "ConfigMap", "a", "c0"))
        found = kube.list_page("v1", "ConfigMap", namespace="a", limit=2)
        assert len(found.items) == 2
        assert len(kube.list_objects("v1", "ConfigMap", namespace="a")) == 3
    assert (inner.calls, inner.errors) == (1, 1)
    assert (outer.calls, outer.errors) == (3, 1)


def test_the_emf_checker_catches_what_cloudwatch_would_drop() -> None:
    line = EmfEmitter().lines(fleet_points(FleetReport()), at=datetime.now(UTC))[0]
    assert emf_problems(line) == []
    broken = json.loads(line)
    broken["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Widgets"
    broken["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = [["cluster"]]
    del broken["fleet_clusters"]
    problems = emf_problems(json.dumps(broken))
    assert any("Widgets" in p for p in problems)
    assert any("'cluster' is not a string member" in p for p in problems)
    assert any("fleet_clusters" in p for p in problems)


def test_a_pass_counts_its_list_calls_made_on_other_threads() -> None:
    from datetime import UTC, datetime

    from weavefn.local.metrics import local_registry
    from weavefn.service import Service

    from tests.functional.conftest import example

    local = LocalKube()
    local.apply_cluster(example("production-aws.yaml"))
    service = Service(
        MeteredKube(local), clock=lambda: datetime.now(UTC), metrics=local_registry({})
    )
    service.reconcile()
    local.reset_calls()
    report = service.reconcile()
    assert report.api_calls == len(local.calls) > 0
    assert sum(r.api_calls for r in report.clusters.values()) < report.api_calls


def test_readme_documents_every_metric_with_its_dimensions() -> None:
    from pathlib import Path

    from weavefn.observe.catalog import CATALOG

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for metric in CATALOG:
        dims = ", ".join(metric.dimensions) or "(none)"
        assert f"| `{metric.name}` |" in readme, metric.name
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{metric.name}` |"))
        assert f"| {dims} |" in row, (metric.name, row)


def _powertools_line(dimensions: tuple[tuple[str, str], ...], points: list[Point]) -> dict:
    """What Powertools' EMF provider writes for one dimension set: the encoder's oracle."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    provider = AmazonCloudWatchEMFProvider(
        namespace="weavefn", service="", metric_set={}, dimension_set={}, metadata_set={}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty dimension value is dropped with a warning
        for key, value in dimensions:
            provider.add_dimension(name=key, value=value)
    for point in points:
        provider.add_metric(name=point.name, unit=point.unit.value, value=point.value)
    provider.set_timestamp(AT)
    return dict(provider.serialize_metric_set())


AT = datetime(2026, 11, 30, 5, 0, 0, 123000, tzinfo=UTC)


def test_every_emf_line_is_what_powertools_would_write_for_the_same_points() -> None:
    base = (("namespace", "a"), ("cluster", "b"))
    points = [
        Point(d.name, 1.5, d.unit or Unit.PERCENT, (*base, *((k, "x") for k in d.extra)))
        for d in CATALOG
        if d.scope is Scope.CLUSTER
    ]
    points += [Point(d.name, 7, d.unit or Unit.NONE) for d in CATALOG if d.scope is Scope.FLEET]
    points += [
        Point("scale_events", 2, Unit.COUNT, (*base, ("direction", "up"))),  # a second value
        Point("decision", 1, Unit.COUNT, (*base, ("action", "scale-up"), ("rule", ""))),
    ]
    lines = [json.loads(line) for line in EmfEmitter().lines(points, at=AT)]
    groups: dict[tuple[tuple[str, str], ...], list[Point]] = {}
    for point in points:
        groups.setdefault(point.dimensions, []).append(point)
    assert lines == [_powertools_line(dims, group) for dims, group in groups.items()]
    assert all(emf_problems(json.dumps(line)) == [] for line in lines)


def test_emf_lines_keep_to_100_metrics_and_values_and_drop_what_is_not_a_number() -> None:
    many = [Point(f"m{i}", i, Unit.COUNT) for i in range(150)]
    repeated = [Point("api_calls", 1, Unit.COUNT, (("cluster", "c"),))] * 120
    broken = [Point("api_errors", math.nan, Unit.COUNT, (("cluster", "d"),))]
    lines = EmfEmitter().lines([*many, *repeated, *broken], at=AT)
    assert [emf_problems(line) for line in lines] == [[]] * 4
    sizes = [len(json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for line in lines]
    assert sizes == [100, 50, 1, 1]
    assert [len(json.loads(line)["api_calls"]) for line in lines[2:]] == [100, 20]


def test_a_pass_is_written_a_block_of_lines_at_a_time() -> None:
    blocks: list[str] = []
    keys = [f"a/c{i}" for i in range(600)]
    report = FleetReport(clusters={k: ClusterReport(k, ok=True, phase="Running") for k in keys})
    MetricsObserver(lambda: EmfEmitter(write=blocks.append))(report)
    sizes = [len(block.splitlines()) for block in blocks]
    assert sizes == [LINES_PER_WRITE, 600 + 1 - LINES_PER_WRITE]  # a line a cluster, the fleet
    assert all(block.endswith("\n") for block in blocks)
    assert all(emf_problems(line) == [] for line in "".join(blocks).splitlines())
