"""A fake Weaviate per pod of a real cluster: one FakeWeaviate on each pod's IP at port 8080.

One EmbeddedWeaviate stands for the whole Weaviate cluster; each server answers as its own node.
Membership follows the pods as the kubelet reports them (name = node, version from the image
tag, ready from the Ready condition), so weavefn, reaching Weaviate through the API server's
service proxy, sees nodes restart and change version as pods roll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.connector import node_views

from tests.support.fake_weaviate import FakeWeaviate

HTTP_PORT = 8080


@dataclass
class WeaviatePods:
    """Serves ``sim`` on the IPs of the pods of one StatefulSet."""

    sim: EmbeddedWeaviate
    statefulset: str
    servers: dict[str, FakeWeaviate] = field(default_factory=dict)

    def sync(self, pods: list[dict[str, Any]]) -> None:
        mine = [
            p
            for p in pods
            if p["metadata"]["name"].rpartition("-")[0] == self.statefulset
            and not p["metadata"].get("deletionTimestamp")
        ]
        self.sim.sync_nodes(node_views(mine))
        wanted = {
            p["metadata"]["name"]: ip for p in mine if (ip := (p.get("status") or {}).get("podIP"))
        }
        for name in [n for n in self.servers if n not in wanted]:
            self.servers.pop(name).stop()
        for name, ip in wanted.items():
            if name not in self.servers:
                self.servers[name] = FakeWeaviate(
                    self.sim, node=name, host=ip, port=HTTP_PORT
                ).start()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()
