"""Cloud Monitoring custom metrics on GCP: ``custom.googleapis.com/weavefn/<name>`` time series.

Built with google-cloud-monitoring's own types and written with its MetricServiceClient (already
in the gcp extra for the cloudMonitoring metric source, so usually loaded by the pass; otherwise
about 250 ms to import, on the first emission only). Each point is a DOUBLE GAUGE; its
dimensions are metric labels. The monitored resource is ``generic_task`` (the resource
OpenTelemetry's Google exporter gives Cloud Run and Cloud Functions): location the function's
region, namespace ``weavefn``, job the service (``K_SERVICE``), task_id one per instance, so two
instances never write the same series within Cloud Monitoring's 5 s per point. The descriptors
are created on the first write. Needs ``roles/monitoring.metricWriter``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from weavefn.observe.catalog import Unit
from weavefn.observe.points import Point

PREFIX = "custom.googleapis.com/weavefn/"
BATCH = 200
"""Cloud Monitoring takes at most 200 time series per CreateTimeSeries request."""
_UNITS = {
    Unit.COUNT: "1",
    Unit.SECONDS: "s",
    Unit.PERCENT: "%",
    Unit.PER_SECOND: "1/s",
    Unit.NONE: "1",
}
_INSTANCE = uuid.uuid4().hex[:16]


def task_labels(project: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """generic_task labels for this function instance."""
    env = os.environ if environ is None else environ
    return {
        "project_id": project,
        "location": env.get("FUNCTION_REGION") or env.get("GOOGLE_CLOUD_REGION") or "global",
        "namespace": "weavefn",
        "job": env.get("K_SERVICE") or env.get("FUNCTION_TARGET") or "weavefn",
        "task_id": f"{env.get('K_REVISION', 'local')}-{_INSTANCE}",
    }


def new_client() -> Any:
    """The MetricServiceClient, on the function's default credentials."""
    from google.cloud import monitoring_v3

    return monitoring_v3.MetricServiceClient()


class CloudMonitoringEmitter:
    """Writes points as custom metric time series to one project."""

    def __init__(self, project: str, *, client: Any = None, resource: dict[str, str] | None = None):
        self.project = project
        self._client = client
        self.resource = resource or task_labels(project)

    def time_series(self, points: Iterable[Point], *, at: datetime) -> list[Any]:
        """The TimeSeries messages (google.cloud.monitoring_v3 types) for ``points``."""
        from google.api.metric_pb2 import MetricDescriptor
        from google.cloud import monitoring_v3

        seconds = int(at.timestamp())
        nanos = int((at.timestamp() - seconds) * 1e9)
        found = []
        for point in points:
            series = monitoring_v3.TimeSeries()
            series.metric.type = PREFIX + point.name
            series.metric.labels.update(dict(point.dimensions))
            series.resource.type = "generic_task"
            series.resource.labels.update(self.resource)
            series.metric_kind = MetricDescriptor.MetricKind.GAUGE
            series.value_type = MetricDescriptor.ValueType.DOUBLE
            series.unit = _UNITS[point.unit]
            series.points = [
                monitoring_v3.Point(
                    {
                        "interval": {"end_time": {"seconds": seconds, "nanos": nanos}},
                        "value": {"double_value": point.value},
                    }
                )
            ]
            found.append(series)
        return found

    def client(self) -> Any:
        if self._client is None:
            self._client = new_client()
        return self._client

    def emit(self, points: list[Point], *, at: datetime) -> None:
        series = self.time_series(points, at=at)
        client = self.client()
        for start in range(0, len(series), BATCH):
            client.create_time_series(
                name=f"projects/{self.project}", time_series=series[start : start + BATCH]
            )
