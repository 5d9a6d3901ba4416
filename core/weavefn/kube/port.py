"""The KubeApi port: the only way the core talks to a Kubernetes API server.

Objects cross this boundary as plain JSON-shaped dicts, exactly as the API server sends them.
Errors cross it as weavefn errors: NotFoundError (404), ConflictError (409: stale
resourceVersion or field-manager conflict), InvalidInputError (422: e.g. an immutable
StatefulSet field), UnavailableError (5xx, timeouts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Obj = dict[str, Any]
FIELD_MANAGER = "weavefn"

LabelSelector = Mapping[str, str | frozenset[str]]
"""Labels a list matches: a string value is ``key=value``, a set is ``key in (a,b)``."""


@dataclass(frozen=True)
class ObjectRef:
    """Names one object: group/version, kind, namespace (None when cluster-scoped) and name."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: Obj) -> ObjectRef:
        meta = obj.get("metadata", {})
        return cls(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class Scale:
    """The scale subresource of a StatefulSet (or of a WeaviateCluster)."""

    replicas: int
    resource_version: str


@dataclass(frozen=True)
class Page:
    """One page of a list call, as the API server answers ``limit`` and ``continue``."""

    items: list[Obj] = field(default_factory=list)
    continue_token: str | None = None
    """Where the next page starts; None on the last page."""
    remaining: int | None = None
    """``remainingItemCount``: only on lists without a label selector, as the server gives it."""
    resource_version: str = ""
    """The revision every page of this list is read at."""


class ClusterStore(Protocol):
    """WeaviateCluster custom resources: read them, write their status."""

    def list_clusters(self, namespace: str | None = None) -> list[Obj]: ...

    def get_cluster(self, namespace: str, name: str) -> Obj: ...

    def replace_cluster_status(self, cluster: Obj) -> Obj:
        """PUT .../status; ``metadata.resourceVersion`` is the precondition (409 if stale)."""
        ...


class ClusterWriter(Protocol):
    """Create or change a WeaviateCluster itself (CLI apply, upgrade requests)."""

    def apply_cluster(self, cluster: Obj) -> Obj:
        """Server-side apply of the custom resource's metadata and spec."""
        ...

    def patch_cluster_spec(
        self, namespace: str, name: str, spec_patch: Obj, *, resource_version: str
    ) -> Obj:
        """Merge-patch the spec, failing with ConflictError when the object moved on."""
        ...


class ObjectApi(Protocol):
    """Any namespaced or cluster-scoped object weavefn renders."""

    def get(self, ref: ObjectRef) -> Obj | None: ...

    def list_objects(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
    ) -> list[Obj]:
        """Every page of a list (all namespaces when namespace is None), filtered by labels."""
        ...

    def list_page(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
        limit: int = 500,
        continue_token: str | None = None,
    ) -> Page:
        """One list call: at most ``limit`` items from where ``continue_token`` says.

        Raises weavefn.kube.paging.ListExpiredError (410) when the token has expired."""
        ...

    def apply(self, obj: Obj, *, field_manager: str = FIELD_MANAGER, force: bool = True) -> Obj:
        """Server-side apply (``application/apply-patch+yaml``)."""
        ...

    def delete(self, ref: ObjectRef, *, propagation: str = "Background") -> Obj | None:
        """Delete ``ref``. Returns the object while finalizers still hold it (an Orphan or
        Foreground delete always leaves it, with ``deletionTimestamp`` and the ``orphan`` or
        ``foregroundDeletion`` finalizer, until the garbage collector is done), else None,
        also when it was already gone."""
        ...


class CreateApi(Protocol):
    """Creating an object that must never be overwritten once it exists (a generated Secret)."""

    def create(self, obj: Obj) -> bool:
        """POST ``obj``: True when created, False when an object of its name already exists
        (left exactly as it is). Server-side apply would overwrite what it holds."""
        ...


class ScaleApi(Protocol):
    """The StatefulSet scale subresource: the only path that changes replicas."""

    def get_scale(self, namespace: str, name: str) -> Scale: ...

    def patch_scale(
        self, namespace: str, name: str, replicas: int, *, resource_version: str | None = None
    ) -> Scale: ...


class PodApi(Protocol):
    """Pods and their volumes, read by label selector."""

    def list_pods(self, namespace: str, selector: dict[str, str]) -> list[Obj]: ...

    def list_pvcs(self, namespace: str, selector: dict[str, str]) -> list[Obj]: ...

    def patch_pvc_size(self, namespace: str, name: str, size: str) -> Obj: ...


class EventApi(Protocol):
    """``events.k8s.io/v1`` Events pointing at a custom resource."""

    def create_event(self, event: Obj) -> None: ...


class KubeApi(
    ClusterStore, ClusterWriter, ObjectApi, CreateApi, ScaleApi, PodApi, EventApi, Protocol
):
    """Everything weavefn needs from one Kubernetes API server."""
