"""Commands that work on a manifest alone: validate, render, crd."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from weavefn.cli.io import dump, load_cluster_file


def register(commands: Any) -> None:
    validate = commands.add_parser("validate", help="check a WeaviateCluster manifest")
    validate.add_argument("-f", "--file", required=True)
    validate.set_defaults(run=_validate)

    render = commands.add_parser(
        "render", help="print the Kubernetes objects a WeaviateCluster manifest becomes"
    )
    render.add_argument("-f", "--file", required=True)
    render.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    render.set_defaults(run=_render)

    crd = commands.add_parser("crd", help="print the WeaviateCluster CustomResourceDefinition")
    crd.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    crd.set_defaults(run=_crd)


def _validate(args: argparse.Namespace) -> int:
    from weavefn.lifecycle.admission_rules import spec_warnings

    cluster = load_cluster_file(args.file)
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
