"""The HTTP request a webhook function received, in the one form the router reads.

Adapters build it from their platform's request object; a request written down as JSON (an
API Gateway event, or ``{method, url, headers, body}``) is read by http_payloads.read_http.
Its raw body bytes stay intact for signature checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    """Header names lower-cased."""
    body: bytes
    request_id: str = ""
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())
