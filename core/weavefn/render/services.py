"""The headless Service (peer discovery, Raft, per-pod metrics) and the client Service."""

from __future__ import annotations

from typing import Any

from weavefn.model.pods import ServiceType
from weavefn.model.resource import WeaviateCluster
from weavefn.render.env import DATA_PORT, GOSSIP_PORT
from weavefn.render.labels import (
    Component,
    client_service_name,
    common_labels,
    headless_service_name,
    object_meta,
    selector_labels,
)

HTTP_PORT = 8080
GRPC_PORT = 50051
METRICS_PORT = 2112
RAFT_PORT = 8300
RAFT_RPC_PORT = 8301


def _port(
    name: str, port: int, protocol: str = "TCP", *, app_protocol: str | None = None
) -> dict[str, Any]:
    found = {"name": name, "port": port, "targetPort": port, "protocol": protocol}
    if app_protocol:
        found["appProtocol"] = app_protocol
    return found


# Port names carry their protocol (Istio's <protocol>[-<suffix>] convention), so a mesh routes
# each as what it is instead of sniffing the first bytes. memberlist gossips over TCP and UDP on
# one port; the data port multiplexes HTTP/1.1 and h2c gRPC, so it stays plain TCP; Raft's
# transport is msgpack over TCP, its internal RPC gRPC.
PEER_PORTS = (
    _port("tcp-gossip", GOSSIP_PORT),
    _port("udp-gossip", GOSSIP_PORT, "UDP"),
    _port("tcp-data", DATA_PORT),
    _port("tcp-raft", RAFT_PORT),
    _port("grpc-raft-rpc", RAFT_RPC_PORT),
    _port("http-metrics", METRICS_PORT),
)
# Names kept as they were (ServiceMonitors select them); appProtocol tells the mesh instead.
METRICS_CLIENT_PORT = _port("metrics", METRICS_PORT, app_protocol="http")
CLIENT_PORTS = (
    _port("http", HTTP_PORT, app_protocol="http"),
    _port("grpc", GRPC_PORT, app_protocol="grpc"),
)


def headless_service(cluster: WeaviateCluster) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(
            cluster,
            headless_service_name(cluster),
            common_labels(cluster, Component.DATABASE),
        ),
        "spec": {
            "clusterIP": "None",
            # Peers must find each other before any is ready: Raft bootstrap needs all voters.
            "publishNotReadyAddresses": True,
            "selector": selector_labels(cluster),
            "ports": [dict(p) for p in PEER_PORTS],
        },
    }


def client_service(cluster: WeaviateCluster) -> dict[str, Any]:
    """HTTP and gRPC for clients, of the type spec.service asks (an internal load balancer by
    its annotations). Metrics stay off a load balancer or node port: scrape the pods, or the
    headless Service's http-metrics port."""
    wanted = cluster.spec.service
    ports = [dict(p) for p in CLIENT_PORTS]
    if wanted.type is ServiceType.CLUSTER_IP:
        ports.append(dict(METRICS_CLIENT_PORT))
    spec: dict[str, Any] = {
        "type": str(wanted.type),
        "selector": selector_labels(cluster),
        "ports": ports,
    }
    if wanted.load_balancer_source_ranges and wanted.type is ServiceType.LOAD_BALANCER:
        spec["loadBalancerSourceRanges"] = list(wanted.load_balancer_source_ranges)
    meta = object_meta(
        cluster,
        client_service_name(cluster),
        common_labels(cluster, Component.DATABASE),
        annotations=dict(wanted.annotations),
    )
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}
