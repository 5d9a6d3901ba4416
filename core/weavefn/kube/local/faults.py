"""Call recording and injected failures, so tests and benchmarks can count and break API calls."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from weavefn.errors import ConflictError, UnavailableError, WeavefnError


class Verb(StrEnum):
    GET = "get"
    LIST = "list"
    CREATE = "create"
    APPLY = "apply"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"

    @property
    def is_read(self) -> bool:
        return self in (Verb.GET, Verb.LIST)


class Fault(StrEnum):
    UNAVAILABLE = "unavailable"
    """A 5xx answer."""
    TIMEOUT = "timeout"
    """No answer in time."""
    CONFLICT = "conflict"
    """A 409, as if another writer got there first."""


@dataclass(frozen=True)
class Call:
    """One API call as the server saw it."""

    verb: Verb
    kind: str
    namespace: str | None
    name: str | None


@dataclass(frozen=True)
class FaultRule:
    """Fail the next ``times`` calls matching ``verb`` and ``kind`` (None matches any)."""

    fault: Fault = Fault.UNAVAILABLE
    verb: Verb | None = None
    kind: str | None = None
    times: int = 1

    def matches(self, call: Call) -> bool:
        return (self.verb is None or self.verb == call.verb) and (
            self.kind is None or self.kind == call.kind
        )


@dataclass
class _Pending:
    rule: FaultRule
    left: int


def fault_error(fault: Fault, call: Call) -> WeavefnError:
    where = f"{call.verb} {call.kind} {call.namespace or ''}/{call.name or ''}".rstrip("/")
    if fault is Fault.CONFLICT:
        return ConflictError(f"injected conflict on {where}: the object has been modified")
    if fault is Fault.TIMEOUT:
        return UnavailableError(f"injected timeout on {where}: the API server did not answer")
    return UnavailableError(f"injected 503 on {where}: the API server is unavailable")


class CallLog:
    """Every call in order, read/write counters and the pending fault rules. Not thread-safe:
    the server calls it under its lock."""

    def __init__(self, *, seed: int = 0) -> None:
        self.calls: list[Call] = []
        self.reads = 0
        self.writes = 0
        self.fault_rate = 0.0
        self.random_fault = Fault.UNAVAILABLE
        self._random = random.Random(seed)  # nosec B311 # reproducible fault injection
        self._pending: list[_Pending] = []

    def reset(self) -> None:
        self.calls.clear()
        self.reads = self.writes = 0

    def add(self, rule: FaultRule) -> None:
        if rule.times < 1:
            raise ValueError("a fault rule must fire at least once")
        self._pending.append(_Pending(rule, rule.times))

    def clear_faults(self) -> None:
        self._pending.clear()
        self.fault_rate = 0.0

    def record(self, call: Call) -> None:
        """Count the call, then raise the fault it is due, if any."""
        self.calls.append(call)
        if call.verb.is_read:
            self.reads += 1
        else:
            self.writes += 1
        for pending in self._pending:
            if pending.rule.matches(call):
                pending.left -= 1
                self._pending = [p for p in self._pending if p.left > 0]
                raise fault_error(pending.rule.fault, call)
        if self.fault_rate and self._random.random() < self.fault_rate:
            raise fault_error(self.random_fault, call)
