"""CloudWatch Embedded Metric Format on AWS: one JSON line per dimension set, on stdout.

Lambda sends stdout to CloudWatch Logs, which extracts the metrics of every line in EMF (no API
call, no permission, nothing to wait for). The lines are built by Powertools for AWS Lambda's
EMF provider (``aws-lambda-powertools``, 13-18 ms to import over the handler, imported on the
first emission): it validates names, units, dimension counts and the namespace as CloudWatch
requires. A line holds the points that share one dimension set, so a cluster's pass is a few
lines (its own figures, one per autoscaling target, one per decision).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime

from weavefn.observe.points import Dimensions, Point

NAMESPACE = "weavefn"


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class EmfEmitter:
    """Writes points as EMF lines through ``write`` (stdout in Lambda)."""

    def __init__(
        self, *, namespace: str = NAMESPACE, write: Callable[[str], None] = _stdout
    ) -> None:
        self.namespace = namespace
        self.write = write

    def lines(self, points: Iterable[Point], *, at: datetime) -> list[str]:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
            AmazonCloudWatchEMFProvider,
        )

        groups: dict[Dimensions, list[Point]] = {}
        for point in points:
            groups.setdefault(point.dimensions, []).append(point)
        found: list[str] = []
        for dimensions, group in groups.items():
            # service="" keeps POWERTOOLS_SERVICE_NAME from adding a dimension to every metric
            provider = AmazonCloudWatchEMFProvider(
                namespace=self.namespace,
                service="",
                metric_set={},
                dimension_set={},
                metadata_set={},
            )
            for key, value in dimensions:
                provider.add_dimension(name=key, value=value)
            for point in group:
                provider.add_metric(name=point.name, unit=point.unit.value, value=point.value)
            provider.set_timestamp(at)
            found.append(json.dumps(provider.serialize_metric_set(), separators=(",", ":")))
        return found

    def emit(self, points: list[Point], *, at: datetime) -> None:
        for line in self.lines(points, at=at):
            self.write(line)
