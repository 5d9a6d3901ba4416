"""The prometheus source against a real Prometheus scraping a fake Weaviate exporter every second."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.port import MetricName, MetricSnapshot
from weavefn.autoscale.metrics.prometheus import PrometheusSource, instant_query
from weavefn.model.autoscaling import MetricSourceKind
from weavefn.model.resource import parse_cluster

pytestmark = pytest.mark.e2e

# the truth the exporters are built to show
HTTP_RATES = {"search-0": 30.0, "search-1": 20.0}
GRPC_RATE = 10.0  # on search-0 only
PROBE_RATE = 5.0  # readiness probes: must not count as queries
TRUE_QPS = 60.0  # once a full minute of samples exists
# The same rate over exactly the series of client traffic the exporters publish.
TRUTH_QUERY = (
    'sum(rate(weaviate_http_request_duration_seconds_count{route="/v1/graphql"}[1m]))'
    ' + sum(rate(weaviate_grpc_server_request_duration_seconds_count{grpc_service="weaviate.v1.Weaviate"}[1m]))'
)
# cumulative queries per second at or below each bucket (ms); p95 interpolates inside
# (100, 250]: 100 + (0.95 * 50 - 40) / 10 * 150 = 212.5 ms
BUCKETS = {"10": 0.0, "50": 10.0, "100": 40.0, "250": 50.0, "500": 50.0, "+Inf": 50.0}
TRUE_P95 = 0.2125


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Traffic between the nodes, recorded in the same histograms, that is no client's query and
# grows with the node count: since 1.30 the cluster-internal HTTP API on the data port, under
# its mux patterns (adapters/handlers/rest/clusterapi/serve.go; "/" also carries the Raft router
# and, from 1.35, internal gRPC), and on gRPC the Raft RPC server (cluster/rpc/server.go, since
# 1.29), replica movement's file copies (public gRPC port, 1.32-1.34) and health checks.
INTERNAL_HTTP = {
    ("POST", "/indices/"): 40.0,
    ("PUT", "/replicas/indices/"): 25.0,
    ("GET", "/nodes/"): 3.0,
    ("POST", "/backups/status"): 1.0,
    ("POST", "/"): 12.0,
}
INTERNAL_GRPC = {
    ("weaviate.internal.cluster.ClusterService", "Query"): 8.0,
    ("weaviate.v1.FileReplicationService", "GetReplicaSnapshotFile"): 30.0,
    ("grpc.health.v1.Health", "Check"): 2.0,
}


def exposition(pod: str, elapsed: float) -> str:
    http = "weaviate_http_request_duration_seconds_count"
    grpc = "weaviate_grpc_server_request_duration_seconds_count"
    lines = [
        "# TYPE weaviate_http_request_duration_seconds histogram",
        f'{http}{{method="POST",route="/v1/graphql",status_code="200"}} {HTTP_RATES[pod] * elapsed}',
        f'{http}{{method="GET",route="/v1/.well-known/ready",status_code="200"}} {PROBE_RATE * elapsed}',
    ]
    lines += [
        f'{http}{{method="{method}",route="{route}",status_code="200"}} {rate * elapsed}'
        for (method, route), rate in INTERNAL_HTTP.items()
    ]
    lines.append("# TYPE weaviate_grpc_server_request_duration_seconds histogram")
    lines += [
        f'{grpc}{{grpc_service="{service}",method="{method}",status="OK"}} {rate * elapsed}'
        for (service, method), rate in INTERNAL_GRPC.items()
    ]
    if pod == "search-0":
        lines += [
            f'{grpc}{{grpc_service="weaviate.v1.Weaviate",method="Search",status="OK"}} {GRPC_RATE * elapsed}',
            "# TYPE queries_durations_ms histogram",
        ]
        lines += [
            f'queries_durations_ms_bucket{{class_name="Article",query_type="get",le="{le}"}} {rate * elapsed}'
            for le, rate in BUCKETS.items()
        ]
        lines += [
            f'queries_durations_ms_count{{class_name="Article",query_type="get"}} {50.0 * elapsed}',
            f'queries_durations_ms_sum{{class_name="Article",query_type="get"}} {5000.0 * elapsed}',
        ]
    return "\n".join(lines) + "\n"


def exporter(pod: str, started: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = exposition(pod, time.monotonic() - started).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def prometheus_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("the prometheus binary is required in CI (apt-get install prometheus)")
        pytest.skip("prometheus is not installed")
    started = time.monotonic()
    servers = {pod: exporter(pod, started) for pod in HTTP_RATES}
    threads = [
        threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True)
        for s in servers.values()
    ]
    for thread in threads:
        thread.start()
    targets = "\n".join(
        f"""      - targets: ["127.0.0.1:{s.server_address[1]}"]
        labels: {{namespace: prod, pod: {pod}}}"""
        for pod, s in servers.items()
    )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: weaviate
    static_configs:
{targets}
"""
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for server, thread in zip(servers.values(), threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join()


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("prometheus did not become ready within 30 s")


def cluster() -> Any:
    return parse_cluster(
        {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "metadata": {"name": "search", "namespace": "prod"},
            "spec": {
                "version": "1.32.4",
                "replicas": 2,
                "storage": {"size": "10Gi"},
                "autoScaling": {"enabled": True, "targetQPS": 50, "targetLatency": "200ms"},
            },
        }
    )


def test_qps_and_latency_match_the_truth(prometheus_url: str) -> None:
    source = PrometheusSource(default_url=prometheus_url)
    registry = {MetricSourceKind.PROMETHEUS: source}
    snapshot, truth = MetricSnapshot(), 0.0
    # rate(...[1m]) divides by the whole minute: while the first minute of samples fills in, it
    # climbs from 0 through every value. Every series started together and climbs alike, so the
    # default query is compared with the same rate over exactly the client traffic, at once.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        snapshot = collect(cluster(), registry=registry, prometheus_url=prometheus_url)
        truth = sum(float(r["value"][1]) for r in instant_query(prometheus_url, TRUTH_QUERY))
        if all(r.ok for r in snapshot.readings) and truth > 0 and snapshot.readings:
            break
        time.sleep(1)
    qps, latency = snapshot.get(MetricName.QPS), snapshot.get(MetricName.LATENCY)
    assert qps is not None and latency is not None, snapshot
    assert qps.value is not None and truth > 0, (snapshot, truth)
    assert qps.value / truth == pytest.approx(1.0, rel=0.05), (snapshot, truth)
    assert latency.value == pytest.approx(TRUE_P95, rel=0.1), snapshot
