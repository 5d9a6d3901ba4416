"""The soak's invariants: each a small check over the local cluster that returns violations.

Checks read through LocalKube's unrecorded conveniences (``list``, ``list_events``), so they
are never hit by injected faults and never count as API calls of the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from weavefn.local.followups import FOLLOW_UPS_KEY
from weavefn.local.kube import LocalKube
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.connector import sims
from weavefn.model.operations import OperationKind
from weavefn.model.resource import API_VERSION, KIND

Obj = dict[str, Any]
ENDED_UPGRADE = frozenset({"Succeeded", "RolledBack"})
MOVING = frozenset({OperationKind.SCALE_IN_DRAIN.value, OperationKind.REBALANCE.value})
ROLLING = frozenset({OperationKind.UPGRADE, OperationKind.POD_TEMPLATE_ROLLOUT})
"""The operations that step a StatefulSet's partition (an upgrade, a pod-template rollout)."""


class Invariant(StrEnum):
    REPLICA_BOUNDS = "replicas within [max(minReplicas, voters), maxReplicas]"
    NO_DATA_LOST = "no node holding shard replicas is removed"
    OPERATION_DESCRIBED = "an in-flight operation is described by status"
    UPGRADE_ENDED = "every upgrade ends Succeeded or RolledBack"
    NO_SECRET_LEAKED = "no secret value in logs, Events, status or errors"
    FOLLOW_UP_DUE = "every in-flight operation has a follow-up due"


@dataclass(frozen=True)
class Violation:
    invariant: Invariant
    cluster: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.invariant.name}] {self.cluster}: {self.detail}"


def _key(raw: Obj) -> str:
    return f"{raw['metadata']['namespace']}/{raw['metadata']['name']}"


def clusters(kube: LocalKube) -> list[Obj]:
    return kube.list(API_VERSION, KIND)


def statefulsets(kube: LocalKube) -> dict[str, Obj]:
    return {_key(s): s for s in kube.list("apps/v1", "StatefulSet")}


def replica_bounds(kube: LocalKube) -> list[Violation]:
    """An autoscaled StatefulSet never runs fewer than max(minReplicas, voters) or more than max."""
    found: list[Violation] = []
    sets = statefulsets(kube)
    for raw in clusters(kube):
        scaling = (raw.get("spec") or {}).get("autoScaling") or {}
        sts = sets.get(_key(raw))
        if not scaling.get("enabled") or sts is None:
            continue
        voters = len((raw.get("status") or {}).get("voters") or [])
        low = max(int(scaling.get("minReplicas", 1)), voters)
        high = int(scaling.get("maxReplicas", 10))
        replicas = int(sts["spec"]["replicas"])
        if not low <= replicas <= high:
            found.append(
                Violation(Invariant.REPLICA_BOUNDS, _key(raw), f"{replicas} not in [{low}, {high}]")
            )
    return found


def simulations(kube: LocalKube) -> dict[str, EmbeddedWeaviate]:
    return {
        key: EmbeddedWeaviate.from_dict(saved, clock=kube.clock)
        for key, saved in sims(kube).items()
    }


def no_data_lost(kube: LocalKube) -> list[Violation]:
    """Weaviate's own record: no node left the cluster while it held a shard replica."""
    return [
        Violation(
            Invariant.NO_DATA_LOST,
            key,
            f"{lost.node} left holding {lost.collection}/{lost.shard}"
            + (" (last copy)" if lost.last_copy else ""),
        )
        for key, sim in simulations(kube).items()
        for lost in sim.lost_replicas()
    ]


def operations_described(kube: LocalKube) -> list[Violation]:
    """Work under way in the cluster or in Weaviate has a status.operation that says so."""
    found: list[Violation] = []
    sets = statefulsets(kube)
    moving = {
        key: [op for op in sim.state.ops if op.final is None]
        for key, sim in simulations(kube).items()
    }
    for raw in clusters(kube):
        key = _key(raw)
        operation = (raw.get("status") or {}).get("operation") or {}
        kind = operation.get("kind")
        sts = sets.get(key)
        strategy = ((sts or {}).get("spec") or {}).get("updateStrategy") or {}
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        if partition > 0 and kind not in ROLLING:
            found.append(
                Violation(
                    Invariant.OPERATION_DESCRIBED,
                    key,
                    f"rollout held at partition {partition} with operation {kind or 'none'}",
                )
            )
        unfinished = moving.get(key, [])
        if unfinished and kind not in MOVING:
            found.append(
                Violation(
                    Invariant.OPERATION_DESCRIBED,
                    key,
                    f"{len(unfinished)} replica movement(s) running with operation "
                    f"{kind or 'none'}",
                )
            )
    return found


def upgrades_ended(kube: LocalKube, upgraded: Iterable[str]) -> list[Violation]:
    """After the run settles, each cluster asked to upgrade is Succeeded or RolledBack."""
    by_key = {_key(raw): raw for raw in clusters(kube)}
    sets = statefulsets(kube)
    found: list[Violation] = []
    for key in sorted(set(upgraded)):
        status = (by_key.get(key) or {}).get("status") or {}
        current = status.get("operation") or {}
        if current.get("kind") == OperationKind.UPGRADE:
            found.append(Violation(Invariant.UPGRADE_ENDED, key, f"still {current.get('phase')}"))
            continue
        last = status.get("lastOperation") or {}
        if last.get("kind") != OperationKind.UPGRADE or last.get("phase") in ENDED_UPGRADE:
            continue
        if last.get("phase") == "Failed" and _image_unchanged(sets.get(key), last):
            continue  # refused before any pod changed (backup failed): nothing to roll back
        found.append(Violation(Invariant.UPGRADE_ENDED, key, f"ended {last.get('phase')}"))
    return found


def _image_unchanged(sts: Obj | None, operation: Obj) -> bool:
    source = (operation.get("details") or {}).get("from")
    containers = (((sts or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    images = [c.get("image", "") for c in containers.get("containers", [])]
    return bool(source) and any(image.endswith(f":{source}") for image in images)


def no_secret_leaked(
    kube: LocalKube, canaries: Iterable[str], *, texts: Iterable[str] = ()
) -> list[Violation]:
    """No canary secret value in Events, any cluster's status, or the given logs and errors."""
    places: list[tuple[str, str]] = [
        (f"Event {e['metadata']['name']}", json.dumps(e)) for e in kube.list_events()
    ]
    places += [
        (f"status of {_key(raw)}", json.dumps(raw.get("status") or {})) for raw in clusters(kube)
    ]
    places += [("log or error", text) for text in texts]
    return [
        Violation(Invariant.NO_SECRET_LEAKED, where, "contains a canary secret value")
        for where, text in places
        for canary in canaries
        if canary in text
    ]


EVERY_CLUSTER = "*"


def follow_ups_due(
    kube: LocalKube,
    *,
    in_transit: Iterable[tuple[str, str]] = (),
    recovering: frozenset[str] = frozenset(),
) -> list[Violation]:
    """Each cluster with an operation in flight records status.nextCheckAt, and a follow-up
    for that time is queued or on its way back (``in_transit``: ``(cluster, due)`` of
    deliveries the platform is retrying).

    ``recovering``: clusters (EVERY_CLUSTER for all) whose pass failed with a retryable error
    and whose trigger the platform is redelivering, or gave up on until the next schedule
    tick: such a pass may have saved an operation mid-way and never reached its follow-up.
    """
    queued = {(m.get("cluster"), m.get("due")) for m in kube.extras.get(FOLLOW_UPS_KEY, [])}
    queued |= set(in_transit)
    if EVERY_CLUSTER in recovering:
        return []
    found: list[Violation] = []
    for raw in clusters(kube):
        status = raw.get("status") or {}
        operation = status.get("operation") or {}
        if not operation or _key(raw) in recovering:
            continue
        key, at = _key(raw), status.get("nextCheckAt")
        what = f"{operation.get('kind')} {operation.get('phase')}"
        if not at:
            found.append(Violation(Invariant.FOLLOW_UP_DUE, key, f"{what} with no nextCheckAt"))
        elif (key, at) not in queued:
            found.append(
                Violation(Invariant.FOLLOW_UP_DUE, key, f"{what}: nothing queued for {at}")
            )
    return found


def during_run(
    kube: LocalKube,
    *,
    in_transit: Iterable[tuple[str, str]] = (),
    recovering: frozenset[str] = frozenset(),
) -> list[Violation]:
    """What must hold after every step, whatever the faults."""
    return [
        *replica_bounds(kube),
        *no_data_lost(kube),
        *operations_described(kube),
        *follow_ups_due(kube, in_transit=in_transit, recovering=recovering),
    ]
