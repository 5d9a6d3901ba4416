"""CloudWatch Embedded Metric Format on AWS: one JSON line per dimension set, on stdout.

Lambda sends stdout to CloudWatch Logs, which extracts the metrics of every line in EMF (no API
call, no permission, nothing to wait for). A line holds the points that share one dimension
set, so a cluster's pass is a few lines (its own figures, one per autoscaling target, one per
decision); they go out a few hundred at a write.

The lines are encoded here rather than by Powertools' EMF provider. Powertools builds and
validates a provider per dimension set: 4.2 s of CPU for a 10,000-cluster pass, against 1.05 s
here, where the directive of each shape is built once (tests/benchmarks/test_emf_bench.py).
What Powertools validates per call holds by construction: names and units come from the
catalog (weavefn.observe.catalog), and the tests hold every line to the EMF specification and
to Powertools' own output for the same points.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from weavefn.observe.points import Dimensions, Point

NAMESPACE = "weavefn"
MAX_PER_LINE = 100
"""EMF's limit on metric definitions per directive and on values per metric."""
LINES_PER_WRITE = 500


def _stdout(block: str) -> None:
    sys.stdout.write(block)
    sys.stdout.flush()


def _directive_members(dimensions: Dimensions) -> dict[str, str]:
    # CloudWatch drops a dimension with an empty value (so does Powertools), e.g. no rule
    return {key: value for key, value in dimensions if key.strip() and value.strip()}


def _chunks(group: list[Point]) -> Iterator[dict[str, tuple[str, list[float]]]]:
    """A group's metrics (name -> unit, values), at most 100 names and 100 values a line."""
    metrics: dict[str, tuple[str, list[float]]] = {}
    for point in group:
        if not math.isfinite(point.value):
            continue  # NaN and infinities are not JSON numbers: CloudWatch drops the line
        _, values = metrics.setdefault(point.name, (point.unit.value, []))
        values.append(point.value)
        if len(metrics) == MAX_PER_LINE or len(values) == MAX_PER_LINE:
            yield metrics
            metrics = {}
    if metrics:
        yield metrics


@functools.lru_cache(maxsize=4096)
def _directive(namespace: str, keys: tuple[str, ...], metrics: tuple[tuple[str, str], ...]) -> str:
    """The ``CloudWatchMetrics`` directive, the same for every cluster of a shape: built once."""
    directive = {
        "Namespace": namespace,
        "Dimensions": [list(keys)],
        "Metrics": [{"Name": name, "Unit": unit} for name, unit in metrics],
    }
    return json.dumps(directive, separators=(",", ":"))


def encode(
    namespace: str, dimensions: Dimensions, metrics: dict[str, tuple[str, list[float]]], at_ms: int
) -> str:
    members: dict[str, object] = dict(_directive_members(dimensions))
    shape = tuple((name, unit) for name, (unit, _) in metrics.items())
    head = _directive(namespace, tuple(members), shape)
    members.update((name, values) for name, (_, values) in metrics.items())
    body = json.dumps(members, separators=(",", ":"))
    return f'{{"_aws":{{"Timestamp":{at_ms},"CloudWatchMetrics":[{head}]}},{body[1:]}'


class EmfEmitter:
    """Writes points as EMF lines through ``write`` (stdout in Lambda), in blocks of lines."""

    def __init__(
        self, *, namespace: str = NAMESPACE, write: Callable[[str], None] = _stdout
    ) -> None:
        self.namespace = namespace
        self.write = write

    def lines(self, points: Iterable[Point], *, at: datetime) -> list[str]:
        return list(self._lines(points, at=at))

    def _lines(self, points: Iterable[Point], *, at: datetime) -> Iterator[str]:
        at_ms = int(at.timestamp() * 1000)
        groups: dict[Dimensions, list[Point]] = {}
        for point in points:
            groups.setdefault(point.dimensions, []).append(point)
        for dimensions, group in groups.items():
            for metrics in _chunks(group):
                yield encode(self.namespace, dimensions, metrics, at_ms)

    def emit(self, points: list[Point], *, at: datetime) -> None:
        # a few hundred lines a write: few system calls, and no whole pass held as text
        lines = self._lines(points, at=at)
        while block := list(itertools.islice(lines, LINES_PER_WRITE)):
            self.write("\n".join(block) + "\n")
