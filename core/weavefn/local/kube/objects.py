"""Generic object endpoints of the local API server: get, list, apply, delete, events."""

from __future__ import annotations

import uuid
from typing import Any

from weavefn.errors import ConflictError, FieldError, InvalidInputError
from weavefn.kube.paging import DEFAULT_PAGE_SIZE, list_all
from weavefn.kube.port import FIELD_MANAGER, LabelSelector, ObjectRef, Page
from weavefn.local.kube.apply import server_side_apply
from weavefn.local.kube.clock import rfc3339_micro
from weavefn.local.kube.collector import Propagation
from weavefn.local.kube.faults import Verb
from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.server import ServerCore, identity
from weavefn.local.kube.store import scope

Obj = dict[str, Any]
ObjList = list[Obj]
EVENTS_API = "events.k8s.io/v1"


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
        selector: LabelSelector | None = None,
    ) -> ObjList:
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
        """One list call, paged as the API server pages (see paging.py)."""
        with self._op(Verb.LIST, kind, namespace, None):
            return self._pages.page(
                self._store,
                api_version=api_version,
                kind=kind,
                namespace=scope(kind, namespace) if namespace is not None else None,
                selector=selector,
                limit=limit,
                continue_token=continue_token,
            )

    def serve_page(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        continue_token: str | None = None,
    ) -> Page:
        """list_page for an HTTP front that serializes the page at once: the stored objects
        themselves, not copies (they are replaced on write, never edited; do not edit them)."""
        with self._op(Verb.LIST, kind, namespace, None):
            return self._pages.page(
                self._store,
                api_version=api_version,
                kind=kind,
                namespace=scope(kind, namespace) if namespace is not None else None,
                selector=selector,
                limit=limit,
                continue_token=continue_token,
                copy=False,
            )

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

    def create(self, obj: Obj) -> bool:
        """POST: True when created, False when one of that name exists (left untouched)."""
        api_version, kind, namespace, name = identity(obj)
        with self._op(Verb.CREATE, kind, namespace, name) as now:
            if self._store.get(api_version, kind, namespace, name) is not None:
                return False
            new = copy_obj(obj)
            new.pop("status", None)
            new["metadata"].pop("resourceVersion", None)
            if namespace is not None:
                new["metadata"]["namespace"] = namespace
            self._write(new, None, now=now)
            return True

    def delete(self, ref: ObjectRef, *, propagation: str = "Background") -> Obj | None:
        """Delete ``ref``: what is left while finalizers hold it, else None (also when absent).

        Orphan and Foreground deletes leave the object, with its ``orphan`` or
        ``foregroundDeletion`` finalizer and a deletionTimestamp, until the collector's next
        round (see collector.py); a Background delete removes it and its dependents at once
        unless a finalizer holds it.
        """
        try:
            policy = Propagation(propagation)
        except ValueError:
            choices = ", ".join(p.value for p in Propagation)
            raise InvalidInputError(
                [FieldError("propagationPolicy", f"must be one of {choices}")],
                what="delete options",
            ) from None
        with self._op(Verb.DELETE, ref.kind, ref.namespace, ref.name) as now:
            live = self._store.get(ref.api_version, ref.kind, ref.namespace, ref.name)
            if live is None:
                return None  # already gone is the outcome asked for, as RealKube reports it
            left = self._gc.delete(live, policy, now=now)
            return copy_obj(left) if left is not None else None

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
