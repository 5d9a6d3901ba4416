"""Commands that act on a cluster through the API: apply, reconcile, plan, status."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from weavefn.autoscale.spec_replicas import desired_replicas
from weavefn.cli.commands_top import add_watch_options, run_top
from weavefn.cli.io import load_cluster_file
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.kube.port import Obj
from weavefn.model.keys import object_key
from weavefn.model.operations import Operation
from weavefn.model.resource import parse_cluster
from weavefn.service import find_clusters


def configure(name: str, parser: Any) -> None:
    """The arguments of ``apply``, ``reconcile``, ``plan`` or ``status``."""
    if name == "apply":
        parser.add_argument("-f", "--file", required=True)
        add_target_options(parser, names=False)
        parser.set_defaults(run=_apply)
        return
    add_target_options(parser)
    if name == "status":
        parser.add_argument("-o", "--output", choices=["table", "json"], default="table")
        parser.add_argument(
            "-w", "--watch", action="store_true", help="the decision metrics, refreshed"
        )
        add_watch_options(parser)
    parser.set_defaults(run={"reconcile": _reconcile, "plan": _plan, "status": _status}[name])


def _apply(args: argparse.Namespace) -> int:
    cluster = load_cluster_file(args.file)
    with open_runtime(args) as runtime:
        written = runtime.kube.apply_cluster(cluster.to_dict())
    meta = written["metadata"]
    print(
        f"weaviatecluster {meta['namespace']}/{meta['name']} applied "
        f"(generation {meta.get('generation')})"
    )
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    with open_runtime(args) as runtime:
        report = runtime.service.reconcile(namespace=args.namespace, name=args.name)
    for key, result in sorted(report.clusters.items()):
        print(f"{key}: {result.phase}" + (f" ({result.error})" if result.error else ""))
        for action in result.actions or ("no change",):
            print(f"  {action}")
    for key in report.skipped:
        print(f"{key}: skipped (deadline reached; the next run continues)")
    if not report.clusters and not report.skipped:
        print("no WeaviateCluster found")
    return 0 if report.ok else 1


def _plan(args: argparse.Namespace) -> int:
    with open_runtime(args) as runtime:
        plans = runtime.service.plan(namespace=args.namespace, name=args.name)
    for key, lines in sorted(plans.items()):
        print(f"{key}:")
        for line in lines or ["  (no changes)"]:
            print(f"  {line}")
    if not plans:
        print("no WeaviateCluster found")
    return 0


def _operation_text(operation: Operation | None) -> str:
    if operation is None:
        return "-"
    text = f"{operation.kind} {operation.phase}"
    return f"{text}, {operation.message}" if operation.message else text


def _row(raw: Obj) -> list[str]:
    cluster = parse_cluster(raw) if raw.get("spec") else None
    status = raw.get("status", {})
    conditions = ",".join(
        c["type"] for c in status.get("conditions", []) if c.get("status") == "True"
    )
    operation = cluster.status.operation if cluster else None
    replicas = (
        desired_replicas(cluster.spec).describe(status.get("replicas") or None) if cluster else "?"
    )
    return [
        object_key(raw),
        status.get("currentVersion") or (cluster.spec.version if cluster else "?"),
        f"{status.get('readyReplicas', 0)}/{status.get('replicas', 0)}",
        status.get("phase", "Pending"),
        replicas,
        conditions or "-",
        _operation_text(operation),
    ]


def _status(args: argparse.Namespace) -> int:
    if args.watch:
        return run_top(args)
    with open_runtime(args) as runtime:
        clusters = find_clusters(runtime.kube, namespace=args.namespace, name=args.name)
    if args.output == "json":
        json.dump({"apiVersion": "v1", "kind": "List", "items": clusters}, sys.stdout, indent=2)
        print()
        return 0
    header = ["NAME", "VERSION", "READY", "PHASE", "REPLICAS", "CONDITIONS", "OPERATION"]
    rows = [header] + [_row(raw) for raw in clusters]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0
