"""Commands that work on a manifest alone: validate, render, crd."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from weavefn.cli.io import load_cluster_file


def register(commands: Any) -> None:
    validate = commands.add_parser("validate", help="check a WeaviateCluster manifest")
    validate.add_argument("-f", "--file", required=True)
    validate.set_defaults(run=_validate)


def _validate(args: argparse.Namespace) -> int:
    cluster = load_cluster_file(args.file)
    print(f"{args.file}: WeaviateCluster {cluster.key} is valid", file=sys.stderr)
    return 0
