"""How a function reaches one cluster's Weaviate: the connector port and the real connector.

Default route: the Kubernetes API server's service proxy to the client Service
(``<apiserver>/api/v1/namespaces/<ns>/services/<svc>:8080/proxy``). A function outside the
cluster network already holds credentials for the API server, so nothing else needs exposing.
An explicit endpoint (annotation ``weaviate.io/endpoint``) wins, e.g. an internal load balancer.
The proxy consumes the Authorization header, so a Weaviate API key (``spec.auth.apiKey``) can
only be sent to an explicit endpoint; a cluster with a key and no endpoint is refused clearly.
"""

from __future__ import annotations

import base64
import binascii
from typing import Protocol

from weavefn.errors import FieldError, InvalidInputError, NotFoundError, TerminalError
from weavefn.kube.port import Obj, ObjectApi, ObjectRef
from weavefn.kube.proxy import ServiceProxy
from weavefn.model.resource import WeaviateCluster
from weavefn.render.labels import client_service_name
from weavefn.render.services import HTTP_PORT
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.weaviate.port import WeaviateApi

ENDPOINT_ANNOTATION = "weaviate.io/endpoint"
DEFAULT_TIMEOUT = 5.0


class WeaviateConnector(Protocol):
    """Gives the WeaviateApi of one cluster, given the pods this pass observed."""

    def for_cluster(self, cluster: WeaviateCluster, live_pods: list[Obj]) -> WeaviateApi: ...


def endpoint_of(cluster: WeaviateCluster) -> str | None:
    """The explicit Weaviate endpoint from the annotation, validated as an http(s) URL."""
    value = cluster.metadata.annotations.get(ENDPOINT_ANNOTATION, "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise InvalidInputError(
            [
                FieldError(
                    f"metadata.annotations[{ENDPOINT_ANNOTATION}]",
                    f"{value!r} must be an http:// or https:// URL",
                )
            ],
            what="WeaviateCluster",
        )
    return value.rstrip("/")


def read_api_key(kube: ObjectApi, cluster: WeaviateCluster) -> str | None:
    """The Weaviate API key from the Secret spec.auth.apiKey names; never logged or echoed."""
    auth = cluster.spec.auth
    if auth is None or auth.api_key is None:
        return None
    selector = auth.api_key.secret_key_ref
    path = "spec.auth.apiKey.secretKeyRef"
    secret = kube.get(ObjectRef("v1", "Secret", cluster.metadata.namespace, selector.name))
    if secret is None:
        raise NotFoundError(
            f"{path}: Secret {cluster.metadata.namespace}/{selector.name} not found"
        )
    encoded = (secret.get("data") or {}).get(selector.key)
    if encoded is None:
        plain = (secret.get("stringData") or {}).get(selector.key)
        if isinstance(plain, str) and plain:
            return plain
        raise InvalidInputError(
            [FieldError(path, f"Secret {selector.name} has no key {selector.key!r}")],
            what="WeaviateCluster",
        )
    try:
        # Weaviate accepts a comma-separated list of keys; any one of them authenticates.
        return base64.b64decode(encoded, validate=True).decode().split(",")[0].strip()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInputError(
            [FieldError(path, f"Secret {selector.name} key {selector.key!r} is not base64 text")],
            what="WeaviateCluster",
        ) from None


class KubeWeaviateConnector:
    """The real connector: an explicit endpoint, else the API server's service proxy.

    ``kube`` reads the API-key Secret; ``proxy`` (RealKube, None when the connection has no
    service proxy) reaches clusters that name no endpoint.
    """

    def __init__(
        self,
        kube: ObjectApi,
        *,
        proxy: ServiceProxy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.kube = kube
        self.proxy = proxy
        self.timeout = timeout

    def for_cluster(self, cluster: WeaviateCluster, live_pods: list[Obj]) -> WeaviateApi:
        endpoint = endpoint_of(cluster)
        if endpoint is not None:
            api_key = read_api_key(self.kube, cluster)
            return WeaviateHttpApi(endpoint, api_key=api_key, timeout=self.timeout)
        if cluster.spec.auth is not None and cluster.spec.auth.api_key is not None:
            raise TerminalError(
                f"{cluster.key}: spec.auth.apiKey is set, and the Kubernetes service proxy drops "
                f"the Authorization header; set annotation {ENDPOINT_ANNOTATION} to an address "
                "of the Weaviate Service this function can reach"
            )
        if self.proxy is None:
            raise TerminalError(
                f"{cluster.key}: this Kubernetes connection cannot proxy to services; "
                f"set annotation {ENDPOINT_ANNOTATION}"
            )
        access = self.proxy.service_proxy(
            cluster.metadata.namespace, client_service_name(cluster), HTTP_PORT
        )
        return WeaviateHttpApi(
            access.base_url,
            headers=access.headers,
            ssl_context=access.ssl_context,
            timeout=self.timeout,
        )
