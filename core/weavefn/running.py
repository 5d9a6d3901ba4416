"""Running clusters as their platform would: schedule ticks and due follow-ups, until idle.

``weavefn run`` drives it, and so do the tests and benchmarks that need a platform: a tick
reconciles every cluster each ``period`` seconds; a follow-up is delivered when it is due
(plus ``delivery``, a modelled queue delay and cold start) as the ClusterTrigger a queue
function would receive. Follow-ups come from the backend's own queue when it keeps one (the
local cluster), else from each cluster's status.nextCheckAt (a real cluster, where the
platform's queue may deliver them too: passes are level-based, a second delivery does no
harm). On a backend with simulated time the clock is moved on to the next event instead of
waiting for it, so minutes of operations take a moment.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from weavefn.kube.paging import iter_pages
from weavefn.kube.port import KubeApi
from weavefn.model.keys import object_key
from weavefn.model.manifest import API_VERSION, KIND
from weavefn.reconcile.followup import parse_stamp
from weavefn.runtime import Runtime
from weavefn.triggers.model import ClusterTrigger, Outcome, ScheduleTrigger

SCHEDULE_PERIOD = 60.0
"""Seconds between schedule ticks: EventBridge's and Cloud Scheduler's finest period."""
OpenRuntime = Callable[[], AbstractContextManager[Runtime]]
BUDGET = 50.0


@dataclass(frozen=True)
class Fired:
    """One trigger the runner delivered and what came of it."""

    at: datetime
    trigger: str
    """``schedule`` or ``follow-up``."""
    outcome: Outcome


@dataclass(frozen=True)
class Turn:
    """One round: what was fired, what is still in flight, when the next event is."""

    now: datetime
    fired: tuple[Fired, ...]
    in_flight: dict[str, str]
    """``namespace/name`` -> why it is busy (its operation, or its next check)."""
    next_at: datetime
    states: dict[str, str] = field(default_factory=dict)
    """``namespace/name`` -> a line on where each cluster a trigger reached stands now."""


def describe(status: dict[str, object], now: datetime) -> str:
    """``Upgrading, Upgrade RollingOut: 1/3 pods on 1.28.5; next check in 11 s (PodReady)``."""
    parts = [str(status.get("phase") or "Pending")]
    operation = status.get("operation")
    if isinstance(operation, dict):
        text = f"{operation.get('kind')} {operation.get('phase')}"
        parts.append(f"{text}: {operation['message']}" if operation.get("message") else text)
    last = status.get("lastOperation")
    if not isinstance(operation, dict) and isinstance(last, dict):
        parts.append(f"last {last.get('kind')} {last.get('phase')}")
    at = parse_stamp(str(status.get("nextCheckAt") or ""))
    line = ", ".join(parts)
    if at is not None:
        wait = max(0.0, (at - now).total_seconds())
        why = str(status.get("nextCheckReason") or "").split(":", 1)[0]
        line += f"; next check in {wait:.0f} s" + (f" ({why})" if why else "")
    return line


def in_flight(kube: KubeApi) -> dict[str, str]:
    """Clusters with an operation or a follow-up pending, a page at a time."""
    busy: dict[str, str] = {}
    for page in iter_pages(kube.list_page, API_VERSION, KIND):
        for raw in page:
            status = raw.get("status") or {}
            operation = status.get("operation") or {}
            if operation:
                busy[object_key(raw)] = f"{operation.get('kind')} {operation.get('phase')}"
            elif status.get("nextCheckAt"):
                busy[object_key(raw)] = f"check at {status['nextCheckAt']}"
    return busy


def _status_checks(kube: KubeApi) -> list[tuple[datetime, str]]:
    found = []
    for page in iter_pages(kube.list_page, API_VERSION, KIND):
        for raw in page:
            at = parse_stamp((raw.get("status") or {}).get("nextCheckAt"))
            if at is not None:
                found.append((at, object_key(raw)))
    return sorted(found)


@dataclass
class Runner:
    """Delivers ticks and follow-ups to the runtimes ``open`` gives, one round at a time."""

    open: OpenRuntime
    period: float = SCHEDULE_PERIOD
    delivery: float = 0.0
    """Seconds a follow-up arrives after it is due (queue delay plus a cold start)."""
    sleep: Callable[[float], None] = time.sleep
    next_tick: datetime | None = None
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def round(self) -> tuple[Turn, bool]:
        """Fire what is due now, then move time on to the next event if the backend's time
        is simulated. Returns the round and whether the time was moved (else: sleep)."""
        with self.open() as runtime:
            service = runtime.service
            now = service.clock()
            fired: list[Fired] = []
            if self.next_tick is None or now >= self.next_tick:
                tick = ScheduleTrigger(f"run-tick-{next(self._ids)}", now)
                fired.append(Fired(now, "schedule", self._handle(runtime, tick)))
                self.next_tick = now + timedelta(seconds=self.period)
            for trigger in self._due(runtime, now):
                fired.append(Fired(now, "follow-up", self._handle(runtime, trigger)))
            busy = in_flight(runtime.kube)
            states = self._states(runtime, fired, now)
            upcoming = self._next_follow_up(runtime)
            next_at = self.next_tick
            if upcoming is not None:
                next_at = min(next_at, upcoming + timedelta(seconds=self.delivery))
            moved = False
            keeper = runtime.timekeeper
            if keeper is not None and next_at > now:
                keeper.advance((next_at - now).total_seconds())
                moved = True
        return Turn(now, tuple(fired), busy, next_at, states), moved

    @staticmethod
    def _states(runtime: Runtime, fired: list[Fired], now: datetime) -> dict[str, str]:
        from weavefn.errors import NotFoundError
        from weavefn.model.keys import split_key

        states = {}
        for key in sorted({k for f in fired for k in f.outcome.clusters}):
            try:
                raw = runtime.kube.get_cluster(*split_key(key))
            except NotFoundError:
                continue
            states[key] = describe(raw.get("status") or {}, now)
        return states

    def _handle(self, runtime: Runtime, trigger: ScheduleTrigger | ClusterTrigger) -> Outcome:
        return runtime.service.handle(trigger, deadline=time.monotonic() + BUDGET)

    def _due(self, runtime: Runtime, now: datetime) -> list[ClusterTrigger]:
        arrived = now - timedelta(seconds=self.delivery)
        if runtime.held is not None:
            return runtime.held.take_due(arrived)
        return [
            ClusterTrigger(key, f"run-check-{next(self._ids)}", "follow-up", due=at)
            for at, key in _status_checks(runtime.kube)
            if at <= arrived
        ]

    @staticmethod
    def _next_follow_up(runtime: Runtime) -> datetime | None:
        if runtime.held is not None:
            return runtime.held.next_due()
        checks = _status_checks(runtime.kube)
        return checks[0][0] if checks else None

    def wait(self, turn: Turn, *, limit: float) -> None:
        """On a real backend: sleep until the next event, at most ``limit`` seconds."""
        seconds = (turn.next_at - turn.now).total_seconds()
        if seconds > 0:
            self.sleep(min(seconds, max(0.0, limit)))
