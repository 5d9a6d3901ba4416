"""Bearer-token access to managed clusters (EKS, GKE, AKS): endpoint, cached token, client config.

Each cloud's module (eks, gke, aks) finds its cluster's endpoint and token source; this module
turns them into a ``kubernetes.client.Configuration`` that sends a fresh token on every request.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from weavefn.errors import FieldError, InvalidInputError


@dataclass(frozen=True)
class ClusterEndpoint:
    """Where a managed cluster's API server listens and the CA that signs its certificate."""

    host: str
    ca: str | bytes | None
    """PEM text, DER bytes, or None to use the system trust store."""


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float
    """Seconds since the epoch."""


class CachedToken:
    """A bearer token fetched once and re-fetched ``margin`` seconds before it expires."""

    def __init__(
        self,
        fetch: Callable[[], Token],
        *,
        clock: Callable[[], float] = time.time,
        margin: float = 60.0,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = margin
        self._token: Token | None = None

    def __call__(self) -> str:
        if self._token is None or self._clock() >= self._token.expires_at - self._margin:
            self._token = self._fetch()
        return self._token.value


def bearer_configuration(endpoint: ClusterEndpoint, token: Callable[[], str]) -> Any:
    """A client Configuration that sends ``token()``'s current value on every request."""
    from kubernetes.client import Configuration

    cfg: Any = Configuration(host=endpoint.host.rstrip("/"))
    cfg.api_key_prefix["BearerToken"] = "Bearer"
    cfg.api_key["BearerToken"] = ""

    def refresh(target: Any) -> None:
        # Called by the client before each request; the cache makes it cheap.
        target.api_key["BearerToken"] = token()

    cfg.refresh_api_key_hook = refresh
    cfg.ca_cert_data = endpoint.ca
    return cfg


def decode_ca(data: str, *, what: str) -> str | bytes:
    """Base64 CA data as clouds return it: PEM text when it is PEM, DER bytes otherwise."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError([FieldError(what, "CA data is not base64")]) from None
    return raw.decode("ascii") if raw.lstrip().startswith(b"-----BEGIN") else raw
