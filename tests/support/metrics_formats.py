"""Readers of what each platform receives: EMF lines checked against the EMF specification,
Cloud Monitoring requests caught by a local gRPC MetricService, Application Insights envelopes
caught by a local ingestion endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# CloudWatch's units (the EMF specification's MetricDefinition.Unit).
EMF_UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)


def emf_problems(line: str) -> list[str]:
    """Every rule of the EMF specification a log line breaks ([] when it is valid EMF)."""
    problems: list[str] = []
    root = json.loads(line)
    aws = root.get("_aws")
    if not isinstance(aws, dict):
        return ["_aws: missing"]
    if not isinstance(aws.get("Timestamp"), int) or aws["Timestamp"] < 0:
        problems.append("_aws.Timestamp: must be a non-negative integer (ms since the epoch)")
    directives = aws.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics: must be a non-empty array"]
    for d, directive in enumerate(directives):
        where = f"CloudWatchMetrics[{d}]"
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024:
            problems.append(f"{where}.Namespace: 1-1024 characters")
        for s, dimension_set in enumerate(directive.get("Dimensions", [])):
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                problems.append(f"{where}.Dimensions[{s}]: an array of at most 30 keys")
                continue
            for key in dimension_set:
                value = root.get(key)
                if not isinstance(value, str) or not 1 <= len(value) <= 1024:
                    problems.append(f"{where}.Dimensions[{s}]: {key!r} is not a string member")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            problems.append(f"{where}.Metrics: 1-100 metric definitions")
            continue
        for definition in metrics:
            name = definition.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 1024:
                problems.append(f"{where}.Metrics: Name must be 1-1024 characters")
                continue
            if "Unit" in definition and definition["Unit"] not in EMF_UNITS:
                problems.append(f"{where}.Metrics[{name}]: unknown Unit {definition['Unit']!r}")
            if definition.get("StorageResolution", 60) not in (1, 60):
                problems.append(f"{where}.Metrics[{name}]: StorageResolution must be 1 or 60")
            value = root.get(name)
            values = value if isinstance(value, list) else [value]
            if (
                not values
                or len(values) > 100
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            ):
                problems.append(f"{where}.Metrics[{name}]: the member must be 1-100 numbers")
    return problems


def emf_metrics(line: str) -> list[tuple[str, dict[str, str], list[float]]]:
    """(name, dimensions, values) of every metric an EMF line carries."""
    root = json.loads(line)
    found = []
    for directive in root["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            dims = {k: root[k] for k in dimension_set}
            for definition in directive["Metrics"]:
                value = root[definition["Name"]]
                found.append(
                    (definition["Name"], dims, value if isinstance(value, list) else [value])
                )
    return found


# -- Cloud Monitoring: a local MetricService over gRPC -------------------------------------


@dataclass
class MetricService:
    requests: list[Any] = field(default_factory=list)
    target: str = ""


@contextmanager
def metric_service() -> Iterator[MetricService]:
    """A gRPC server answering CreateTimeSeries as Cloud Monitoring does, keeping each request."""
    from concurrent import futures

    import grpc
    from google.cloud.monitoring_v3 import CreateTimeSeriesRequest

    found = MetricService()

    def create(request: Any, context: Any) -> bytes:
        found.requests.append(request)
        return b""  # google.protobuf.Empty

    handler = grpc.method_handlers_generic_handler(
        "google.monitoring.v3.MetricService",
        {
            "CreateTimeSeries": grpc.unary_unary_rpc_method_handler(
                create,
                request_deserializer=CreateTimeSeriesRequest.deserialize,
                response_serializer=lambda empty: empty,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    found.target = f"127.0.0.1:{port}"
    try:
        yield found
    finally:
        server.stop(grace=None)


def monitoring_client(target: str) -> Any:
    """The real MetricServiceClient, over an insecure channel to ``target``."""
    import grpc
    from google.cloud import monitoring_v3
    from google.cloud.monitoring_v3.services.metric_service.transports import (
        MetricServiceGrpcTransport,
    )

    channel = grpc.insecure_channel(target)
    return monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))


# -- Application Insights: a local ingestion endpoint ---------------------------------------


@dataclass
class Ingestion:
    url: str = ""
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@contextmanager
def ingestion_endpoint() -> Iterator[Ingestion]:
    """Answers POST /v2.1/track as Application Insights does, keeping every envelope."""
    found = Ingestion()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert self.path == "/v2.1/track", self.path
            found.envelopes.extend(body)
            answer = json.dumps(
                {
                    "itemsReceived": len(body),
                    "itemsAccepted": len(body) if found.status == 200 else 0,
                    "errors": [],
                }
            ).encode()
            self.send_response(found.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # the base class names it so
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
