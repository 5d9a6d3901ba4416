"""The headless Service (peer discovery, Raft) and the client Service (HTTP, gRPC, metrics)."""

from __future__ import annotations

from typing import Any

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


def _port(name: str, port: int, protocol: str = "TCP") -> dict[str, Any]:
    return {"name": name, "port": port, "targetPort": port, "protocol": protocol}


# memberlist gossips over both TCP and UDP on the same port.
PEER_PORTS = (
    _port("gossip", GOSSIP_PORT),
    _port("gossip-udp", GOSSIP_PORT, "UDP"),
    _port("data", DATA_PORT),
    _port("raft", RAFT_PORT),
    _port("raft-rpc", RAFT_RPC_PORT),
)
CLIENT_PORTS = (
    _port("http", HTTP_PORT),
    _port("grpc", GRPC_PORT),
    _port("metrics", METRICS_PORT),
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
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(
            cluster, client_service_name(cluster), common_labels(cluster, Component.DATABASE)
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(cluster),
            "ports": [dict(p) for p in CLIENT_PORTS],
        },
    }
