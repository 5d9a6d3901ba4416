"""``weavefn restore NAME --backup ID``: check a restore, record it, and take it up now."""

from __future__ import annotations

import argparse
from typing import Any

from weavefn.backend import Access
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.errors import FieldError, InvalidInputError, TerminalError
from weavefn.lifecycle.restore.checks import AskField
from weavefn.model.resource import parse_cluster
from weavefn.service import find_clusters
from weavefn.triggers.model import RestoreRequest

OPTIONS = {
    AskField.BACKEND: "--backend",
    AskField.BACKUP: "--backup",
    AskField.INCLUDE: "--include",
    AskField.EXCLUDE: "--exclude",
    AskField.VERSION: "--version",
    AskField.NODE_MAPPING: "--node-mapping",
}


def configure(name: str, parser: Any) -> None:
    """The arguments of ``restore``."""
    add_target_options(parser)
    parser.add_argument("--backup", required=True, metavar="ID", help="the backup's id")
    parser.add_argument(
        "--backend",
        choices=["s3", "gcs", "azure", "filesystem"],
        help="where the backup is (default: the cluster's backup backend)",
    )
    names = parser.add_mutually_exclusive_group()
    names.add_argument("--include", metavar="C,...", help="restore only these collections")
    names.add_argument("--exclude", metavar="C,...", help="restore all but these collections")
    parser.add_argument(
        "--node-mapping",
        metavar="OLD=NEW,...",
        help="the backup's node names -> this cluster's pods, when they differ",
    )
    parser.add_argument(
        "--version",
        metavar="VERSION",
        help="the Weaviate version the backup was taken on, when its id does not say",
    )
    parser.set_defaults(run=_restore)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


def _mapping(text: str | None) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in _names(text):
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInputError(
                [FieldError("--node-mapping", f"{item!r} is not OLD=NEW")], what="option"
            )
        pairs.append((old.strip(), new.strip()))
    return tuple(pairs)


def _restore(args: argparse.Namespace) -> int:
    if not args.name:
        raise InvalidInputError([FieldError("name", "name the WeaviateCluster")], what="command")
    mapping = _mapping(args.node_mapping)
    from weavefn.lifecycle.restore.request import request_restore

    with open_runtime(args, access=Access.WRITE) as runtime:
        (raw,) = find_clusters(runtime.kube, namespace=args.namespace, name=args.name)
        namespace, name = raw["metadata"]["namespace"], raw["metadata"]["name"]
        request = RestoreRequest(
            cluster=f"{namespace}/{name}",
            backup=args.backup,
            event_id="cli",
            backend=args.backend,
            include=_names(args.include),
            exclude=_names(args.exclude),
            node_mapping=mapping,
            version=args.version,
        )
        service = runtime.service
        if service.weaviate is None:
            raise TerminalError("this cluster setting cannot reach Weaviate")
        print(
            request_restore(
                runtime.kube,
                service.weaviate,
                request,
                now=service.clock(),
                path=lambda part: OPTIONS[part],
            )
        )
        report = service.reconcile(namespace=namespace, name=name)
        cluster = parse_cluster(runtime.kube.get_cluster(namespace, name))
    operation = cluster.status.operation or cluster.status.last_operation
    if operation is not None and operation.kind == "Restore":
        print(f"{operation.kind} {operation.phase}: {operation.message}")
    print("later reconciles track it to the end; weavefn status shows where it stands")
    return 0 if report.ok else 1
