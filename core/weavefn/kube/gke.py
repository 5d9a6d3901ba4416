"""Reaching a GKE cluster: endpoint and CA from the Container API, a default-credentials token."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from weavefn.errors import NotFoundError, TerminalError, UnavailableError
from weavefn.kube.bearer import CachedToken, ClusterEndpoint, Token, bearer_configuration, decode_ca

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# Google access tokens live an hour; without a stated expiry assume a short life.
_UNKNOWN_EXPIRY = 300.0

Fetch = Callable[[str, str, str], ClusterEndpoint]


def cluster_name(project: str, location: str, name: str) -> str:
    """The Container API resource name of a cluster (zonal or regional location)."""
    return f"projects/{project}/locations/{location}/clusters/{name}"


def fetch_cluster(project: str, location: str, name: str) -> ClusterEndpoint:
    """Endpoint and CA of a GKE cluster (``ClusterManagerClient.get_cluster``)."""
    from google.api_core import exceptions
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import container_v1

    full = cluster_name(project, location, name)
    try:
        cluster = container_v1.ClusterManagerClient().get_cluster(name=full)
    except exceptions.NotFound:
        raise NotFoundError(f"GKE cluster {full} not found") from None
    except (exceptions.PermissionDenied, exceptions.Unauthenticated):
        raise TerminalError(f"weavefn needs container.clusters.get on {full}") from None
    except DefaultCredentialsError:
        raise TerminalError("no Google default credentials to reach the GKE cluster") from None
    except exceptions.GoogleAPICallError as exc:
        raise UnavailableError(f"get_cluster {full}: {type(exc).__name__}") from None
    ca = cluster.master_auth.cluster_ca_certificate
    return ClusterEndpoint(
        host=f"https://{cluster.endpoint}",
        ca=decode_ca(ca, what="masterAuth.clusterCaCertificate") if ca else None,
    )


def google_token_source() -> Callable[[], Token]:
    """Default credentials with the cloud-platform scope; each call refreshes the access token."""
    import google.auth
    from google.auth.transport.requests import Request

    credentials: Any = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])[0]

    def fetch() -> Token:
        if not credentials.valid:
            credentials.refresh(Request())
        expiry = credentials.expiry
        # google-auth reports expiry as a naive UTC datetime.
        expires_at = (
            expiry.replace(tzinfo=UTC).timestamp() if expiry else time.time() + _UNKNOWN_EXPIRY
        )
        return Token(str(credentials.token), expires_at)

    return fetch


def gke_configuration(
    project: str,
    location: str,
    name: str,
    *,
    fetch: Fetch = fetch_cluster,
    token_source: Callable[[], Callable[[], Token]] = google_token_source,
    clock: Callable[[], float] = time.time,
) -> Any:
    """A client Configuration for a GKE cluster, sending a current access token on every request."""
    token = CachedToken(token_source(), clock=clock)
    return bearer_configuration(fetch(project, location, name), token)
