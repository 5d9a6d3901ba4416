"""Service mesh integration: Istio PeerAuthentication/DestinationRules or Linkerd injection.

Either way Prometheus may run outside the mesh: under Istio STRICT the metrics port keeps a
port-level PERMISSIVE exception, under Linkerd it bypasses the proxy.
"""

from __future__ import annotations

from typing import Any

from weavefn.model.resource import WeaviateCluster
from weavefn.render.labels import (
    Component,
    client_service_name,
    common_labels,
    headless_service_name,
    object_meta,
    selector_labels,
)
from weavefn.render.services import METRICS_PORT

ISTIO_SECURITY = "security.istio.io/v1"
ISTIO_NETWORKING = "networking.istio.io/v1"


def pod_annotations(cluster: WeaviateCluster) -> dict[str, str]:
    mesh = cluster.spec.service_mesh
    if not mesh.enabled:
        return {}
    if mesh.type == "linkerd":
        # A scrape from outside the mesh must work whatever the default inbound policy.
        return {
            "linkerd.io/inject": "enabled",
            "config.linkerd.io/skip-inbound-ports": str(METRICS_PORT),
        }
    # Weaviate dials its peers as soon as it starts; without the proxy up, the joins fail.
    return {"proxy.istio.io/config": '{"holdApplicationUntilProxyStarts": true}'}


def pod_labels(cluster: WeaviateCluster) -> dict[str, str]:
    mesh = cluster.spec.service_mesh
    return {"sidecar.istio.io/inject": "true"} if mesh.enabled and mesh.type == "istio" else {}


def _destination_rule(cluster: WeaviateCluster, service: str) -> dict[str, Any]:
    host = f"{service}.{cluster.metadata.namespace}.svc.cluster.local"
    return {
        "apiVersion": ISTIO_NETWORKING,
        "kind": "DestinationRule",
        "metadata": object_meta(cluster, service, common_labels(cluster, Component.MESH)),
        "spec": {"host": host, "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}},
    }


def mesh_objects(cluster: WeaviateCluster) -> list[dict[str, Any]]:
    mesh = cluster.spec.service_mesh
    if not mesh.enabled or mesh.type != "istio":
        return []
    policy: dict[str, Any] = {
        "selector": {"matchLabels": selector_labels(cluster)},
        "mtls": {"mode": "STRICT" if mesh.mtls else "PERMISSIVE"},
    }
    if mesh.mtls:
        # A Prometheus outside the mesh scrapes in plain text; everything else stays STRICT.
        policy["portLevelMtls"] = {str(METRICS_PORT): {"mode": "PERMISSIVE"}}
    peer_authentication = {
        "apiVersion": ISTIO_SECURITY,
        "kind": "PeerAuthentication",
        "metadata": object_meta(
            cluster, cluster.metadata.name, common_labels(cluster, Component.MESH)
        ),
        "spec": policy,
    }
    if not mesh.mtls:
        return [peer_authentication]
    return [
        peer_authentication,
        _destination_rule(cluster, client_service_name(cluster)),
        _destination_rule(cluster, headless_service_name(cluster)),
    ]
