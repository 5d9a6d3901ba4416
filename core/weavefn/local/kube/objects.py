"""Generic object endpoints of the local API server: get, list, apply, delete, events."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from weavefn.errors import ConflictError, FieldError, InvalidInputError
from weavefn.kube.port import FIELD_MANAGER, ObjectRef
from weavefn.local.kube.apply import server_side_apply
from weavefn.local.kube.clock import rfc3339_micro
from weavefn.local.kube.faults import Verb
from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.server import ServerCore, identity, not_found
from weavefn.local.kube.store import scope

Obj = dict[str, Any]
ObjList = list[Obj]
EVENTS_API = "events.k8s.io/v1"


class Propagation(StrEnum):
    BACKGROUND = "Background"
    FOREGROUND = "Foreground"
    ORPHAN = "Orphan"


class ObjectEndpoints(ServerCore):
    def get(self, ref: ObjectRef) -> Obj | None:
        with self._op(Verb.GET, ref.kind, ref.namespace, ref.name):
            found = self._store.get(ref.api_version, ref.kind, ref.namespace, ref.name)
            return copy_obj(found) if found is not None else None

    def list_objects(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: dict[str, str] | None = None,
    ) -> ObjList:
        with self._op(Verb.LIST, kind, namespace, None):
            return [copy_obj(o) for o in self._store.list(api_version, kind, namespace, selector)]

    def apply(self, obj: Obj, *, field_manager: str = FIELD_MANAGER, force: bool = True) -> Obj:
        """Server-side apply; ``status`` in ``obj`` is ignored (status is a subresource)."""
        api_version, kind, namespace, name = identity(obj)
        with self._op(Verb.APPLY, kind, namespace, name) as now:
            live = self._store.get(api_version, kind, namespace, name)
            wanted = obj.get("metadata", {}).get("resourceVersion")
            if live is not None:
                self._precondition(live, wanted, kind.lower() + "s")
            new = server_side_apply(live, obj, manager=field_manager, force=force, now=now)
            new["metadata"]["name"] = name
            if namespace is not None:
                new["metadata"]["namespace"] = namespace
            return copy_obj(self._write(new, live, now=now))

    def delete(self, ref: ObjectRef, *, propagation: str = "Background") -> None:
        """Delete ``ref``; dependents (by ownerReferences) are deleted, or orphaned on request."""
        try:
            policy = Propagation(propagation)
        except ValueError:
            choices = ", ".join(p.value for p in Propagation)
            raise InvalidInputError(
                [FieldError("propagationPolicy", f"must be one of {choices}")],
                what="delete options",
            ) from None
        with self._op(Verb.DELETE, ref.kind, ref.namespace, ref.name) as now:
            gone = self._store.remove(ref.api_version, ref.kind, ref.namespace, ref.name)
            if gone is None:
                raise not_found(ref.kind, ref.namespace, ref.name)
            self._collect(gone, policy, now=now)

    def _collect(self, owner: Obj, policy: Propagation, *, now: float) -> None:
        """The garbage collector, done at once: cascade to dependents or orphan them."""
        if owner["kind"] == "Pod":
            self._sim.pod_changed(owner)
        uid = owner["metadata"]["uid"]
        dependents = [
            obj
            for obj in self._store.all()
            if any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences", []) or [])
        ]
        for dependent in dependents:
            meta = dependent["metadata"]
            if policy is Propagation.ORPHAN:
                orphan = copy_obj(dependent)
                refs = [r for r in meta["ownerReferences"] if r.get("uid") != uid]
                orphan["metadata"]["ownerReferences"] = refs
                if not refs:
                    del orphan["metadata"]["ownerReferences"]
                self._store.put(orphan, now=now)
                continue
            ns = meta.get("namespace")
            gone = self._store.remove(dependent["apiVersion"], dependent["kind"], ns, meta["name"])
            if gone is not None:
                self._collect(gone, Propagation.BACKGROUND, now=now)

    def create_event(self, event: Obj) -> None:
        """Create an events.k8s.io/v1 Event; a name is generated when none is given."""
        if not isinstance(event, dict):
            raise InvalidInputError([FieldError("(root)", "expected an object")], what="Event")
        new = copy_obj(event)
        new.setdefault("apiVersion", EVENTS_API)
        new.setdefault("kind", "Event")
        meta = new.setdefault("metadata", {})
        regarding = new.get("regarding") or {}
        meta["namespace"] = scope("Event", meta.get("namespace") or regarding.get("namespace"))
        if not meta.get("name"):
            base = meta.pop("generateName", None) or f"{regarding.get('name', 'event')}."
            meta["name"] = f"{base}{uuid.uuid4().hex[:16]}"
        with self._op(Verb.CREATE, "Event", meta["namespace"], meta["name"]) as now:
            new.setdefault("eventTime", rfc3339_micro(now))
            if self._store.get(new["apiVersion"], "Event", meta["namespace"], meta["name"]):
                raise ConflictError(f'events "{meta["name"]}" already exists')
            self._store.put(new, now=now)

    # -- conveniences for tests and the CLI: not recorded, never faulted ----------------------

    def list_events(self, namespace: str | None = None) -> ObjList:
        """Events in the order they were created."""
        with self._lock:
            self._sim.tick(self.clock())
            found = self._store.list(EVENTS_API, "Event", namespace)
            return [
                copy_obj(e)
                for e in sorted(found, key=lambda e: int(e["metadata"]["resourceVersion"]))
            ]

    def peek(self, ref: ObjectRef) -> Obj | None:
        """One object, as the simulation stands now."""
        with self._lock:
            self._sim.tick(self.clock())
            found = self._store.get(ref.api_version, ref.kind, ref.namespace, ref.name)
            return copy_obj(found) if found is not None else None

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> ObjList:
        """Every object of one kind, as the simulation stands now."""
        with self._lock:
            self._sim.tick(self.clock())
            return [copy_obj(o) for o in self._store.list(api_version, kind, namespace)]
