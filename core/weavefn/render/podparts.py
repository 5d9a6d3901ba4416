"""Pod-template parts beside the Weaviate container: placement over nodes and zones, the
max_map_count init container, and the scrape annotations."""

from __future__ import annotations

import copy
from typing import Any

from weavefn.model.pods import MaxMapCountSource
from weavefn.model.resource import WeaviateCluster
from weavefn.render.labels import selector_labels
from weavefn.render.services import METRICS_PORT

HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"
SYSCTL_CONTAINER = "sysctl-max-map-count"
SCRAPE_ANNOTATIONS = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": str(METRICS_PORT),
    "prometheus.io/path": "/metrics",
}
"""For Prometheus' pod discovery. With Istio's metrics merging (on by default) the injector
points them at the sidecar's merged endpoint instead; spec.podAnnotations can turn them off."""


def affinity(cluster: WeaviateCluster) -> dict[str, Any]:
    """Spread pods over nodes (preferred), keeping whatever affinity the spec adds."""
    found = copy.deepcopy(cluster.spec.affinity or {})
    anti = found.setdefault("podAntiAffinity", {})
    preferred = anti.setdefault("preferredDuringSchedulingIgnoredDuringExecution", [])
    if not any(
        term.get("podAffinityTerm", {}).get("topologyKey") == HOSTNAME_TOPOLOGY
        for term in preferred
    ):
        preferred.append(
            {
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": HOSTNAME_TOPOLOGY,
                    "labelSelector": {"matchLabels": selector_labels(cluster)},
                },
            }
        )
    return found


def spread(cluster: WeaviateCluster) -> list[dict[str, Any]]:
    """Pods over zones once a shard has more than one replica: one zone's outage must not take
    every replica of a shard. Soft by default (spec.zoneSpread)."""
    if not cluster.spec.zone_spread_on:
        return []
    zones = cluster.spec.zone_spread
    return [
        {
            "maxSkew": zones.max_skew,
            "topologyKey": zones.topology_key,
            "whenUnsatisfiable": zones.when_unsatisfiable,
            "labelSelector": {"matchLabels": selector_labels(cluster)},
        }
    ]


def sysctl_containers(cluster: WeaviateCluster) -> list[dict[str, Any]]:
    """Raise the node's vm.max_map_count before Weaviate maps its segments; never lower it.

    The sysctl is not namespaced (a pod's securityContext.sysctls cannot set it), so only a
    privileged container can write it: opt-in, spec.vmMaxMapCount.setBy InitContainer.
    """
    tuning = cluster.spec.vm_max_map_count
    if tuning.set_by is not MaxMapCountSource.INIT_CONTAINER:
        return []
    wanted = tuning.value
    script = (
        f'[ "$(sysctl -n vm.max_map_count)" -ge {wanted} ] || sysctl -w vm.max_map_count={wanted}'
    )
    small = {"cpu": "10m", "memory": "16Mi"}
    return [
        {
            "name": SYSCTL_CONTAINER,
            "image": tuning.image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["sh", "-c", script],
            "securityContext": {"privileged": True, "runAsUser": 0, "runAsNonRoot": False},
            "resources": {"requests": small, "limits": {"cpu": "100m", "memory": "32Mi"}},
        }
    ]
