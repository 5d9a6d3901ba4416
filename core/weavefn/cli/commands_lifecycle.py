"""Commands that ask for lifecycle operations: upgrade to a version, take a backup now."""

from __future__ import annotations

import argparse
from typing import Any

from weavefn.backend import Access
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.lifecycle.backup import request_backup
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.model.resource import parse_cluster
from weavefn.runtime import Runtime
from weavefn.service import find_clusters
from weavefn.triggers.model import UpgradeRequest


def configure(name: str, parser: Any) -> None:
    """The arguments of ``upgrade`` or ``backup``."""
    add_target_options(parser, one=True)
    if name == "upgrade":
        parser.add_argument("--to", required=True, metavar="VERSION", help="e.g. 1.27.3")
    parser.set_defaults(run={"upgrade": _upgrade, "backup": _backup}[name])


def _one(runtime: Runtime, args: argparse.Namespace) -> tuple[str, str]:
    (raw,) = find_clusters(runtime.kube, namespace=args.namespace, name=args.name)
    return raw["metadata"]["namespace"], raw["metadata"]["name"]


def _progress(runtime: Runtime, namespace: str, name: str) -> str:
    cluster = parse_cluster(runtime.kube.get_cluster(namespace, name))
    operation = cluster.status.operation or cluster.status.last_operation
    if operation is None:
        return f"{cluster.status.phase}"
    return f"{operation.kind} {operation.phase}: {operation.message}"


def _upgrade(args: argparse.Namespace) -> int:
    with open_runtime(args, access=Access.WRITE) as runtime:
        namespace, name = _one(runtime, args)
        request = UpgradeRequest(cluster=f"{namespace}/{name}", version=args.to, event_id="cli")
        print(start_upgrade(runtime.kube, request))
        report = runtime.service.reconcile(namespace=namespace, name=name)
        print(_progress(runtime, namespace, name))
    return 0 if report.ok else 1


def _backup(args: argparse.Namespace) -> int:
    with open_runtime(args, access=Access.WRITE) as runtime:
        namespace, name = _one(runtime, args)
        backup_id = request_backup(
            runtime.kube, namespace=namespace, name=name, now=runtime.service.clock()
        )
        report = runtime.service.reconcile(namespace=namespace, name=name)
        cluster = parse_cluster(runtime.kube.get_cluster(namespace, name))
        record = next((r for r in cluster.status.backups if r.id == backup_id), None)
        state = record.status if record else "pruned"
        print(f"backup {backup_id} {state} (later reconciles track it to the end)")
    return 0 if report.ok else 1
