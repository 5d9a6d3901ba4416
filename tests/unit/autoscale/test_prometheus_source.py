"""The prometheus source against a small real HTTP server speaking /api/v1/query."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.port import MetricName, MissingReason, Reading
from weavefn.autoscale.metrics.prometheus import PrometheusSource
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.model.resource import WeaviateCluster, parse_cluster

from tests.unit.autoscale.conftest import make_cluster


class FakePrometheus:
    """Answers every query with the next canned body; remembers the queries."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.answers: list[tuple[int, dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                assert parsed.path == "/api/v1/query"
                owner.queries.append(urllib.parse.parse_qs(parsed.query)["query"][0])
                code, body = owner.answers.pop(0) if owner.answers else (200, vector())
                raw = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def vector(*values: str) -> dict[str, Any]:
    result = [{"metric": {}, "value": [1700000000.0, v]} for v in values]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    fake = FakePrometheus()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


def read(fake: FakePrometheus, autoscaling: dict[str, Any], url: str | None = None) -> Reading:
    cluster = make_cluster(autoscaling)
    source = PrometheusSource(default_url=fake.url if url is None else url)
    snapshot = collect(cluster, registry={MetricSourceKind.PROMETHEUS: source}, prometheus_url="x")
    assert len(snapshot.readings) == 1
    return snapshot.readings[0]


def test_qps_default_query_reads_both_protocols_of_the_clusters_pods(
    prometheus: FakePrometheus,
) -> None:
    prometheus.answers.append((200, vector("123.5")))
    reading = read(prometheus, {"targetCPU": None, "targetQPS": 100})
    assert (reading.metric, reading.value) == (MetricName.QPS, 123.5)
    query = prometheus.queries[0]
    assert (
        'weaviate_http_request_duration_seconds_count{namespace="prod",pod=~"search-[0-9]+"'
        in query
    )
    assert "weaviate_grpc_server_request_duration_seconds_count" in query


def test_latency_default_query_uses_quantile_and_seconds(prometheus: FakePrometheus) -> None:
    prometheus.answers.append((200, vector("0.25")))
    reading = read(prometheus, {"targetLatency": "200ms", "latencyQuantile": 0.99})
    assert reading.value == 0.25
    assert prometheus.queries[0].startswith("histogram_quantile(0.99, sum by (le)")
    assert prometheus.queries[0].endswith("/ 1000")


def test_query_override_fills_placeholders(prometheus: FakePrometheus) -> None:
    prometheus.answers.append((200, vector("7")))
    query = 'sum(rate(requests_total{kubernetes_namespace="{namespace}",app="{cluster}"}[5m]))'
    read(
        prometheus,
        {
            "targetQPS": 10,
            "targetCPU": None,
            "metrics": {"qps": {"source": "prometheus", "query": query}},
        },
    )
    assert prometheus.queries == [
        'sum(rate(requests_total{kubernetes_namespace="prod",app="search"}[5m]))'
    ]


def test_target_url_wins_over_environment(prometheus: FakePrometheus) -> None:
    prometheus.answers.append((200, vector("1")))
    spec = {
        "targetQPS": 10,
        "targetCPU": None,
        "metrics": {"qps": {"source": "prometheus", "url": prometheus.url}},
    }
    assert read(prometheus, spec, url="http://127.0.0.1:9").value == 1.0


ANSWERS = {
    "empty-result": ((200, vector()), MissingReason.NO_DATA, "no series"),
    "several-series": ((200, vector("1", "2")), MissingReason.MISCONFIGURED, "aggregate"),
    "bad-query": (
        (400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}),
        MissingReason.SOURCE_ERROR,
        "parse error at char 3",
    ),
    "nan-qps": ((200, vector("NaN")), MissingReason.NO_DATA, "NaN"),
}


@pytest.mark.parametrize(("answer", "reason", "detail"), ANSWERS.values(), ids=ANSWERS.keys())
def test_unusable_answers_are_missing_readings(
    prometheus: FakePrometheus,
    answer: tuple[int, dict[str, Any]],
    reason: MissingReason,
    detail: str,
) -> None:
    prometheus.answers.append(answer)
    reading = read(prometheus, {"targetQPS": 10, "targetCPU": None})
    assert reading.value is None and reading.missing == reason
    assert detail in reading.detail


def test_nan_latency_means_no_queries_ran(prometheus: FakePrometheus) -> None:
    prometheus.answers.append((200, vector("NaN")))
    assert read(prometheus, {"targetLatency": "1s", "targetCPU": None}).value == 0.0


def test_unreachable_server_is_a_source_error_without_credentials(
    prometheus: FakePrometheus,
) -> None:
    reading = read(
        prometheus, {"targetQPS": 10, "targetCPU": None}, url="http://admin:s3cret@127.0.0.1:9"
    )
    assert reading.missing == MissingReason.SOURCE_ERROR
    assert "unreachable" in reading.detail and "s3cret" not in reading.detail


def test_no_url_is_misconfigured(prometheus: FakePrometheus) -> None:
    reading = read(prometheus, {"targetQPS": 10, "targetCPU": None}, url="")
    assert reading.missing == MissingReason.MISCONFIGURED
    assert "WEAVEFN_PROMETHEUS_URL" in reading.detail


def test_the_default_qps_query_counts_only_the_public_api(prometheus: FakePrometheus) -> None:
    prometheus.answers.append((200, vector("1")))
    read(prometheus, {"targetQPS": 10, "targetCPU": None})
    query = prometheus.queries[0]
    # internal routes (clusterapi/serve.go) never start with /v1/; probes are left out
    assert 'route=~"/v1/.+",route!~"/v1/[.]well-known/.*"' in query
    # the query services only: not Raft RPC, file copies or health
    assert 'grpc_service=~"weaviate[.]v1[.]Weaviate|weaviategrpc[.]Weaviate"' in query


def _on(version: str, current: str | None = None, **autoscaling: Any) -> WeaviateCluster:
    cluster = make_cluster({"targetQPS": 10, "targetCPU": None, **autoscaling}).to_dict()
    cluster["spec"]["version"] = version
    if current is not None:
        cluster["status"] = {"currentVersion": current}
    return parse_cluster(cluster)


@pytest.mark.parametrize(
    ("version", "current"),
    [
        pytest.param("1.28.16", None, id="1.28"),
        pytest.param("1.29.0", "1.28.16", id="mid-upgrade-to-1.29"),
    ],
)
def test_before_1_29_qps_is_unsupported_not_missing(
    prometheus: FakePrometheus, version: str, current: str | None
) -> None:
    source = PrometheusSource(default_url=prometheus.url)
    registry = {MetricSourceKind.PROMETHEUS: source}
    (reading,) = collect(_on(version, current), registry=registry, prometheus_url="x").readings
    assert reading.missing is MissingReason.UNSUPPORTED_VERSION
    assert "Weaviate 1.28.16 exports no request histograms" in reading.detail
    assert "1.29" in reading.detail
    assert prometheus.queries == []  # nothing asked that cannot be answered


def test_a_custom_qps_query_is_asked_on_any_release(prometheus: FakePrometheus) -> None:
    prometheus.answers.append((200, vector("5")))
    metrics = {"qps": {"source": "prometheus", "query": "sum(rate(my_requests[1m]))"}}
    source = PrometheusSource(default_url=prometheus.url)
    registry = {MetricSourceKind.PROMETHEUS: source}
    (reading,) = collect(
        _on("1.27.3", metrics=metrics), registry=registry, prometheus_url="x"
    ).readings
    assert reading.value == 5.0


def test_the_local_cluster_reports_the_same_for_a_release_before_1_29() -> None:
    from weavefn.local.metrics import LoadModel, local_registry

    extras: dict[str, Any] = {}
    LoadModel(extras).set("prod/search", qps=500)
    registry = local_registry(extras)
    old = collect(_on("1.28.3"), registry=registry, prometheus_url="http://prom:9090")
    new = collect(_on("1.29.1"), registry=registry, prometheus_url="http://prom:9090")
    assert old.readings[0].missing is MissingReason.UNSUPPORTED_VERSION
    assert new.readings[0].value == 500.0
