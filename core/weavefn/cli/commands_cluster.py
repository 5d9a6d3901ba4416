"""Commands that run the service on clusters: reconcile, and plan (what a pass would do)."""

from __future__ import annotations

import argparse
from typing import Any

from weavefn.backend import Access
from weavefn.cli.options import add_target_options, open_runtime

_MARKS = frozenset("+~-=*!")
"""How plan lines that change, start, wait or refuse begin; without one, nothing would."""


def configure(name: str, parser: Any) -> None:
    """The arguments of ``reconcile`` or ``plan``."""
    add_target_options(parser)
    parser.set_defaults(run={"reconcile": _reconcile, "plan": _plan}[name])


def _reconcile(args: argparse.Namespace) -> int:
    with open_runtime(args, access=Access.WRITE) as runtime:
        report = runtime.service.reconcile(namespace=args.namespace, name=args.name)
    for key, result in sorted(report.clusters.items()):
        print(f"{key}: {result.phase}" + (f" ({result.error})" if result.error else ""))
        for action in result.actions or ("no change",):
            print(f"  {action}")
        if result.why_unscaled():
            print(f"  autoscaling: {result.why_unscaled()}")
        for condition in result.blocked:  # what still holds the cluster back, as status shows
            print(f"  blocked: {condition}")
    for key in report.skipped:
        print(f"{key}: skipped (deadline reached; the next run continues)")
    if not report.clusters and not report.skipped:
        print("no WeaviateCluster found")
    return 0 if report.ok else 1


def _plan(args: argparse.Namespace) -> int:
    with open_runtime(args, access=Access.READ) as runtime:
        plans = runtime.service.plan(namespace=args.namespace, name=args.name)
    for key, lines in sorted(plans.items()):
        print(f"{key}:")
        for line in lines:
            print(f"  {line}")
        if not any(line[:1] in _MARKS for line in lines):
            print("  no change")
    if not plans:
        print("no WeaviateCluster found")
    return 0
