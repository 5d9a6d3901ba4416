"""``weavefn top``: the decision metrics of every cluster, refreshed until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from typing import Any

from weavefn.backend import Access
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.observe.top import render, row_for
from weavefn.service import find_clusters

CLEAR = "\x1b[H\x1b[2J"


def configure(name: str, parser: Any) -> None:
    """The arguments of ``top``."""
    add_target_options(parser)
    add_watch_options(parser)
    parser.set_defaults(run=run_top)


def add_watch_options(parser: Any) -> None:
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes")
    parser.add_argument(
        "--iterations", type=int, default=0, help="stop after this many screens (0: until Ctrl-C)"
    )


def screen(args: argparse.Namespace) -> list[str]:
    """One refresh: re-read the clusters (and, for the local cluster, its saved state)."""
    now = datetime.now(UTC)
    with open_runtime(args, access=Access.READ) as runtime:
        clusters = find_clusters(runtime.kube, namespace=args.namespace, name=args.name)
        rows = [
            row_for(raw, kube=runtime.kube, registry=runtime.service.metrics, now=now)
            for raw in clusters
        ]
    return render(rows, now=now)


def run_top(args: argparse.Namespace) -> int:
    if args.interval < 0 or args.iterations < 0:
        print("weavefn: --interval and --iterations must not be negative", file=sys.stderr)
        return 2
    terminal = sys.stdout.isatty()
    shown = 0
    try:
        while True:
            lines = screen(args)
            sys.stdout.write((CLEAR if terminal else "") + "\n".join(lines) + "\n")
            sys.stdout.flush()
            shown += 1
            if args.iterations and shown >= args.iterations:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        print()  # leave the prompt on a line of its own
        return 0
