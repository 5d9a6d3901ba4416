"""Reaching an AKS cluster: server and CA from the user kubeconfig, an Entra ID bearer token."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import yaml

from weavefn.errors import (
    FieldError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
)
from weavefn.kube.bearer import CachedToken, ClusterEndpoint, Token, bearer_configuration, decode_ca

# The AKS server application every Entra-enabled cluster trusts.
AKS_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default"

Fetch = Callable[[str, str, str], bytes]


def fetch_user_kubeconfig(subscription: str, resource_group: str, name: str) -> bytes:
    """The cluster user kubeconfig (``managedClusters.listClusterUserCredentials``)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
    )
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.containerservice import ContainerServiceClient

    where = f"{subscription}/{resource_group}/{name}"
    client = ContainerServiceClient(DefaultAzureCredential(), subscription)
    try:
        result = client.managed_clusters.list_cluster_user_credentials(resource_group, name)
    except ResourceNotFoundError:
        raise NotFoundError(f"AKS cluster {where} not found") from None
    except ClientAuthenticationError:
        raise TerminalError(f"no Azure credentials to reach AKS cluster {where}") from None
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise TerminalError(
                f"weavefn needs listClusterUserCredential/action on {where}"
            ) from None
        raise UnavailableError(f"AKS credentials for {where}: HTTP {exc.status_code}") from None
    value = result.kubeconfigs[0].value if result.kubeconfigs else None
    if not value:
        raise NotFoundError(f"AKS cluster {where} returned no kubeconfig")
    return bytes(value)


def endpoint_from_kubeconfig(kubeconfig: bytes) -> ClusterEndpoint:
    """Server and CA of the first cluster in a kubeconfig; its users are not used."""
    try:
        document = yaml.safe_load(kubeconfig)
        cluster = document["clusters"][0]["cluster"]
        server = str(cluster["server"])
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        raise InvalidInputError(
            [FieldError("clusters[0].cluster.server", "missing from the AKS kubeconfig")],
            what="AKS kubeconfig",
        ) from None
    ca = cluster.get("certificate-authority-data")
    return ClusterEndpoint(
        host=server,
        ca=decode_ca(ca, what="clusters[0].cluster.certificate-authority-data") if ca else None,
    )


def azure_token_source() -> Callable[[], Token]:
    """DefaultAzureCredential tokens for the AKS server application."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential()

    def fetch() -> Token:
        access = credential.get_token(AKS_SCOPE)
        return Token(access.token, float(access.expires_on))

    return fetch


def aks_configuration(
    subscription: str,
    resource_group: str,
    name: str,
    *,
    fetch: Fetch = fetch_user_kubeconfig,
    token_source: Callable[[], Callable[[], Token]] = azure_token_source,
    clock: Callable[[], float] = time.time,
) -> Any:
    """A client Configuration for an AKS cluster, sending a current Entra token on every request."""
    endpoint = endpoint_from_kubeconfig(fetch(subscription, resource_group, name))
    return bearer_configuration(endpoint, CachedToken(token_source(), clock=clock))
