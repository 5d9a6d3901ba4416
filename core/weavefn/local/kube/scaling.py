"""Scale subresource, pod and PVC endpoints of the local API server."""

from __future__ import annotations

from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.kube.port import FIELD_MANAGER, Scale
from weavefn.local.kube.apply import record_update
from weavefn.local.kube.clusters import ClusterEndpoints
from weavefn.local.kube.faults import Verb
from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.workloads import APPS, STATEFULSET
from weavefn.model.units import parse_quantity

Obj = dict[str, Any]
ObjList = list[Obj]
SCALER = "weavefn-scaler"
"""Field manager recorded for changes made through the scale subresource."""
STORAGE_API = "storage.k8s.io/v1"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
_STORAGE = "spec.resources.requests.storage"


class ScalingEndpoints(ClusterEndpoints):
    def get_scale(self, namespace: str, name: str) -> Scale:
        with self._op(Verb.GET, "Scale", namespace, name):
            live = self._live(APPS, STATEFULSET, namespace, name)
            return Scale(int(live["spec"]["replicas"]), live["metadata"]["resourceVersion"])

    def patch_scale(
        self, namespace: str, name: str, replicas: int, *, resource_version: str | None = None
    ) -> Scale:
        """Change ``spec.replicas``; ownership of that field moves to the scaler manager."""
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise InvalidInputError(
                [FieldError("spec.replicas", f"must be a non-negative integer, got {replicas!r}")],
                what="scale",
            )
        with self._op(Verb.PATCH, "Scale", namespace, name) as now:
            live = self._live(APPS, STATEFULSET, namespace, name)
            self._precondition(live, resource_version, "statefulsets.apps")
            new = copy_obj(live)
            new["spec"]["replicas"] = replicas
            record_update(live, new, manager=SCALER, now=now, subresource="scale")
            stored = self._write(new, live, now=now)
            return Scale(replicas, stored["metadata"]["resourceVersion"])

    def list_pods(self, namespace: str, selector: dict[str, str]) -> ObjList:
        return self.list_objects("v1", "Pod", namespace=namespace, selector=selector)

    def list_pvcs(self, namespace: str, selector: dict[str, str]) -> ObjList:
        return self.list_objects(
            "v1", "PersistentVolumeClaim", namespace=namespace, selector=selector
        )

    def patch_pvc_size(self, namespace: str, name: str, size: str) -> Obj:
        """Grow a PVC's storage request; its StorageClass must allow expansion, never shrink."""
        try:
            wanted = parse_quantity(size)
        except ValueError as exc:
            raise InvalidInputError([FieldError(_STORAGE, str(exc))], what="PVC patch") from None
        with self._op(Verb.PATCH, "PersistentVolumeClaim", namespace, name) as now:
            live = self._live("v1", "PersistentVolumeClaim", namespace, name)
            current = live.get("spec", {}).get("resources", {}).get("requests", {}).get("storage")
            if current is not None and wanted == parse_quantity(current):
                return copy_obj(live)
            if current is not None and wanted < parse_quantity(current):
                raise InvalidInputError(
                    [FieldError(_STORAGE, "Forbidden: field can not be less than previous value")],
                    what=f'PersistentVolumeClaim "{name}"',
                )
            self._check_expandable(live)
            new = copy_obj(live)
            requests = new.setdefault("spec", {}).setdefault("resources", {})
            requests.setdefault("requests", {})["storage"] = size
            # Simplification: the volume and filesystem grow at once (online expansion).
            new.setdefault("status", {}).setdefault("capacity", {})["storage"] = size
            record_update(live, new, manager=FIELD_MANAGER, now=now)
            return copy_obj(self._write(new, live, now=now))

    def _check_expandable(self, pvc: Obj) -> None:
        class_name = pvc.get("spec", {}).get("storageClassName")
        classes = self._store.list(STORAGE_API, "StorageClass")
        if class_name is None:
            defaults = [
                c
                for c in classes
                if (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
            ]
            class_name = defaults[0]["metadata"]["name"] if defaults else None
        found = self._store.get(STORAGE_API, "StorageClass", None, class_name or "")
        if found is None or found.get("allowVolumeExpansion") is not True:
            why = "does not exist" if found is None else "does not set allowVolumeExpansion: true"
            raise InvalidInputError(
                [
                    FieldError(
                        _STORAGE,
                        "Forbidden: only dynamically provisioned pvc can be resized and the "
                        f"storageclass that provisions the pvc must support resize "
                        f"(StorageClass {class_name or '(none)'!r} {why})",
                    )
                ],
                what=f'PersistentVolumeClaim "{pvc["metadata"]["name"]}"',
            )
