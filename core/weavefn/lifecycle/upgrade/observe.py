"""What an upgrade observes before it decides: its pods (ordinal, readiness, version, why a
container waits) and Weaviate's health."""

from __future__ import annotations

import logging

from weavefn.errors import TerminalError, UnavailableError
from weavefn.lifecycle.upgrade.rollout import Health, NodeHealth
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.pods import PodView
from weavefn.reconcile.pods import pod_views as views_of
from weavefn.weaviate.port import NodeStatus, WeaviateHealth

log = logging.getLogger("weavefn")


def pod_views(ctx: ClusterContext) -> list[PodView]:
    return views_of(ctx.live.pods, ctx.cluster.metadata.name)


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


def node_statuses(health: Health | None) -> dict[str, NodeStatus] | None:
    """What /v1/nodes said of each node, for the UNHEALTHY streaks; None: no answer."""
    if health is None:
        return None
    return {name: node.status for name, node in health.nodes.items()}
