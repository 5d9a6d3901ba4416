"""The prometheus metric source: one instant query (``GET /api/v1/query``) per target.

Default queries (override per target with spec.autoScaling.metrics.<target>.query; the
placeholders ``{namespace}``, ``{cluster}`` and ``{quantile}`` are filled in):

- qps: client requests per second over HTTP and gRPC, from the ``_count`` of Weaviate's request
  duration histograms (labels ``method, route, status_code`` and ``grpc_service, method,
  status``; usecases/monitoring/prometheus.go, from 1.29). Only the public API counts:
  - HTTP: routes under ``/v1/`` (go-openapi's route patterns carry the base path), health
    probes excluded. Since 1.30 the cluster-internal API on the data port is recorded in the
    same histogram (adapters/handlers/rest/clusterapi/serve.go) with its mux patterns as
    routes: ``/indices/``, ``/replicas/indices/``, ``/nodes/``, ``/backups/can-commit``,
    ``/backups/commit``, ``/backups/abort``, ``/backups/status``,
    ``/classifications/transactions/``, ``/cluster/users/db/`` (1.31+),
    ``/cluster/object_ttl/`` (1.35+), ``/exports/*`` (1.37+), and ``/`` for the Raft router
    (``/v1/cluster/*``) and, from 1.35, internal gRPC on that port. None starts with ``/v1/``.
  - gRPC: the query services ``weaviate.v1.Weaviate`` and ``weaviategrpc.Weaviate``
    (adapters/handlers/grpc/server.go). The same histogram also records the Raft RPC server
    (``weaviate.internal.cluster.ClusterService``, cluster/rpc/server.go, from 1.29), replica
    movement's file copies (``weaviate.v1.FileReplicationService`` on the public gRPC port,
    1.32-1.34) and health checks; all are left out.
  Internal traffic grows with the node count (replicated writes, shard fan-out, Raft, file
  copies), so counting it kept QPS per node from falling after a scale-out. Joined with
  ``or`` so a cluster serving only one protocol still reads, and a cluster Prometheus does not
  scrape reads as missing rather than as zero. Weaviate's query counters are the weaker
  signal: ``requests_total`` is a gauge that the gRPC API never increments, and
  ``queries_durations_ms`` counts only Get queries (usecases/traverser/metrics.go).
  Before 1.29 none of these histograms exist: the reading is missing with reason
  UnsupportedVersion, saying so.
- latency: the configured quantile of ``queries_durations_ms``, in seconds.

Pods are matched on the ``namespace`` and ``pod`` target labels that Kubernetes service
discovery sets. The base URL comes from the target's ``url``, else WEAVEFN_PROMETHEUS_URL.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from weavefn.autoscale.metrics.port import (
    MetricName,
    MetricSourceError,
    MissingReason,
    Reading,
    Target,
    expand,
)
from weavefn.model.resource import WeaviateCluster
from weavefn.weaviate import releases

PODS = 'namespace="{namespace}",pod=~"{cluster}-[0-9]+"'
PUBLIC_HTTP = 'route=~"/v1/.+",route!~"/v1/[.]well-known/.*"'
PUBLIC_GRPC = 'grpc_service=~"weaviate[.]v1[.]Weaviate|weaviategrpc[.]Weaviate"'
DEFAULT_QUERIES = {
    MetricName.QPS: (
        "sum("
        f"rate(weaviate_http_request_duration_seconds_count{{{PODS},{PUBLIC_HTTP}}}[1m])"
        " or "
        f"rate(weaviate_grpc_server_request_duration_seconds_count{{{PODS},{PUBLIC_GRPC}}}[1m])"
        ")"
    ),
    MetricName.LATENCY: (
        "histogram_quantile({quantile}, sum by (le) "
        f"(rate(queries_durations_ms_bucket{{{PODS}}}[2m]))) / 1000"
    ),
}
TIMEOUT_SECONDS = 5.0


def query_for(cluster: WeaviateCluster, target: Target) -> str:
    template = target.query or DEFAULT_QUERIES.get(target.metric)
    if template is None:
        raise MetricSourceError(
            f"spec.autoScaling.metrics.{target.metric.value}.query is required for prometheus",
            reason=MissingReason.MISCONFIGURED,
        )
    return expand(template, cluster).replace("{quantile}", repr(target.quantile))


def unsupported_reading(cluster: WeaviateCluster, target: Target) -> Reading | None:
    """The missing reading of a default query that the running release cannot answer."""
    if target.metric is not MetricName.QPS or target.query is not None:
        return None
    running = cluster.status.current_version or cluster.spec.version
    if releases.at_least(running, releases.REQUEST_METRICS_SINCE):
        return None
    since = ".".join(map(str, releases.REQUEST_METRICS_SINCE))
    return Reading.absent(
        target,
        MissingReason.UNSUPPORTED_VERSION,
        f"Weaviate {running} exports no request histograms (they arrive in {since}): set "
        "spec.autoScaling.metrics.qps.query, or read QPS from another source",
    )


def redact(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def instant_query(base_url: str, query: str, *, timeout: float = TIMEOUT_SECONDS) -> list[Any]:
    """The ``data.result`` of an instant query (a list of vector samples)."""
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise MetricSourceError(
            f"prometheus URL {redact(base_url)!r} must be http(s)",
            reason=MissingReason.MISCONFIGURED,
        )
    url = base_url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # nosec B310 # scheme checked to be http(s) above
            body = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        detail = _error_of(exc.read())
        raise MetricSourceError(
            f"prometheus {redact(base_url)} answered {exc.code}{detail}"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MetricSourceError(f"prometheus {redact(base_url)} unreachable: {reason}") from None
    except ValueError:
        raise MetricSourceError(f"prometheus {redact(base_url)} sent no JSON") from None
    if body.get("status") != "success":
        raise MetricSourceError(f"prometheus query failed: {body.get('error', 'unknown error')}")
    data = body.get("data") or {}
    if data.get("resultType") not in ("vector", "scalar"):
        raise MetricSourceError(f"query gave a {data.get('resultType')}, expected a vector")
    result = data.get("result") or []
    # a scalar result is one [time, value] pair rather than a list of samples
    return [{"value": result}] if data.get("resultType") == "scalar" else list(result)


def _error_of(raw: bytes) -> str:
    try:
        return f": {json.loads(raw).get('error')}"
    except (ValueError, AttributeError):
        return ""


class PrometheusSource:
    def __init__(self, *, default_url: str | None = None, timeout: float = TIMEOUT_SECONDS):
        self._default_url = default_url or None
        self._timeout = timeout

    def read(self, cluster: WeaviateCluster, target: Target) -> Reading:
        unsupported = unsupported_reading(cluster, target)
        if unsupported is not None:
            return unsupported
        base = target.url or self._default_url
        if not base:
            raise MetricSourceError(
                f"no Prometheus URL: set spec.autoScaling.metrics.{target.metric.value}.url "
                "or WEAVEFN_PROMETHEUS_URL",
                reason=MissingReason.MISCONFIGURED,
            )
        samples = instant_query(base, query_for(cluster, target), timeout=self._timeout)
        if not samples:
            return Reading.absent(target, MissingReason.NO_DATA, "the query returned no series")
        if len(samples) > 1:
            raise MetricSourceError(
                f"the {target.metric.value} query returned {len(samples)} series; aggregate it "
                "to one (e.g. sum(...))",
                reason=MissingReason.MISCONFIGURED,
            )
        value = float(samples[0]["value"][1])
        if math.isnan(value):
            if target.metric == MetricName.LATENCY:
                # histogram_quantile over zero requests: no query was slow
                return Reading.of(target, 0.0)
            return Reading.absent(target, MissingReason.NO_DATA, "the query returned NaN")
        return Reading.of(target, value)
