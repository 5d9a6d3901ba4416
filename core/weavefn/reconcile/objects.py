"""Apply what is missing or drifted; the StatefulSet's replicas are never touched here."""

from __future__ import annotations

import copy
from typing import Any

from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import Obj, ObjectRef
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.drift import Drift, diff

SCALE_MANAGER = "weavefn-scaler"
"""Field manager that owns StatefulSet ``spec.replicas``.

The StatefulSet is created by this manager, replicas included; the reconcile path applies as
``weavefn`` without replicas. Server-side apply therefore never removes or resets replicas:
they belong to the scaling path alone (ARCHITECTURE.md principle 4).
"""


def claim_templates(statefulset: Obj) -> list[Any]:
    return list(statefulset.get("spec", {}).get("volumeClaimTemplates", []))


def _keep_live_claims(desired: Obj, live: Obj) -> Obj:
    """volumeClaimTemplates are immutable: storage changes go through the storage operation."""
    if claim_templates(desired) == claim_templates(live) or not claim_templates(live):
        return desired
    patched = copy.deepcopy(desired)
    patched["spec"]["volumeClaimTemplates"] = claim_templates(live)
    return patched


def create_statefulset(ctx: ClusterContext, statefulset: Obj, replicas: int) -> None:
    body = copy.deepcopy(statefulset)
    body["spec"]["replicas"] = replicas
    ctx.kube.apply(body, field_manager=SCALE_MANAGER, force=True)
    ctx.writes += 1


def _change_event(ctx: ClusterContext, ref: ObjectRef, drifts: list[Drift]) -> ClusterEvent:
    """A spec change or an operation step is news; a change nobody asked for is drift."""
    fields = ", ".join(d.path for d in drifts[:3]) + (" ..." if len(drifts) > 3 else "")
    asked = ctx.status.operation is not None or ctx.status.observed_generation != ctx.generation
    if asked:
        return ClusterEvent(EventReason.UPDATED, f"updated {ref} ({fields})")
    return ClusterEvent(EventReason.REPAIRED, f"repaired {ref} ({fields})", EventType.WARNING)


def _comparable(obj: Obj, live: Obj) -> Obj:
    return _keep_live_claims(obj, live) if obj["kind"] == "StatefulSet" else obj


def apply_objects(ctx: ClusterContext, desired: list[Obj], *, replicas: int) -> None:
    """Create what is missing and repair drift on the fields weavefn renders.

    Creations are reported in one Event (a new cluster would otherwise log a dozen); each
    repair gets its own, since drift is news.
    """
    created: list[str] = []
    for obj in desired:
        ref = ObjectRef.of(obj)
        live = ctx.live.get(ref)
        if live is None and obj["kind"] == "StatefulSet":
            create_statefulset(ctx, obj, replicas)
            created.append(f"{ref.kind} {ref.name} ({replicas} replicas)")
        elif live is None:
            ctx.kube.apply(obj)
            ctx.writes += 1
            created.append(f"{ref.kind} {ref.name}")
        elif drifts := diff(wanted := _comparable(obj, live), live):
            ctx.kube.apply(wanted)
            ctx.writes += 1
            ctx.note(_change_event(ctx, ref, drifts))
    if created:
        ctx.note(ClusterEvent(EventReason.CREATED, "created " + ", ".join(created)))


def plan_objects(ctx: ClusterContext, desired: list[Obj]) -> list[str]:
    """What apply_objects would change, one readable line a field; performs no write."""
    lines: list[str] = []
    for obj in desired:
        ref = ObjectRef.of(obj)
        live = ctx.live.get(ref)
        if live is None:
            lines.append(f"+ create {ref}")
        elif drifts := diff(_comparable(obj, live), live):
            lines.append(f"~ update {ref}")
            lines.extend(f"    {d}" for d in drifts)
    return lines
