"""REST paths of Kubernetes objects, from apiVersion/kind/namespace/name (pure, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from weavefn.errors import FieldError, InvalidInputError
from weavefn.kube.port import LabelSelector, Obj, ObjectRef

# Kinds weavefn renders or reads. Anything else falls back to the English plural rule the
# API server's own RESTMapper uses for CRDs that do not declare an irregular plural.
PLURALS: dict[str, str] = {
    "ConfigMap": "configmaps",
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "CronJob": "cronjobs",
    "CustomResourceDefinition": "customresourcedefinitions",
    "Deployment": "deployments",
    "DestinationRule": "destinationrules",
    "Endpoints": "endpoints",
    "Event": "events",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "Ingress": "ingresses",
    "Job": "jobs",
    "MutatingWebhookConfiguration": "mutatingwebhookconfigurations",
    "Namespace": "namespaces",
    "NetworkPolicy": "networkpolicies",
    "PeerAuthentication": "peerauthentications",
    "PersistentVolume": "persistentvolumes",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "Pod": "pods",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "PodMonitor": "podmonitors",
    "PriorityClass": "priorityclasses",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "Secret": "secrets",  # nosec B105 # a resource name
    "Service": "services",
    "ServiceAccount": "serviceaccounts",
    "ServiceMonitor": "servicemonitors",
    "StatefulSet": "statefulsets",
    "StorageClass": "storageclasses",
    "ValidatingWebhookConfiguration": "validatingwebhookconfigurations",
    "VirtualService": "virtualservices",
    "WeaviateCluster": "weaviateclusters",
}

CLUSTER_SCOPED = frozenset(
    {
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "MutatingWebhookConfiguration",
        "Namespace",
        "PersistentVolume",
        "PriorityClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
    }
)

_API_VERSION = re.compile(r"^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?$")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def plural_of(kind: str) -> str:
    """The resource name of a kind: the table above, else the regular English plural."""
    if kind in PLURALS:
        return PLURALS[kind]
    lower = kind.lower()
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    return lower + "s"


@dataclass(frozen=True)
class Resource:
    """One resource type at one scope: where its collection and its objects live."""

    api_version: str
    kind: str
    plural: str
    namespace: str | None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def collection(self) -> str:
        root = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        if self.namespace is None:
            return f"{root}/{self.plural}"
        return f"{root}/namespaces/{self.namespace}/{self.plural}"

    def item(self, name: str, subresource: str | None = None) -> str:
        path = f"{self.collection()}/{_segment(name, kind=self.kind)}"
        return f"{path}/{subresource}" if subresource else path

    def permission(self) -> str:
        """The RBAC resource, e.g. ``statefulsets.apps``, as an error message names it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def resource_for(
    api_version: str, kind: str, namespace: str | None, *, all_namespaces: bool = False
) -> Resource:
    """Validate the parts of a path and place the resource at the right scope.

    ``all_namespaces`` allows a namespaced kind without a namespace (a list across all of them).
    """
    errors: list[FieldError] = []
    if not _API_VERSION.match(api_version or ""):
        errors.append(FieldError("apiVersion", f"{api_version!r} is not an apiVersion"))
    if not _KIND.match(kind or ""):
        errors.append(FieldError("kind", f"{kind!r} is not a kind"))
    if namespace is not None and not _NAMESPACE.match(namespace):
        errors.append(FieldError("metadata.namespace", f"{namespace!r} is not a namespace"))
    namespaced = kind in PLURALS and kind not in CLUSTER_SCOPED
    if not errors and namespace is None and namespaced and not all_namespaces:
        errors.append(FieldError("metadata.namespace", f"a {kind} needs a namespace"))
    if errors:
        raise InvalidInputError(errors, what=kind or "object")
    scoped = None if kind in CLUSTER_SCOPED else namespace
    return Resource(api_version, kind, plural_of(kind), scoped)


def resource_of(ref: ObjectRef) -> Resource:
    return resource_for(ref.api_version, ref.kind, ref.namespace)


def label_selector(selector: LabelSelector | None) -> str | None:
    """``k=v,k2 in (a,b)`` in a stable order; refuses text that would change its meaning."""
    if not selector:
        return None
    errors: list[FieldError] = []
    parts: list[str] = []
    for key in sorted(selector):
        value = selector[key]
        values = sorted(value) if isinstance(value, frozenset) else [value]
        bad = [v for v in values if not _LABEL_VALUE.match(v)]
        if not _LABEL_KEY.match(key) or bad or not values:
            errors.append(FieldError(f"selector.{key}", f"{key}={value!r} is not a label"))
        elif isinstance(value, frozenset):
            parts.append(f"{key} in ({','.join(values)})")
        else:
            parts.append(f"{key}={value}")
    if errors:
        raise InvalidInputError(errors, what="label selector")
    return ",".join(parts)


_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


def _segment(name: str, *, kind: str) -> str:
    # The API server validates names per kind; here only what would escape the path matters.
    if not name or name in (".", "..") or "/" in name or "%" in name:
        raise InvalidInputError([FieldError("metadata.name", f"{name!r} is not a name")], what=kind)
    return quote(name, safe=":")


def ref_of_object(obj: Obj) -> ObjectRef:
    """The ref of an object about to be written, or an error naming what is missing."""
    try:
        return ObjectRef.of(obj)
    except (KeyError, TypeError, AttributeError):
        raise InvalidInputError(
            [FieldError("metadata.name", "an object needs apiVersion, kind and metadata.name")],
            what=str(obj.get("kind") or "object"),
        ) from None
