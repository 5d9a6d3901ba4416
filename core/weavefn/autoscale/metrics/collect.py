"""Reads every configured target of one cluster into a MetricSnapshot; one failure never spreads."""

from __future__ import annotations

import logging
import os

from weavefn.autoscale.metrics.port import (
    Hint,
    MetricSnapshot,
    MetricSourceError,
    MissingReason,
    Reading,
    Target,
)
from weavefn.autoscale.metrics.registry import PROMETHEUS_URL_ENV, Registry, configured_targets
from weavefn.errors import InvalidInputError
from weavefn.model.resource import WeaviateCluster

log = logging.getLogger(__name__)


def collect(
    cluster: WeaviateCluster,
    *,
    registry: Registry,
    hint: Hint | None = None,
    prometheus_url: str | None = None,
) -> MetricSnapshot:
    """One reading per configured target; a failing source yields a missing reading."""
    spec = cluster.spec.auto_scaling
    if spec is None:
        return MetricSnapshot((), hint)
    provider = cluster.spec.cloud_provider.type if cluster.spec.cloud_provider else None
    url = prometheus_url if prometheus_url is not None else os.environ.get(PROMETHEUS_URL_ENV)
    targets = configured_targets(spec, provider=provider, prometheus_url=url)
    return MetricSnapshot(tuple(_read(cluster, t, registry) for t in targets), hint)


def _read(cluster: WeaviateCluster, target: Target, registry: Registry) -> Reading:
    source = registry.get(target.source)
    if source is None:
        return Reading.absent(
            target, MissingReason.MISCONFIGURED, f"no {target.source.value} source is available"
        )
    try:
        return source.read(cluster, target)
    except MetricSourceError as exc:
        reason, detail = exc.reason, str(exc)
    except InvalidInputError as exc:
        reason, detail = MissingReason.MISCONFIGURED, str(exc)
    except Exception as exc:  # a source's bug must not stop the other targets
        reason, detail = MissingReason.SOURCE_ERROR, f"{type(exc).__name__} reading the metric"
    log.warning("%s: %s from %s unavailable: %s", cluster.key, target.metric, target.source, detail)
    return Reading.absent(target, reason, detail)
