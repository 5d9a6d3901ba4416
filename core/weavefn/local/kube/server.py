"""The local API server's core: state, lock, clock, call recording and the one write path."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from weavefn.errors import ConflictError, FieldError, InvalidInputError, NotFoundError
from weavefn.local.kube.clock import Clock, ManualClock
from weavefn.local.kube.collector import Collector, check_finalizers
from weavefn.local.kube.configdata import check_immutable_data, fold_string_data
from weavefn.local.kube.controllers import Simulation
from weavefn.local.kube.faults import CallLog, RecordedCall, Verb
from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.paging import PagedLists
from weavefn.local.kube.pods import SimState
from weavefn.local.kube.store import Store, scope
from weavefn.local.kube.workloads import (
    check_statefulset_update,
    default_and_validate,
    is_workload,
)

Obj = dict[str, Any]
STATE_FORMAT = 1


def conflict(kind: str, name: str) -> ConflictError:
    return ConflictError(
        f'Operation cannot be fulfilled on {kind} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def not_found(kind: str, namespace: str | None, name: str) -> NotFoundError:
    where = f"{namespace}/" if namespace else ""
    return NotFoundError(f"{kind} {where}{name} not found")


def identity(obj: Any) -> tuple[str, str, str | None, str]:
    """apiVersion, kind, namespace and name of an object a client sent, or a 422 naming the gap."""
    if not isinstance(obj, dict):
        raise InvalidInputError([FieldError("(root)", "expected an object")], what="object")
    meta = obj.get("metadata")
    errors = [
        FieldError(field, "Required value")
        for field, value in (
            ("apiVersion", obj.get("apiVersion")),
            ("kind", obj.get("kind")),
            ("metadata.name", meta.get("name") if isinstance(meta, dict) else None),
        )
        if not isinstance(value, str) or not value
    ]
    if errors:
        raise InvalidInputError(errors, what="object")
    assert isinstance(meta, dict)
    ns = meta.get("namespace")
    return obj["apiVersion"], obj["kind"], scope(obj["kind"], ns), meta["name"]


class ServerCore:
    """Shared machinery of the local API server; the API methods live in mixins."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ready_delay: float = 0.0,
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.clock: Clock = clock if clock is not None else ManualClock()
        self.latency = latency
        self.extras: dict[str, Any] = {}
        """JSON-serializable state of other simulators, keyed by their names; persisted."""
        self._lock = threading.RLock()
        self._store = Store()
        self._sim = Simulation(self._store, SimState(), ready_delay=ready_delay)
        self._gc = Collector(self._store, on_removed=self._removed)
        self._log = CallLog(seed=seed)
        self._pages = PagedLists()

    @property
    def ready_delay(self) -> float:
        return self._sim.ready_delay

    @contextmanager
    def _op(
        self, verb: Verb, kind: str, namespace: str | None, name: str | None
    ) -> Iterator[float]:
        """One API call: latency (outside the lock, so calls overlap), record, faults, catch up."""
        if self.latency > 0:
            time.sleep(self.latency)
        with self._lock:
            self._log.record(RecordedCall(verb, kind, namespace, name))
            now = self.clock()
            self._tick(now)
            yield now
            # Controllers react at once, so a later clock jump replays from the right moment.
            self._tick(now)

    def _tick(self, now: float) -> None:
        self._gc.tick(now)
        self._sim.tick(now)

    def _removed(self, obj: Obj) -> None:
        """An object left the store: a pod's StatefulSet must look again."""
        if obj["kind"] == "Pod":
            self._sim.pod_changed(obj)

    def _live(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj:
        found = self._store.get(api_version, kind, namespace, name)
        if found is None:
            raise not_found(kind, namespace, name)
        return found

    def _write(self, new: Obj, old: Obj | None, *, now: float) -> Obj:
        """Every client write goes through here: defaults, validation, store, controllers.

        A write that takes the last finalizer off a terminating object removes it; the answer
        is then the object as it was last seen, as the API server's is.
        """
        default_and_validate(new)
        fold_string_data(new)
        if old is not None:
            check_statefulset_update(old, new)
            check_immutable_data(old, new)
            check_finalizers(old, new)
        stored = self._store.put(new, now=now)
        meta = stored["metadata"]
        if is_workload(stored):
            self._sim.touch(stored["kind"], meta["namespace"], meta["name"])
        self._gc.settle(stored, now=now)
        return stored

    def _precondition(self, live: Obj, resource_version: str | None, plural: str) -> None:
        if resource_version and resource_version != live["metadata"]["resourceVersion"]:
            raise conflict(plural, live["metadata"]["name"])

    # -- state ------------------------------------------------------------------------------

    def to_json(self) -> Obj:
        """Everything worth keeping between processes (not faults or the call log)."""
        with self._lock:
            return copy_obj(
                {
                    "format": STATE_FORMAT,
                    "store": self._store.to_json(),
                    "simulation": self._sim.state.to_json(),
                    "extras": self.extras,
                }
            )

    def load_json(self, data: Obj) -> None:
        """Replace the state with one saved by ``to_json``."""
        if data.get("format") != STATE_FORMAT:
            raise InvalidInputError(
                [FieldError("format", f"unsupported state format {data.get('format')!r}")],
                what="local cluster state",
            )
        with self._lock:
            self._store = Store.from_json(data.get("store", {}))
            state = SimState.from_json(data.get("simulation", {}))
            self._sim = Simulation(self._store, state, ready_delay=self._sim.ready_delay)
            self._gc = Collector(self._store, on_removed=self._removed)
            self.extras = dict(data.get("extras", {}))
