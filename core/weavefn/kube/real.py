"""The KubeApi port on the official kubernetes client: plain dicts in and out, weavefn errors."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from weavefn.errors import (
    AlreadyExistsError,
    ConflictError,
    FieldError,
    InvalidInputError,
    NotFoundError,
)
from weavefn.kube.paging import DEFAULT_PAGE_SIZE, list_all
from weavefn.kube.port import FIELD_MANAGER, LabelSelector, Obj, ObjectRef, Page, Scale
from weavefn.kube.proxy import ProxyAccess
from weavefn.kube.real_errors import (
    ApiRequest,
    RbacVerb,
    error_for_status,
    error_for_transport,
    parse_answer,
)
from weavefn.kube.real_paths import (
    Resource,
    label_selector,
    ref_of_object,
    resource_for,
    resource_of,
)
from weavefn.model.units import parse_quantity

SCALER_FIELD_MANAGER = "weavefn-scaler"
CLUSTER_API_VERSION = "weaviate.io/v1"
CLUSTER_KIND = "WeaviateCluster"
# Server-owned metadata: sending it back in an apply is rejected or acts as a stale precondition.
_SERVER_METADATA = ("managedFields", "uid", "creationTimestamp", "generation", "resourceVersion")


class ContentType(StrEnum):
    JSON = "application/json"
    APPLY = "application/apply-patch+yaml"
    MERGE = "application/merge-patch+json"


class Propagation(StrEnum):
    """DeleteOptions.propagationPolicy; Orphan keeps pods and PVCs of a re-created StatefulSet."""

    ORPHAN = "Orphan"
    BACKGROUND = "Background"
    FOREGROUND = "Foreground"


Query = Sequence[tuple[str, str]]


class RealKube:
    """Every KubeApi protocol against one API server, each request bounded by ``timeout``."""

    def __init__(self, api_client: ApiClient, *, timeout: float = 10.0) -> None:
        self._client = api_client
        self._timeout = timeout

    @property
    def api_client(self) -> ApiClient:
        return self._client

    # -- WeaviateCluster custom resources -------------------------------------------------

    def list_clusters(self, namespace: str | None = None) -> list[Obj]:
        return self.list_objects(CLUSTER_API_VERSION, CLUSTER_KIND, namespace=namespace)

    def get_cluster(self, namespace: str, name: str) -> Obj:
        return self._get(_clusters(namespace), name)

    def replace_cluster_status(self, cluster: Obj) -> Obj:
        meta = cluster.get("metadata") or {}
        if not meta.get("resourceVersion"):
            raise InvalidInputError(
                [FieldError("metadata.resourceVersion", "required for a status write")],
                what=CLUSTER_KIND,
            )
        resource = _clusters(meta.get("namespace"))
        call = _call(RbacVerb.UPDATE, resource, meta.get("name"))
        path = resource.item(meta["name"], "status")
        return self._send(call, "PUT", path, body=cluster)

    def get_cluster_scale(self, namespace: str, name: str) -> Obj:
        """The WeaviateCluster's scale subresource, as an HPA, KEDA or VPA reads it."""
        resource = _clusters(namespace)
        return self._send(_call(RbacVerb.GET, resource, name), "GET", resource.item(name, "scale"))

    def apply_cluster(self, cluster: Obj) -> Obj:
        meta = cluster.get("metadata") or {}
        kept = {
            k: v for k, v in meta.items() if k in ("name", "namespace", "labels", "annotations")
        }
        body = {
            "apiVersion": CLUSTER_API_VERSION,
            "kind": CLUSTER_KIND,
            "metadata": kept,
            "spec": cluster.get("spec") or {},
        }
        return self.apply(body)

    def patch_cluster_spec(
        self, namespace: str, name: str, spec_patch: Obj, *, resource_version: str
    ) -> Obj:
        body = {"metadata": {"resourceVersion": resource_version}, "spec": spec_patch}
        return self._merge(_clusters(namespace), name, body)

    # -- any object -----------------------------------------------------------------------

    def get(self, ref: ObjectRef) -> Obj | None:
        try:
            return self._get(resource_of(ref), ref.name)
        except NotFoundError:
            return None

    def list_objects(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
    ) -> list[Obj]:
        return list_all(self.list_page, api_version, kind, namespace=namespace, selector=selector)

    def list_page(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        continue_token: str | None = None,
    ) -> Page:
        resource = resource_for(api_version, kind, namespace, all_namespaces=True)
        return self._page(resource, selector, limit=limit, continue_token=continue_token)

    def apply(self, obj: Obj, *, field_manager: str = FIELD_MANAGER, force: bool = True) -> Obj:
        ref = ref_of_object(obj)
        resource = resource_of(ref)
        meta = {k: v for k, v in obj["metadata"].items() if k not in _SERVER_METADATA}
        body = {**obj, "metadata": meta}
        query = [("fieldManager", field_manager), ("force", "true" if force else "false")]
        return self._send(
            _call(RbacVerb.PATCH, resource, ref.name),
            "PATCH",
            resource.item(ref.name),
            query=query,
            body=body,
            content_type=ContentType.APPLY,
        )

    def create(self, obj: Obj) -> bool:
        ref = ref_of_object(obj)
        resource = resource_of(ref)
        meta = {k: v for k, v in obj["metadata"].items() if k not in _SERVER_METADATA}
        try:
            self._send(
                _call(RbacVerb.CREATE, resource, ref.name),
                "POST",
                resource.collection(),
                body={**obj, "metadata": meta},
            )
        except AlreadyExistsError:
            return False
        return True

    def delete(self, ref: ObjectRef, *, propagation: str = "Background") -> Obj | None:
        try:
            policy = Propagation(propagation)
        except ValueError:
            choices = ", ".join(Propagation)
            raise InvalidInputError(
                [FieldError("propagationPolicy", f"{propagation!r} is not one of {choices}")],
                what=str(ref),
            ) from None
        resource = resource_of(ref)
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": str(policy)}
        try:
            answer = self._send(
                _call(RbacVerb.DELETE, resource, ref.name),
                "DELETE",
                resource.item(ref.name),
                body=body,
            )
        except NotFoundError:
            # Already gone is the outcome asked for; a retried step must not fail on it.
            return None
        # A Status means the object is gone; the object itself means finalizers still hold it.
        if answer.get("kind") in (None, "Status"):
            return None
        return {"apiVersion": ref.api_version, "kind": ref.kind, **answer}

    # -- scale subresource ----------------------------------------------------------------

    def get_scale(self, namespace: str, name: str) -> Scale:
        resource = _statefulsets(namespace)
        call = _call(RbacVerb.GET, resource, name)
        return _scale(self._send(call, "GET", resource.item(name, "scale")))

    def patch_scale(
        self, namespace: str, name: str, replicas: int, *, resource_version: str | None = None
    ) -> Scale:
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise InvalidInputError([FieldError("spec.replicas", f"{replicas!r} is not a count")])
        body: Obj = {"spec": {"replicas": replicas}}
        if resource_version is not None:
            body["metadata"] = {"resourceVersion": resource_version}
        answer = self._merge(
            _statefulsets(namespace), name, body, subresource="scale", manager=SCALER_FIELD_MANAGER
        )
        return _scale(answer)

    # -- pods and volumes -----------------------------------------------------------------

    def list_pods(self, namespace: str, selector: dict[str, str]) -> list[Obj]:
        return self.list_objects("v1", "Pod", namespace=namespace, selector=selector)

    def list_pvcs(self, namespace: str, selector: dict[str, str]) -> list[Obj]:
        return self.list_objects(
            "v1", "PersistentVolumeClaim", namespace=namespace, selector=selector
        )

    def patch_pvc_size(self, namespace: str, name: str, size: str) -> Obj:
        try:
            parse_quantity(size)
        except ValueError as exc:
            raise InvalidInputError(
                [FieldError("spec.resources.requests.storage", str(exc))]
            ) from None
        body = {"spec": {"resources": {"requests": {"storage": size}}}}
        return self._merge(resource_for("v1", "PersistentVolumeClaim", namespace), name, body)

    # -- events ---------------------------------------------------------------------------

    def create_event(self, event: Obj) -> None:
        meta = event.get("metadata") or {}
        namespace = meta.get("namespace") or (event.get("regarding") or {}).get("namespace")
        if not namespace:
            raise InvalidInputError(
                [FieldError("metadata.namespace", "an Event needs the namespace of its object")],
                what="Event",
            )
        body = {**event, "apiVersion": "events.k8s.io/v1", "kind": "Event"}
        body["metadata"] = {**meta, "namespace": namespace}
        resource = resource_for("events.k8s.io/v1", "Event", namespace)
        try:
            self._send(
                _call(RbacVerb.CREATE, resource, meta.get("name")),
                "POST",
                resource.collection(),
                body=body,
            )
        except ConflictError:
            # The same Event was already recorded (a retried step): nothing is missing.
            return

    # -- service proxy (reaching Weaviate from outside the cluster network) ---------------

    def service_proxy(self, namespace: str, service: str, port: int) -> ProxyAccess:
        """Base URL, credentials and TLS settings for ``services/<svc>:<port>/proxy``."""
        cfg: Any = self._client.configuration
        headers: dict[str, str] = {}
        token = cfg.get_api_key_with_prefix("BearerToken")  # runs the token refresh hook
        if token:
            headers["Authorization"] = token
        context: ssl.SSLContext | None = None
        if str(cfg.host).startswith("https://"):
            context = ssl.create_default_context(
                cafile=cfg.ssl_ca_cert,
                cadata=cfg.ca_cert_data if isinstance(cfg.ca_cert_data, str) else None,
            )
            if isinstance(cfg.ca_cert_data, bytes):
                context.load_verify_locations(cadata=cfg.ca_cert_data)
            if cfg.cert_file:
                context.load_cert_chain(cfg.cert_file, cfg.key_file)
            if not cfg.verify_ssl:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        path = f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy"
        return ProxyAccess(str(cfg.host).rstrip("/") + path, headers, context)

    # -- transport ------------------------------------------------------------------------

    def _get(self, resource: Resource, name: str) -> Obj:
        return self._send(_call(RbacVerb.GET, resource, name), "GET", resource.item(name))

    def _merge(
        self,
        resource: Resource,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        manager: str = FIELD_MANAGER,
    ) -> Obj:
        return self._send(
            _call(RbacVerb.PATCH, resource, name),
            "PATCH",
            resource.item(name, subresource),
            query=[("fieldManager", manager)],
            body=body,
            content_type=ContentType.MERGE,
        )

    def _page(
        self,
        resource: Resource,
        selector: LabelSelector | None,
        *,
        limit: int,
        continue_token: str | None,
    ) -> Page:
        labels = label_selector(selector)
        query = [("labelSelector", labels)] if labels else []
        if limit > 0:
            query.append(("limit", str(limit)))
        if continue_token:
            query.append(("continue", continue_token))
        answer = self._send(
            _call(RbacVerb.LIST, resource, None), "GET", resource.collection(), query=query
        )
        items = answer.get("items") or []
        # Built-in lists omit apiVersion/kind on items; ObjectRef.of needs them.
        kind = str(answer.get("kind", "")).removesuffix("List") or resource.kind
        version = answer.get("apiVersion") or resource.api_version
        meta = answer.get("metadata") or {}
        remaining = meta.get("remainingItemCount")
        return Page(
            items=[{"apiVersion": version, "kind": kind, **item} for item in items],
            continue_token=meta.get("continue") or None,
            remaining=int(remaining) if isinstance(remaining, int) else None,
            resource_version=str(meta.get("resourceVersion") or ""),
        )

    def _send(
        self,
        call: ApiRequest,
        method: str,
        path: str,
        *,
        query: Query = (),
        body: Obj | None = None,
        content_type: ContentType = ContentType.JSON,
    ) -> Obj:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        request = self._client.param_serialize(
            method=method,
            resource_path=path,
            query_params=list(query),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            # The client's response object is untyped; only status and body are used.
            response: Any = self._client.call_api(*request, _request_timeout=self._timeout)
            data: bytes = response.read()
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as exc:
            raise error_for_transport(call, exc) from None
        if not 200 <= response.status <= 299:
            raise error_for_status(call, response.status, data)
        return parse_answer(call, data)


def _call(verb: RbacVerb, resource: Resource, name: str | None) -> ApiRequest:
    return ApiRequest(verb, resource.permission(), resource.kind, resource.namespace, name)


def _clusters(namespace: str | None) -> Resource:
    return resource_for(CLUSTER_API_VERSION, CLUSTER_KIND, namespace)


def _statefulsets(namespace: str) -> Resource:
    return resource_for("apps/v1", "StatefulSet", namespace)


def _scale(answer: Obj) -> Scale:
    spec = answer.get("spec") or {}
    meta = answer.get("metadata") or {}
    return Scale(
        replicas=int(spec.get("replicas") or 0),
        resource_version=str(meta.get("resourceVersion", "")),
    )
