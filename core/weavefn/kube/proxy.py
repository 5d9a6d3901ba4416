"""The service-proxy port: reaching a Service through the API server (``services/<svc>/proxy``).

RealKube implements it; the Weaviate connector uses it when a cluster names no endpoint of
its own, since a function outside the cluster network already holds the API server's
credentials.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ProxyAccess:
    """What a request through the API server's service proxy needs; ``headers`` hold secrets."""

    base_url: str
    headers: dict[str, str] = field(repr=False, default_factory=dict)
    ssl_context: ssl.SSLContext | None = field(repr=False, default=None)


class ServiceProxy(Protocol):
    """Hands out the service-proxy address of a Service, with credentials and TLS settings."""

    def service_proxy(self, namespace: str, service: str, port: int) -> ProxyAccess: ...
