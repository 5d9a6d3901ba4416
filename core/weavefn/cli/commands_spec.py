"""Commands that work on a manifest alone: validate, render, crd."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from weavefn.cli.io import dump, load_cluster_file, load_manifest_file


def configure(name: str, parser: Any) -> None:
    """The arguments of ``validate``, ``render`` or ``crd``."""
    if name in ("validate", "render"):
        parser.add_argument("-f", "--file", required=True)
    if name in ("render", "crd"):
        parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    parser.set_defaults(run={"validate": _validate, "render": _render, "crd": _crd}[name])


def _validate(args: argparse.Namespace) -> int:
    from weavefn.lifecycle.admission_rules import spec_warnings

    cluster = load_manifest_file(args.file)
    if cluster.spec.restore_from is not None:
        from weavefn.errors import InvalidInputError
        from weavefn.lifecycle.restore.rules import restore_from_errors

        errors = restore_from_errors(cluster)
        if errors:
            raise InvalidInputError(errors, what="WeaviateCluster")
    print(f"{args.file}: WeaviateCluster {cluster.key} is valid", file=sys.stderr)
    for warning in spec_warnings(cluster, old=None):
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    return 0


def _render(args: argparse.Namespace) -> int:
    from weavefn.render import default_voters, render_all

    cluster = load_cluster_file(args.file)
    # A file has no status yet: the voters are what creation would fix.
    voters = default_voters(cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters)
    sys.stdout.write(dump(render_all(cluster, voters=voters), args.output))
    return 0


def _crd(args: argparse.Namespace) -> int:
    from weavefn.crd import build_crd

    sys.stdout.write(dump([build_crd()], args.output))
    return 0
