"""The prometheus metric source: one instant query (``GET /api/v1/query``) per target.

Default queries (override per target with spec.autoScaling.metrics.<target>.query; the
placeholders ``{namespace}``, ``{cluster}`` and ``{quantile}`` are filled in):

- qps: requests per second over HTTP and gRPC, from the ``_count`` of Weaviate's request
  duration histograms (labels ``method, route, status_code`` and ``grpc_service, method,
  status``), health probes excluded. Joined with ``or`` so a cluster serving only one protocol
  still reads, and a cluster Prometheus does not scrape reads as missing rather than as zero.
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

PODS = 'namespace="{namespace}",pod=~"{cluster}-[0-9]+"'
DEFAULT_QUERIES = {
    MetricName.QPS: (
        "sum("
        f'rate(weaviate_http_request_duration_seconds_count{{{PODS},route!~".*well-known.*"}}[1m])'
        " or "
        f'rate(weaviate_grpc_server_request_duration_seconds_count{{{PODS},grpc_service!~"grpc.health.*"}}[1m])'
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
