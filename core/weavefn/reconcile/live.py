"""What the API server holds for each cluster, gathered with as few list calls as possible."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from weavefn.errors import NotFoundError
from weavefn.kube.port import Obj, ObjectApi, ObjectRef
from weavefn.observe.calls import carry

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
        members: frozenset[tuple[str, str]] | None = None,
        workers: int = 1,
    ) -> LiveIndex:
        """One paged list per kind (and one for pods) over a namespace or the whole cluster.

        ``members`` (namespace, name) narrows the lists to those clusters' objects (a set-based
        selector on their names), so a fleet can be gathered a part at a time; ``workers``
        lists that many kinds at once.
        """
        selector: dict[str, str | frozenset[str]] = dict(MANAGED_BY)
        pod_selector: dict[str, str | frozenset[str]] = {"app.kubernetes.io/name": "weaviate"}
        if instance is not None:
            selector[INSTANCE_LABEL] = pod_selector[INSTANCE_LABEL] = instance
        elif members is not None:
            names = frozenset(name for _, name in members)
            selector[INSTANCE_LABEL] = pod_selector[INSTANCE_LABEL] = names

        def wanted(obj: Obj) -> bool:
            if members is None:
                return True
            meta = obj.get("metadata", {})
            owner = (meta.get("namespace", ""), (meta.get("labels") or {}).get(INSTANCE_LABEL))
            return owner in members or not meta.get("namespace")

        def objects_of(kind: Kind) -> list[Obj]:
            where = namespace if kind.namespaced else None
            try:
                found = kube.list_objects(
                    kind.api_version, kind.kind, namespace=where, selector=selector
                )
            except NotFoundError:
                return []  # the kind is not served (e.g. Istio not installed); applies will say so
            return [o for o in found if wanted(o)]

        def pods() -> list[Obj]:
            found = kube.list_objects("v1", "Pod", namespace=namespace, selector=pod_selector)
            return [p for p in found if wanted(p)]

        ordered = sorted(kinds, key=lambda k: (k.api_version, k.kind))
        index = cls()
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ordered) + 1))) as pool:
            listed = pool.submit(carry(pods))  # counted as this thread's calls
            for found in pool.map(carry(objects_of), ordered):
                for obj in found:
                    index.objects[ObjectRef.of(obj)] = obj
            for pod in listed.result():
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
