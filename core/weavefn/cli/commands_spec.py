"""Commands that work on a manifest alone: validate, render, crd."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from weavefn.cli.io import add_file_option, all_valid, dump, load_clusters, load_manifests


def configure(name: str, parser: Any) -> None:
    """The arguments of ``validate``, ``render`` or ``crd``."""
    if name in ("validate", "render"):
        add_file_option(parser)
    if name in ("render", "crd"):
        parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    parser.set_defaults(run={"validate": _validate, "render": _render, "crd": _crd}[name])


def _validate(args: argparse.Namespace) -> int:
    """Each document on its own: the valid ones confirmed on standard output (with their
    warnings on standard error), every problem of the others on standard error, exit 2."""
    from weavefn.lifecycle.admission_rules import spec_warnings

    parsed = load_manifests(args.file)
    for document in parsed:
        if document.value is None:
            continue
        print(f"{document.label}: WeaviateCluster {document.value.key} is valid")
        for warning in spec_warnings(document.value, old=None):
            print(f"{document.label}: warning: {warning}", file=sys.stderr)
    sys.stdout.flush()  # the confirmations first, when both streams go to one terminal
    all_valid(parsed, what="manifest")
    return 0


def _render(args: argparse.Namespace) -> int:
    from weavefn.render import default_voters, render_all

    objects = []
    for cluster in load_clusters(args.file):
        # A file has no status yet: the voters are what creation would fix.
        voters = default_voters(cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters)
        objects += render_all(cluster, voters=voters)
    sys.stdout.write(dump(objects, args.output))
    return 0


def _crd(args: argparse.Namespace) -> int:
    from weavefn.crd import build_crd

    sys.stdout.write(dump([build_crd()], args.output))
    return 0
