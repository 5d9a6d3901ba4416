"""What the API server holds for each cluster, gathered with as few list calls as possible."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from weavefn.errors import NotFoundError
from weavefn.kube.port import Obj, ObjectApi, ObjectRef

MANAGED_BY = {"app.kubernetes.io/managed-by": "weavefn"}
INSTANCE_LABEL = "app.kubernetes.io/instance"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str
    namespaced: bool = True


@dataclass
class LiveState:
    """The live objects weavefn manages for one cluster, and its pods."""

    objects: dict[ObjectRef, Obj] = field(default_factory=dict)
    pods: list[Obj] = field(default_factory=list)

    def get(self, ref: ObjectRef) -> Obj | None:
        return self.objects.get(ref)


def kinds_of(objects: Iterable[Obj]) -> set[Kind]:
    return {Kind(o["apiVersion"], o["kind"], "namespace" in o.get("metadata", {})) for o in objects}


@dataclass
class LiveIndex:
    """Live objects of many clusters, indexed by ref and by the cluster they belong to."""

    objects: dict[ObjectRef, Obj] = field(default_factory=dict)
    pods_by_cluster: dict[tuple[str, str], list[Obj]] = field(default_factory=dict)

    @classmethod
    def gather(
        cls,
        kube: ObjectApi,
        kinds: Iterable[Kind],
        *,
        namespace: str | None = None,
        instance: str | None = None,
    ) -> LiveIndex:
        """One list call per kind (and one for pods) over a namespace or the whole cluster."""
        selector = dict(MANAGED_BY)
        if instance is not None:
            selector[INSTANCE_LABEL] = instance
        index = cls()
        for kind in sorted(kinds, key=lambda k: (k.api_version, k.kind)):
            where = namespace if kind.namespaced else None
            try:
                found = kube.list_objects(
                    kind.api_version, kind.kind, namespace=where, selector=selector
                )
            except NotFoundError:
                found = []  # the kind is not served (e.g. Istio not installed); applies will say so
            for obj in found:
                index.objects[ObjectRef.of(obj)] = obj
        pod_selector = {"app.kubernetes.io/name": "weaviate"}
        if instance is not None:
            pod_selector[INSTANCE_LABEL] = instance
        for pod in kube.list_objects("v1", "Pod", namespace=namespace, selector=pod_selector):
            meta = pod.get("metadata", {})
            labels = meta.get("labels", {})
            # Only StatefulSet pods are Weaviate nodes; inference Deployments share the labels.
            if POD_NAME_LABEL in labels and INSTANCE_LABEL in labels:
                key = (meta.get("namespace", ""), labels[INSTANCE_LABEL])
                index.pods_by_cluster.setdefault(key, []).append(pod)
        return index

    def for_cluster(self, namespace: str, name: str, refs: Iterable[ObjectRef]) -> LiveState:
        return LiveState(
            objects={ref: self.objects[ref] for ref in refs if ref in self.objects},
            pods=self.pods_by_cluster.get((namespace, name), []),
        )
