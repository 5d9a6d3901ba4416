"""Deletion and the garbage collector of the local API server: finalizers, propagation, timing.

As on a real API server, a delete only removes an object at once when nothing holds it: an
Orphan or Foreground delete adds the ``orphan`` / ``foregroundDeletion`` finalizer and sets
``deletionTimestamp``, and any finalizer keeps the object until it is removed. The collector
does its part asynchronously, at the first controller tick strictly later than the delete: it
releases the dependents (Orphan) or deletes them and waits for the blocking ones (Foreground),
then drops its finalizer. A client that deletes and re-creates in the same instant therefore
meets the old object, exactly as it would on a real cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.local.kube.clock import rfc3339
from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.store import Store

Obj = dict[str, Any]
Key = tuple[str, str, str | None, str]  # apiVersion, kind, namespace, name
ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"


class Propagation(StrEnum):
    BACKGROUND = "Background"
    FOREGROUND = "Foreground"
    ORPHAN = "Orphan"


def key_of(obj: Obj) -> Key:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])


def terminating(obj: Obj | None) -> bool:
    return obj is not None and bool(obj["metadata"].get("deletionTimestamp"))


def _seconds(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def check_finalizers(old: Obj | None, new: Obj) -> None:
    """422 like the API server: a terminating object may lose finalizers, never gain one."""
    if not terminating(old):
        return
    assert old is not None
    before = set(old["metadata"].get("finalizers") or [])
    added = [f for f in new["metadata"].get("finalizers") or [] if f not in before]
    if added:
        listed = ", ".join(f'"{f}"' for f in added)
        raise InvalidInputError(
            [
                FieldError(
                    "metadata.finalizers",
                    "Forbidden: no new finalizers can be added if the object is being "
                    f"deleted, found new finalizers []string{{{listed}}}",
                )
            ],
            what=f'{old["kind"]} "{old["metadata"]["name"]}"',
        )


class Collector:
    """Deletes objects and collects their dependents, on the store it is given."""

    def __init__(self, store: Store, *, on_removed: Callable[[Obj], None]) -> None:
        self.store = store
        self.on_removed = on_removed
        self._due: dict[Key, float] = {}
        """Objects waiting for the collector, with the time of their delete."""
        for obj in store.all():
            finalizers = obj["metadata"].get("finalizers") or []
            if terminating(obj) and (ORPHAN in finalizers or FOREGROUND in finalizers):
                self._due[key_of(obj)] = _seconds(obj["metadata"]["deletionTimestamp"])

    def delete(self, live: Obj, policy: Propagation, *, now: float) -> Obj | None:
        """Delete ``live``: the object left behind (being finalized), or None when it is gone."""
        meta = live["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if policy is Propagation.ORPHAN and ORPHAN not in finalizers:
            finalizers.append(ORPHAN)
        elif policy is Propagation.FOREGROUND and FOREGROUND not in finalizers:
            finalizers.append(FOREGROUND)
        if not finalizers:
            self.remove(live, now=now)
            return None
        marked = copy_obj(live)
        marked["metadata"]["finalizers"] = finalizers
        if not terminating(live):
            marked["metadata"]["deletionTimestamp"] = rfc3339(now)
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
        if policy is not Propagation.BACKGROUND:
            self._due.setdefault(key_of(live), now)
        return self.store.put(marked, now=now)

    def settle(self, obj: Obj, *, now: float) -> Obj | None:
        """After a write: a terminating object whose last finalizer went is removed."""
        if terminating(obj) and not obj["metadata"].get("finalizers"):
            self.remove(obj, now=now)
            return None
        return obj

    def remove(self, obj: Obj, *, now: float) -> None:
        """Take the object out of the store and delete its dependents in the background."""
        api_version, kind, namespace, name = key_of(obj)
        gone = self.store.remove(api_version, kind, namespace, name)
        self._due.pop(key_of(obj), None)
        if gone is None:
            return
        self.on_removed(gone)
        for dependent in self._dependents(gone):
            self.delete(dependent, Propagation.BACKGROUND, now=now)

    def tick(self, now: float) -> None:
        """The collector's round: every delete strictly older than ``now`` is worked on."""
        for key, deleted_at in sorted(self._due.items(), key=lambda item: item[1]):
            if deleted_at >= now:
                continue
            obj = self.store.get(*key)
            if obj is None or not terminating(obj):
                self._due.pop(key, None)
                continue
            finalizers = list(obj["metadata"].get("finalizers") or [])
            if ORPHAN in finalizers:
                self._orphan(obj, now=now)
                finalizers.remove(ORPHAN)
            elif FOREGROUND in finalizers:
                if self._blocking(obj, now=now):
                    continue  # dependents are still being deleted: look again next round
                finalizers.remove(FOREGROUND)
            self._due.pop(key, None)
            released = copy_obj(obj)
            released["metadata"]["finalizers"] = finalizers
            if not finalizers:
                del released["metadata"]["finalizers"]
            self.settle(self.store.put(released, now=now), now=now)

    def _dependents(self, owner: Obj) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        return [
            obj
            for obj in self.store.all()
            if any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])
        ]

    def _orphan(self, owner: Obj, *, now: float) -> None:
        uid = owner["metadata"]["uid"]
        for dependent in self._dependents(owner):
            orphan = copy_obj(dependent)
            refs = [r for r in orphan["metadata"]["ownerReferences"] if r.get("uid") != uid]
            orphan["metadata"]["ownerReferences"] = refs
            if not refs:
                del orphan["metadata"]["ownerReferences"]
            self.store.put(orphan, now=now)

    def _blocking(self, owner: Obj, *, now: float) -> bool:
        """Delete the dependents; True while one that blocks the owner's deletion remains."""
        uid = owner["metadata"]["uid"]
        blocked = False
        for dependent in self._dependents(owner):
            left: Obj | None = dependent
            if not terminating(dependent):
                left = self.delete(dependent, Propagation.BACKGROUND, now=now)
            refs = (left or {}).get("metadata", {}).get("ownerReferences") or []
            blocked |= any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in refs)
        return blocked
