"""Call recording and injected failures, so tests and benchmarks can count and break API calls.

Which call fails is a function of the seed and of the call itself (verb, kind, namespace,
name and how many times that same call came before), never of a shared random stream: calls
on different clusters can interleave in any order across threads and still draw the same
faults, so a seed fixes the fault schedule of a concurrent run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
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
class RecordedCall:
    """One API call as the server saw it."""

    verb: Verb
    kind: str
    namespace: str | None
    name: str | None


@dataclass(frozen=True)
class FaultRule:
    """Fail the next ``times`` calls matching ``verb``, ``kind`` and ``cluster`` (None: any).

    ``cluster`` (``ns/name``) narrows a rule to the calls about one cluster: its custom
    resource and every object named after it (``name``, ``name-headless``, ``name-0``, Events
    ``name.<id>``), so concurrent passes over other clusters cannot use it up.
    """

    fault: Fault = Fault.UNAVAILABLE
    verb: Verb | None = None
    kind: str | None = None
    times: int = 1
    cluster: str | None = None

    def matches(self, call: RecordedCall) -> bool:
        return (
            (self.verb is None or self.verb == call.verb)
            and (self.kind is None or self.kind == call.kind)
            and (self.cluster is None or _about(call, self.cluster))
        )


def _about(call: RecordedCall, cluster: str) -> bool:
    namespace, _, name = cluster.partition("/")
    if call.namespace != namespace or not call.name:
        return False
    return call.name == name or call.name.startswith((f"{name}-", f"{name}."))


@dataclass
class _Pending:
    rule: FaultRule
    left: int


def fault_error(fault: Fault, call: RecordedCall) -> WeavefnError:
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
        self.calls: list[RecordedCall] = []
        self.reads = 0
        self.writes = 0
        self.seed = seed
        self.fault_rate = 0.0
        self.random_fault = Fault.UNAVAILABLE
        self._epoch = 0
        """Counts fault-rate settings: the same call draws anew under each setting."""
        self._seen: Counter[RecordedCall] = Counter()
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

    def set_fault_rate(self, rate: float, fault: Fault) -> None:
        self.fault_rate, self.random_fault = rate, fault
        self._epoch += 1
        self._seen.clear()

    def _draw(self, call: RecordedCall) -> float:
        """A number in [0, 1) fixed by the seed, the setting and this call's occurrence."""
        occurrence = self._seen[call]
        self._seen[call] += 1
        key = f"{self.seed}|{self._epoch}|{call.verb}|{call.kind}|{call.namespace}|{call.name}"
        digest = hashlib.blake2b(f"{key}|{occurrence}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def record(self, call: RecordedCall) -> None:
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
        if self.fault_rate and self._draw(call) < self.fault_rate:
            raise fault_error(self.random_fault, call)
