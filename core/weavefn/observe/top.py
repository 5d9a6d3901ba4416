"""The decision metrics on a terminal: what ``weavefn top`` and ``status NAME --watch`` show.

The same figures the emitters send, read without writing anything: replicas desired, current
and ready; each autoscaling target's value against its target and its source, evaluated now
from the cluster's metric sources; the decision and its rule; the operation and its time in
phase. Pure apart from the reads it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weavefn.autoscale.decision import evaluate
from weavefn.autoscale.history import decision_input, parse_time
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.registry import Registry
from weavefn.autoscale.proposals import format_value
from weavefn.autoscale.spec_replicas import ReplicaSource, desired_replicas
from weavefn.errors import InvalidInputError
from weavefn.kube.port import KubeApi, Obj, ObjectRef
from weavefn.model.keys import object_key
from weavefn.model.resource import parse_cluster
from weavefn.observe.record import ALARM_SOURCE


@dataclass(frozen=True)
class Target:
    metric: str
    source: str
    text: str
    """``cpu 31% / 70%`` or ``qps - / 1000.0 qps/replica (NoData)``."""


@dataclass(frozen=True)
class TopRow:
    cluster: str
    phase: str
    desired: int | None
    current: int | None
    ready: int
    decision: str
    operation: str
    targets: tuple[Target, ...] = ()


def _duration(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{sec:02d}s"


def row_for(raw: Obj, *, kube: KubeApi, registry: Registry, now: datetime) -> TopRow:
    status = raw.get("status") or {}
    key = object_key(raw)
    try:
        cluster = parse_cluster(raw)
    except InvalidInputError as bad:
        return TopRow(key, "Invalid", None, None, 0, str(bad)[:60], "-")
    meta = cluster.metadata
    sts = kube.get(ObjectRef("apps/v1", "StatefulSet", meta.namespace, meta.name))
    current = int(sts["spec"].get("replicas", 0)) if sts else None
    wanted = desired_replicas(cluster.spec)
    desired: int | None = wanted.spec
    decision = "-"
    targets: tuple[Target, ...] = ()
    if wanted.source is ReplicaSource.AUTOSCALING and current is not None:
        snapshot = collect(cluster, registry=registry)
        made = evaluate(decision_input(cluster, current=current, snapshot=snapshot, now=now))
        desired, decision = made.replicas, f"{made.action} ({made.reason})"
        proposals = {p.metric: p for p in made.proposals}
        found = []
        for reading in snapshot.readings:
            proposal = proposals.get(reading.metric)
            if proposal is None:
                why = f" ({reading.missing})" if reading.missing else ""
                found.append(Target(str(reading.metric), str(reading.source), f"-{why}"))
                continue
            source = ALARM_SOURCE if proposal.hinted else str(reading.source)
            value = format_value(reading.metric, proposal.observed)
            target = format_value(reading.metric, proposal.target)
            found.append(Target(str(reading.metric), source, f"{value} / {target}"))
        targets = tuple(found)
    operation = cluster.status.operation
    op_text = "-"
    if operation is not None:
        since = parse_time(operation.phase_started_at)
        spent = _duration((now - since).total_seconds()) if since else "?"
        op_text = f"{operation.kind} {operation.phase} ({spent} in phase)"
    return TopRow(
        key,
        str(status.get("phase", "Pending")),
        desired,
        current,
        int(status.get("readyReplicas") or 0),
        decision,
        op_text,
        targets,
    )


def render(rows: list[TopRow], *, now: datetime) -> list[str]:
    """The screen: one line per cluster, then one per autoscaling target."""
    header = ["CLUSTER", "PHASE", "READY/CURRENT", "DESIRED", "DECISION", "OPERATION"]
    table = [header] + [
        [
            r.cluster,
            r.phase,
            f"{r.ready}/{'-' if r.current is None else r.current}",
            "-" if r.desired is None else str(r.desired),
            r.decision,
            r.operation,
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    lines = [f"weavefn top  {now:%Y-%m-%d %H:%M:%S} UTC  {len(rows)} cluster(s)", ""]
    for index, line in enumerate(table):
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)) + "  " + line[-1]
        )
        if index:
            for target in rows[index - 1].targets:
                lines.append(f"    {target.metric:<8} {target.text}  [{target.source}]")
    if not rows:
        lines.append("no WeaviateCluster found")
    return lines
