"""WeaviateCluster endpoints of the local API server: the custom resource and its status."""

from __future__ import annotations

from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.kube.port import FIELD_MANAGER
from weavefn.local.kube.apply import record_update
from weavefn.local.kube.faults import Verb
from weavefn.local.kube.fields import copy_obj, merge_patch
from weavefn.local.kube.objects import ObjectEndpoints
from weavefn.local.kube.server import identity
from weavefn.local.kube.store import scope
from weavefn.model.resource import API_VERSION, KIND, PLURAL

Obj = dict[str, Any]
ObjList = list[Obj]
_PLURAL = f"{PLURAL}.weaviate.io"


class ClusterEndpoints(ObjectEndpoints):
    def list_clusters(self, namespace: str | None = None) -> ObjList:
        return self.list_objects(API_VERSION, KIND, namespace=namespace)

    def get_cluster(self, namespace: str, name: str) -> Obj:
        with self._op(Verb.GET, KIND, namespace, name):
            return copy_obj(self._live(API_VERSION, KIND, namespace, name))

    def get_cluster_scale(self, namespace: str, name: str) -> Obj:
        """The scale subresource the CRD declares: spec.replicas, status.replicas/selector."""
        with self._op(Verb.GET, "Scale", namespace, name):
            live = self._live(API_VERSION, KIND, namespace, name)
            meta, status = live["metadata"], live.get("status") or {}
            scale_status: Obj = {"replicas": int(status.get("replicas") or 0)}
            if status.get("selector"):
                scale_status["selector"] = status["selector"]
            return {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {
                    "name": meta["name"],
                    "namespace": meta["namespace"],
                    "uid": meta["uid"],
                    "resourceVersion": meta["resourceVersion"],
                    "creationTimestamp": meta["creationTimestamp"],
                },
                "spec": {"replicas": int((live.get("spec") or {}).get("replicas") or 0)},
                "status": scale_status,
            }

    def replace_cluster_status(self, cluster: Obj) -> Obj:
        """PUT .../status: only ``status`` changes; a stale resourceVersion is a 409."""
        api_version, kind, namespace, name = identity(cluster)
        self._check_kind(api_version, kind)
        with self._op(Verb.UPDATE, KIND, namespace, name) as now:
            live = self._live(API_VERSION, KIND, namespace, name)
            wanted = cluster.get("metadata", {}).get("resourceVersion")
            self._precondition(live, wanted, _PLURAL)
            new = copy_obj(live)
            if cluster.get("status") is None:
                new.pop("status", None)
            else:
                new["status"] = copy_obj(cluster["status"])
            return copy_obj(self._store.put(new, now=now))

    def apply_cluster(
        self, cluster: Obj, *, field_manager: str = FIELD_MANAGER, force: bool = True
    ) -> Obj:
        """Server-side apply of metadata and spec; any ``status`` given is ignored."""
        api_version, kind, _, _ = identity(cluster)
        self._check_kind(api_version, kind)
        return self.apply(cluster, field_manager=field_manager, force=force)

    def patch_cluster_spec(
        self,
        namespace: str,
        name: str,
        spec_patch: Obj,
        *,
        resource_version: str,
        field_manager: str = FIELD_MANAGER,
    ) -> Obj:
        """JSON merge patch of the spec, guarded by ``resource_version`` (409 when stale)."""
        if not isinstance(spec_patch, dict):
            raise InvalidInputError([FieldError("spec", "expected an object")], what="patch")
        ns = scope(KIND, namespace)
        with self._op(Verb.PATCH, KIND, ns, name) as now:
            live = self._live(API_VERSION, KIND, ns, name)
            self._precondition(live, resource_version, _PLURAL)
            new = copy_obj(live)
            new["spec"] = merge_patch(live.get("spec", {}), spec_patch)
            record_update(live, new, manager=field_manager, now=now)
            return copy_obj(self._write(new, live, now=now))

    @staticmethod
    def _check_kind(api_version: str, kind: str) -> None:
        errors = []
        if api_version != API_VERSION:
            errors.append(FieldError("apiVersion", f"must be {API_VERSION}, got {api_version!r}"))
        if kind != KIND:
            errors.append(FieldError("kind", f"must be {KIND}, got {kind!r}"))
        if errors:
            raise InvalidInputError(errors, what="resource")
