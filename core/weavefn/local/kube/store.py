"""The object store: every kind, resourceVersion, generation, uid; no API semantics beyond that."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from weavefn.local.kube.clock import rfc3339

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


def _matching(
    index: dict[tuple[str, str], set[NameKey]], key: str, value: str | frozenset[str]
) -> set[NameKey]:
    """Names whose label ``key`` is ``value`` (or, for a set, any of its values)."""
    if isinstance(value, str):
        return index.get((key, value), set())
    return set().union(*(index.get((key, v), set()) for v in value))


class Store:
    """Objects by type and name, plus the global resourceVersion counter.

    Objects handed out are the stored ones; callers copy before they leave the server.
    """

    def __init__(self) -> None:
        self._objects: dict[TypeKey, dict[NameKey, Obj]] = {}
        # label (key, value) -> names, so selector lists cost their result, not the fleet
        self._labels: dict[TypeKey, dict[tuple[str, str], set[NameKey]]] = {}
        self.revision = 0

    def _index(self, kind: TypeKey, key: NameKey, obj: Obj | None, *, add: bool) -> None:
        if obj is None:
            return
        index = self._labels.setdefault(kind, {})
        for pair in (obj["metadata"].get("labels") or {}).items():
            names = index.setdefault(pair, set())
            if add:
                names.add(key)
            else:
                names.discard(key)
                if not names:
                    del index[pair]

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        ns = scope(kind, namespace) or ""
        return self._objects.get((api_version, kind), {}).get((ns, name))

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str | frozenset[str]] | None = None,
    ) -> list[Obj]:
        bucket = self._objects.get((api_version, kind), {})
        if selector:
            index = self._labels.get((api_version, kind), {})
            sets = sorted((_matching(index, k, v) for k, v in selector.items()), key=len)
            keys = set.intersection(*sets) if sets else set()
            found = [bucket[k] for k in keys if namespace is None or k[0] == namespace]
        else:
            found = [o for (ns, _), o in bucket.items() if namespace is None or ns == namespace]
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
        type_key = (obj["apiVersion"], obj["kind"])
        bucket = self._objects.setdefault(type_key, {})
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
        self._index(type_key, key, previous, add=False)
        self._index(type_key, key, obj, add=True)
        bucket[key] = obj
        return obj

    def remove(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        key = (scope(kind, namespace) or "", name)
        gone = self._objects.get((api_version, kind), {}).pop(key, None)
        self._index((api_version, kind), key, gone, add=False)
        return gone

    def to_json(self) -> Obj:
        return {"revision": self.revision, "objects": list(self.all())}

    @classmethod
    def from_json(cls, data: Obj) -> Store:
        store = cls()
        store.revision = int(data.get("revision", 0))
        for obj in data.get("objects", []):
            meta = obj["metadata"]
            type_key = (obj["apiVersion"], obj["kind"])
            key = (scope(obj["kind"], meta.get("namespace")) or "", meta["name"])
            store._objects.setdefault(type_key, {})[key] = obj
            store._index(type_key, key, obj, add=True)
        return store
