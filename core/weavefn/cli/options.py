"""Options shared by the commands that reach a cluster, and opening the runtime they use."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from weavefn.backend import Access
from weavefn.kube.access import cluster_setting
from weavefn.runtime import Runtime, open_runtime_for


def add_target_options(parser: Any, *, names: bool = True, one: bool = False) -> None:
    """--cluster; with ``names``, -n and NAME (required when the command acts on ``one``)."""
    parser.add_argument(
        "--cluster",
        help="where the Kubernetes API is: kubeconfig:PATH[#CONTEXT], in-cluster, "
        "eks:REGION/NAME, gke:PROJECT/LOCATION/NAME, aks:SUB/RG/NAME or local:PATH "
        "(default: $WEAVEFN_CLUSTER, else the local cluster in .weavefn/cluster.json)",
    )
    if names:
        parser.add_argument(
            "-n", "--namespace", help="namespace (default: all, or the one NAME is in)"
        )
        if one:
            parser.add_argument("name", metavar="NAME", help="the WeaviateCluster")
        else:
            parser.add_argument("name", metavar="NAME", nargs="?", help="one WeaviateCluster")


@contextmanager
def open_runtime(args: argparse.Namespace, *, access: Access) -> Iterator[Runtime]:
    """The runtime on the cluster ``--cluster`` names: READ for commands that only look (the
    local cluster's file is then neither created nor saved), WRITE for those that change it."""
    with open_runtime_for(cluster_setting(args.cluster), access=access) as runtime:
        yield runtime
