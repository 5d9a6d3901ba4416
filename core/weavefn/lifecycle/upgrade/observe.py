"""What an upgrade observes before it decides: its pods (ordinal, readiness, version) and health."""

from __future__ import annotations

import logging

from weavefn.errors import TerminalError, UnavailableError
from weavefn.lifecycle.upgrade.rollout import Health, NodeHealth, PodView
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.summary import pod_ready, pod_version
from weavefn.weaviate.port import WeaviateHealth

log = logging.getLogger("weavefn")
REVISION_LABEL = "controller-revision-hash"
"""The StatefulSet controller's label: which revision of the template made the pod."""


def pod_views(ctx: ClusterContext) -> list[PodView]:
    prefix = ctx.cluster.metadata.name + "-"
    views = []
    for pod in ctx.live.pods:
        suffix = pod["metadata"]["name"].removeprefix(prefix)
        if suffix.isdigit():
            labels = pod["metadata"].get("labels") or {}
            views.append(
                PodView(
                    int(suffix),
                    pod["metadata"]["name"],
                    pod_ready(pod),
                    pod_version(pod),
                    labels.get(REVISION_LABEL),
                )
            )
    return sorted(views, key=lambda p: p.ordinal)


def read_health(api: WeaviateHealth) -> Health | None:
    """Membership and Raft agreement; None when Weaviate cannot be asked right now."""
    try:
        nodes = api.nodes()
        stats = api.cluster_statistics()
    except (UnavailableError, TerminalError) as exc:
        log.info("Weaviate health unknown", extra={"error": str(exc)})
        return None
    return Health(
        {n.name: NodeHealth(n.status, n.version) for n in nodes}, synchronized=stats.synchronized
    )
