"""``weavefn status``: each cluster on a line, and below it what holds it back or runs.

The line: version, ready/desired, phase, who decides the replica count, the last scale, the
conditions, the operation (any kind, by its kind, phase and message). Below it: every blocking
condition with its reason and message (any type, by its polarity), and each backup in flight.
Reads only: the local cluster's file is neither created nor saved.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from weavefn.autoscale.history import parse_time
from weavefn.autoscale.spec_replicas import desired_replicas
from weavefn.backend import Access
from weavefn.cli.commands_top import add_watch_options, run_top
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.conditions import blocking
from weavefn.errors import InvalidInputError
from weavefn.kube.port import Obj
from weavefn.lifecycle.backup_schedule import is_finished
from weavefn.model.keys import object_key
from weavefn.model.operations import Operation, kind_name
from weavefn.model.resource import parse_cluster
from weavefn.model.status import WeaviateClusterStatus
from weavefn.service import find_clusters

HEADER = ("NAME", "VERSION", "READY", "PHASE", "REPLICAS", "LAST SCALE", "CONDITIONS", "OPERATION")


def configure(name: str, parser: Any) -> None:
    """The arguments of ``status``."""
    add_target_options(parser)
    parser.add_argument("-o", "--output", choices=["table", "json"], default="table")
    parser.add_argument(
        "-w", "--watch", action="store_true", help="the decision metrics, refreshed"
    )
    add_watch_options(parser)
    parser.set_defaults(run=_status)


@dataclass(frozen=True)
class StatusRow:
    cells: tuple[str, ...]
    details: tuple[str, ...] = ()
    """Lines shown under the row: blocking conditions, backups in flight."""


def ago(moment: str | None, now: datetime) -> str:
    """``4m ago``, ``2h10m ago``; the moment as written when it cannot be read."""
    when = parse_time(moment) if moment else None
    if when is None:
        return moment or "-"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return f"{seconds}s ago"
    minutes, hours = seconds // 60, seconds // 3600
    if hours < 1:
        return f"{minutes}m ago"
    return f"{hours}h{minutes % 60:02d}m ago" if hours < 48 else f"{hours // 24}d ago"


def operation_text(operation: Operation | None) -> str:
    if operation is None:
        return "-"
    text = f"{kind_name(operation)} {operation.phase}"
    return f"{text}: {operation.message}" if operation.message else text


def _last_scale(status: WeaviateClusterStatus, now: datetime) -> str:
    events = status.autoscaling.scale_events
    if not events:
        return "-"
    last = events[-1]
    if last.change is None:
        return f"to {last.replicas}, {ago(last.time, now)}"
    return f"{last.replicas - last.change} -> {last.replicas}, {ago(last.time, now)}"


def _details(status: WeaviateClusterStatus, now: datetime) -> tuple[str, ...]:
    lines = [
        f"{c.type}={c.status} {c.reason}" + (f": {c.message}" if c.message else "")
        for c in blocking(status.conditions)
    ]
    lines += [
        f"backup {r.id} {r.status} ({r.reason or 'requested'}, {r.backend}, "
        f"started {ago(r.started_at, now)})"
        for r in status.backups
        if not is_finished(r)
    ]
    return tuple(lines)


def status_row(raw: Obj, *, now: datetime) -> StatusRow:
    """One cluster's line and the lines under it; an invalid spec or status still gets one."""
    key = object_key(raw)
    try:
        status = WeaviateClusterStatus.model_validate(raw.get("status") or {})
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]["msg"]
        return StatusRow(
            (key, "?", "?", "?", "?", "-", "-", "-"), (f"unreadable status: {problem}",)
        )
    try:
        replicas = desired_replicas(parse_cluster(raw).spec).describe(status.replicas or None)
    except InvalidInputError:
        replicas = "? (invalid spec)"
    spec = raw.get("spec")
    version = status.current_version or str(
        (spec.get("version") if isinstance(spec, dict) else None) or "?"
    )
    ready = next((c for c in status.conditions if c.type == "Ready"), None)
    conditions = ["Ready" if ready is not None and ready.status == "True" else "NotReady"]
    # Type=Status: a blocking UpgradeSucceeded must not read as a success
    conditions += [f"{c.type}={c.status}" for c in blocking(status.conditions)]
    cells = (
        key,
        version,
        f"{status.ready_replicas}/{status.replicas}",
        str(status.phase),
        replicas,
        _last_scale(status, now),
        ",".join(dict.fromkeys(conditions)),
        operation_text(status.operation),
    )
    return StatusRow(cells, _details(status, now))


def render_table(rows: list[StatusRow]) -> list[str]:
    """Aligned columns (the last one free), each row's details indented under it."""
    table = [HEADER, *(r.cells for r in rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(HEADER) - 1)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[-1]

    lines = [line(HEADER)]
    for row in rows:
        lines.append(line(row.cells))
        lines.extend(f"  {detail}" for detail in row.details)
    return lines


def _status(args: argparse.Namespace) -> int:
    if args.watch:
        return run_top(args)
    with open_runtime(args, access=Access.READ) as runtime:
        clusters = find_clusters(runtime.kube, namespace=args.namespace, name=args.name)
    if args.output == "json":
        json.dump({"apiVersion": "v1", "kind": "List", "items": clusters}, sys.stdout, indent=2)
        print()
        return 0
    if not clusters:
        print("no WeaviateCluster found")
        return 0
    now = datetime.now(UTC)
    for text in render_table([status_row(raw, now=now) for raw in clusters]):
        print(text)
    return 0
