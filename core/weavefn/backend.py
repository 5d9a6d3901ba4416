"""What a runtime runs on: one Kubernetes API, the way to each cluster's Weaviate, metric sources.

Two kinds exist: the real one (``weavefn.runtime.open_real_backend``: an API server, the HTTP
Weaviate client, cloud and cluster monitoring) and the local one (``weavefn.local.backend``:
every part simulated). The service sees only these ports, never which kind it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weavefn.autoscale.metrics.port import Registry
    from weavefn.kube.port import KubeApi
    from weavefn.weaviate.connect import WeaviateConnector


class Access(StrEnum):
    """What a command may do to where the clusters live."""

    READ = "read"
    """Look only (status, plan, top). The local cluster's file must exist and is neither
    created, locked nor saved; a real API server is only read by the commands that ask this."""
    WRITE = "write"
    """Change things (apply, reconcile, upgrade, ...): the local cluster's file is created
    when missing and saved after a command that succeeds."""


@dataclass(frozen=True)
class Backend:
    kube: KubeApi
    weaviate: WeaviateConnector
    metrics: Registry
