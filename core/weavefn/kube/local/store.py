"""The object store: every kind, resourceVersion, generation, uid; no API semantics beyond that."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from weavefn.kube.local.clock import rfc3339

Obj = dict[str, Any]
TypeKey = tuple[str, str]
NameKey = tuple[str, str]

# Kinds without a namespace; everything else defaults to the "default" namespace.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "PriorityClass",
        "IngressClass",
    }
)
DEFAULT_NAMESPACE = "default"


def scope(kind: str, namespace: str | None) -> str | None:
    """The namespace an object of ``kind`` really lives in."""
    if kind in CLUSTER_SCOPED:
        return None
    return namespace or DEFAULT_NAMESPACE


def matches(obj: Obj, selector: Mapping[str, str] | None) -> bool:
    """Equality-based label selection, as ``-l a=b,c=d``."""
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


class Store:
    """Objects by type and name, plus the global resourceVersion counter.

    Objects handed out are the stored ones; callers copy before they leave the server.
    """

    def __init__(self) -> None:
        self._objects: dict[TypeKey, dict[NameKey, Obj]] = {}
        self.revision = 0

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        ns = scope(kind, namespace) or ""
        return self._objects.get((api_version, kind), {}).get((ns, name))

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        bucket = self._objects.get((api_version, kind), {})
        found = [
            obj
            for (ns, _), obj in bucket.items()
            if (namespace is None or ns == namespace) and matches(obj, selector)
        ]
        return sorted(
            found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        )

    def all(self) -> Iterator[Obj]:
        for bucket in self._objects.values():
            yield from bucket.values()

    def put(self, obj: Obj, *, now: float) -> Obj:
        """Create or replace ``obj`` (which the store takes over), bumping versions on change.

        An identical write is a no-op: no new resourceVersion, as on a real API server.
        """
        meta = obj.setdefault("metadata", {})
        ns = scope(obj["kind"], meta.get("namespace"))
        if ns is None:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = ns
        bucket = self._objects.setdefault((obj["apiVersion"], obj["kind"]), {})
        key = (ns or "", meta["name"])
        previous = bucket.get(key)
        if previous is None:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = rfc3339(now)
            meta["generation"] = 1
        else:
            old_meta = previous["metadata"]
            for field in ("uid", "creationTimestamp", "generation", "resourceVersion"):
                meta[field] = old_meta[field]
            if obj == previous:
                return previous
            if obj.get("spec") != previous.get("spec"):
                meta["generation"] = old_meta["generation"] + 1
        self.revision += 1
        meta["resourceVersion"] = str(self.revision)
        bucket[key] = obj
        return obj

    def remove(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        ns = scope(kind, namespace) or ""
        return self._objects.get((api_version, kind), {}).pop((ns, name), None)

    def to_json(self) -> Obj:
        return {"revision": self.revision, "objects": list(self.all())}

    @classmethod
    def from_json(cls, data: Obj) -> Store:
        store = cls()
        store.revision = int(data.get("revision", 0))
        for obj in data.get("objects", []):
            meta = obj["metadata"]
            ns = scope(obj["kind"], meta.get("namespace")) or ""
            store._objects.setdefault((obj["apiVersion"], obj["kind"]), {})[(ns, meta["name"])] = (
                obj
            )
        return store
