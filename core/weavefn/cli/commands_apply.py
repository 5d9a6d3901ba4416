"""``weavefn apply -f FILE``: create or update WeaviateClusters, all of a file or none.

Every document is checked before anything is written: the model (as ``validate``), then the
admission webhook's own rules against the live object (a cross-minor downgrade, a skipped
minor, a shrinking volume, a new storage class or voter count, an upgrade whose backup cannot
be written). One refusal and nothing is applied; the exit code is 2 and each problem is named
with its document and field. kubectl stops a file the same way when a document does not
decode; weavefn holds every document to that, so a file is never half applied. The admission
warnings are printed as kubectl prints the webhook's.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from weavefn.backend import Access
from weavefn.cli.io import add_file_option, all_valid, parse_documents
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.errors import FieldError, InvalidInputError, NotFoundError
from weavefn.kube.port import ClusterStore, Obj
from weavefn.lifecycle.admission import check_change
from weavefn.model.resource import WeaviateCluster, parse_cluster


def configure(name: str, parser: Any) -> None:
    """The arguments of ``apply``."""
    add_file_option(parser)
    add_target_options(parser, names=False)
    parser.set_defaults(run=_apply)


@dataclass(frozen=True)
class Checked:
    label: str
    cluster: WeaviateCluster
    live: Obj | None
    warnings: tuple[str, ...]
    errors: tuple[FieldError, ...]


def _live(kube: ClusterStore, cluster: WeaviateCluster) -> Obj | None:
    try:
        return kube.get_cluster(cluster.metadata.namespace, cluster.metadata.name)
    except NotFoundError:
        return None


def check_all(kube: ClusterStore, documents: list[tuple[str, WeaviateCluster]]) -> list[Checked]:
    """Each document against the object it would create or change; reads only."""
    checked = []
    for label, cluster in documents:
        live = _live(kube, cluster)
        result = check_change(cluster.to_dict(), old=live)
        errors = tuple(FieldError(f"{label}: {e.path}", e.message) for e in result.errors)
        checked.append(Checked(label, cluster, live, result.warnings, errors))
    return checked


def _verb(live: Obj | None, written: Obj) -> str:
    if live is None:
        return "created"
    same = live["metadata"].get("resourceVersion") == written["metadata"].get("resourceVersion")
    return "unchanged" if same else "configured"


def _apply(args: argparse.Namespace) -> int:
    parsed = parse_documents(args.file, lambda raw: parse_cluster(raw, with_status=False))
    nothing = "nothing was applied"
    if len(parsed) > 1:
        nothing += f": one refused document stops all {len(parsed)} of the file"
    clusters = all_valid(parsed, what="manifest", hint=nothing)
    with open_runtime(args, access=Access.WRITE) as runtime:
        kube = runtime.kube
        checked = check_all(kube, [(p.label, c) for p, c in zip(parsed, clusters, strict=True)])
        for item in checked:
            for warning in item.warnings:
                print(f"Warning: {item.label}: {warning}", file=sys.stderr)
        refused = [e for item in checked for e in item.errors]
        if refused:
            raise InvalidInputError(
                refused,
                what="change",
                hint=f"{nothing} (the admission webhook refuses the same change)",
            )
        for item in checked:
            written = kube.apply_cluster(item.cluster.to_dict())
            meta = written["metadata"]
            print(
                f"weaviatecluster {meta['namespace']}/{meta['name']} {_verb(item.live, written)} "
                f"(generation {meta.get('generation')})"
            )
    return 0
