"""Which emitter a function uses, and the pass observer that never lets emitting fail a pass.

``WEAVEFN_METRICS``: ``auto`` (the default: EMF on Lambda, Cloud Monitoring on Cloud Functions
and Cloud Run, Application Insights on Azure Functions when it is connected, else nothing),
``emf``, ``cloud-monitoring``, ``app-insights`` or ``off``. ``WEAVEFN_METRICS_SCOPE``:
``cluster`` (every documented metric) or ``fleet`` (only the ``fleet_*`` ones: a large fleet's
per-cluster series cost money on every platform).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from weavefn.errors import FieldError, InvalidInputError, WeavefnError
from weavefn.observe.catalog import BY_NAME, Scope

if TYPE_CHECKING:
    # Function modules read the settings from here at import: the points and the fleet's
    # report (the service's whole model) load with the first pass instead.
    from weavefn.observe.points import Point
    from weavefn.reconcile.fleet import FleetReport

log = logging.getLogger("weavefn")

METRICS_ENV = "WEAVEFN_METRICS"
SCOPE_ENV = "WEAVEFN_METRICS_SCOPE"
PROJECT_ENVS = ("GOOGLE_CLOUD_PROJECT", "GCP_PROJECT")


class Sink(StrEnum):
    AUTO = "auto"
    EMF = "emf"
    CLOUD_MONITORING = "cloud-monitoring"
    APP_INSIGHTS = "app-insights"
    OFF = "off"


class Emitter(Protocol):
    """Writes one pass's points on a platform's own path; may raise."""

    def emit(self, points: list[Point], *, at: datetime) -> None: ...


def parse_sink(text: str) -> Sink:
    try:
        return Sink((text or "auto").strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Sink)
        raise InvalidInputError(
            [FieldError(METRICS_ENV, f"{text!r} is not one of {choices}")], what="function settings"
        ) from None


def parse_scope(text: str) -> Scope:
    try:
        return Scope((text or "cluster").strip().lower())
    except ValueError:
        raise InvalidInputError(
            [FieldError(SCOPE_ENV, f"{text!r} is not one of cluster, fleet")],
            what="function settings",
        ) from None


def detect(env: Mapping[str, str]) -> Sink:
    """The platform this process runs on, from the variables each platform sets."""
    if env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return Sink.EMF
    if env.get("K_SERVICE") or env.get("FUNCTION_TARGET"):
        return Sink.CLOUD_MONITORING
    if env.get("FUNCTIONS_WORKER_RUNTIME") and env.get("APPLICATIONINSIGHTS_CONNECTION_STRING"):
        return Sink.APP_INSIGHTS
    return Sink.OFF


def gcp_project(env: Mapping[str, str], cluster_setting: str) -> str | None:
    for name in PROJECT_ENVS:
        if env.get(name):
            return env[name]
    if cluster_setting.startswith("gke:"):
        return cluster_setting.removeprefix("gke:").split("/")[0] or None
    return None


def emitter_factory(
    sink: Sink, *, env: Mapping[str, str], cluster_setting: str
) -> Callable[[], Emitter] | None:
    """How to build the emitter (lazily: a cloud SDK loads on the first emission), or None."""
    chosen = detect(env) if sink is Sink.AUTO else sink
    if chosen is Sink.EMF:
        from weavefn.observe.emf import EmfEmitter

        return EmfEmitter
    if chosen is Sink.CLOUD_MONITORING:
        project = gcp_project(env, cluster_setting)
        if project is None and sink is Sink.AUTO:
            log.warning("no metrics: set GOOGLE_CLOUD_PROJECT for Cloud Monitoring")
            return None
        if project is None:
            raise InvalidInputError(
                [FieldError(METRICS_ENV, "cloud-monitoring needs GOOGLE_CLOUD_PROJECT")],
                what="function settings",
            )
        from weavefn.observe.cloud_monitoring import CloudMonitoringEmitter, task_labels

        resource = task_labels(project, env)
        return lambda: CloudMonitoringEmitter(project, resource=resource)
    if chosen is Sink.APP_INSIGHTS:
        from weavefn.observe.app_insights import (
            CONNECTION_ENV,
            AppInsightsEmitter,
            parse_connection_string,
        )

        connection = env.get(CONNECTION_ENV, "")
        parse_connection_string(connection)  # a bad setting is reported now, naming the variable
        return lambda: AppInsightsEmitter(connection, environ=env)
    return None


def _now() -> datetime:
    return datetime.now(UTC)


class MetricsObserver:
    """The service's pass observer: points from the report, out through the emitter.

    A failure to emit is logged once (until an emission succeeds again) and never raised:
    metrics must not fail the pass they describe.
    """

    def __init__(
        self,
        factory: Callable[[], Emitter],
        *,
        scope: Scope = Scope.CLUSTER,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.factory = factory
        self.scope = scope
        self.clock = clock
        self._emitter: Emitter | None = None
        self._failing = False

    def __call__(self, report: FleetReport) -> None:
        try:
            from weavefn.observe.points import fleet_points

            points = fleet_points(report)
            if self.scope is Scope.FLEET:
                points = [p for p in points if BY_NAME[p.name].scope is Scope.FLEET]
            if self._emitter is None:
                self._emitter = self.factory()
            self._emitter.emit(points, at=self.clock())
        except Exception as exc:  # emitting must never fail a pass
            if not self._failing:
                # our own errors say what failed; another library's may quote its settings
                why = str(exc) if isinstance(exc, WeavefnError) else type(exc).__name__
                log.warning("metrics not emitted: %s", why, extra={"error": why})
            self._failing = True
            return
        self._failing = False


def observer_for(
    sink: Sink, *, scope: Scope, env: Mapping[str, str] | None = None, cluster_setting: str = ""
) -> MetricsObserver | None:
    factory = emitter_factory(
        sink, env=os.environ if env is None else env, cluster_setting=cluster_setting
    )
    return None if factory is None else MetricsObserver(factory, scope=scope)
