"""Azure Monitor through Application Insights: custom metric envelopes to the ingestion endpoint.

Each point is one ``Microsoft.ApplicationInsights.Metric`` envelope (MetricData with one data
point, the dimensions as its properties), posted as a JSON array to ``<IngestionEndpoint>/v2.1/
track`` of the resource ``APPLICATIONINSIGHTS_CONNECTION_STRING`` names (the Function App has it
when Application Insights is enabled). They land in ``customMetrics`` (name, value,
customDimensions). Written with the standard library: azure-monitor-opentelemetry-exporter with
the OpenTelemetry SDK costs about 210 ms to import over the Azure handler, is made for periodic
export from long-lived processes, and its default cardinality limit (2,000 attribute sets per
instrument) would fold the clusters of a larger fleet into one overflow series.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from weavefn.errors import FieldError, InvalidInputError, UnavailableError
from weavefn.observe.points import Point

CONNECTION_ENV = "APPLICATIONINSIGHTS_CONNECTION_STRING"
DEFAULT_ENDPOINT = "https://dc.services.visualstudio.com/"
NAMESPACE = "weavefn"
BATCH = 500
TIMEOUT = 5.0


def parse_connection_string(text: str) -> tuple[str, str]:
    """(instrumentation key, ingestion endpoint) of a connection string."""
    parts: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            parts[key.strip().lower()] = value.strip()
    ikey = parts.get("instrumentationkey", "")
    if not ikey:
        raise InvalidInputError(
            [FieldError(CONNECTION_ENV, "has no InstrumentationKey")], what="function settings"
        )
    endpoint = parts.get("ingestionendpoint") or DEFAULT_ENDPOINT
    if not endpoint.startswith(("https://", "http://")):
        raise InvalidInputError(
            [FieldError(CONNECTION_ENV, "IngestionEndpoint must be an http(s) URL")],
            what="function settings",
        )
    return ikey, endpoint.rstrip("/") + "/v2.1/track"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AppInsightsEmitter:
    """Posts points as custom metrics to one Application Insights resource."""

    def __init__(
        self,
        connection_string: str,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self._ikey, self.url = parse_connection_string(connection_string)
        env = os.environ if environ is None else environ
        self.tags = {
            "ai.cloud.role": env.get("WEBSITE_SITE_NAME") or NAMESPACE,
            "ai.cloud.roleInstance": env.get("WEBSITE_INSTANCE_ID") or socket.gethostname(),
            "ai.internal.sdkVersion": "weavefn:0.1",
        }
        self.timeout = timeout

    def __repr__(self) -> str:  # the key stays out of logs
        return f"AppInsightsEmitter(url={self.url!r})"

    def envelopes(self, points: Iterable[Point], *, at: datetime) -> list[dict[str, Any]]:
        stamp = _stamp(at)
        return [
            {
                "ver": 1,
                "name": "Microsoft.ApplicationInsights.Metric",
                "time": stamp,
                "sampleRate": 100.0,
                "iKey": self._ikey,
                "tags": self.tags,
                "data": {
                    "baseType": "MetricData",
                    "baseData": {
                        "ver": 2,
                        "metrics": [
                            {
                                "name": point.name,
                                "ns": NAMESPACE,
                                "kind": 0,  # a measurement, not a pre-aggregation
                                "value": point.value,
                                "count": 1,
                            }
                        ],
                        "properties": {**dict(point.dimensions), "unit": point.unit.value},
                    },
                },
            }
            for point in points
        ]

    def emit(self, points: list[Point], *, at: datetime) -> None:
        envelopes = self.envelopes(points, at=at)
        for start in range(0, len(envelopes), BATCH):
            self._post(envelopes[start : start + BATCH])

    def _post(self, batch: list[dict[str, Any]]) -> None:
        body = json.dumps(batch, separators=(",", ":")).encode()
        request = urllib.request.Request(  # the URL's scheme is checked when parsed
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # nosec B310
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            status, text = refused.code, refused.read()
        except OSError as exc:
            raise UnavailableError(
                f"Application Insights unreachable: {type(exc).__name__}"
            ) from None
        if status == 200:
            return
        try:
            accepted = int(json.loads(text).get("itemsAccepted", 0))
        except (ValueError, AttributeError, TypeError):
            accepted = 0
        raise UnavailableError(
            f"Application Insights accepted {accepted} of {len(batch)} metrics (HTTP {status})"
        )
