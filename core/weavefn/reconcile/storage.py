"""Volume changes a StatefulSet cannot take in place: grow PVCs, then re-create it orphaning pods."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from weavefn.conditions import ConditionReason, timestamp
from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import Obj, ObjectRef
from weavefn.model.operations import (
    ExpansionPhase,
    OperationKind,
    UnreadableOperation,
    VolumeExpansionDetails,
    VolumeExpansionOperation,
)
from weavefn.model.status import ConditionType
from weavefn.model.units import parse_quantity
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.followup import Wait, poll
from weavefn.reconcile.objects import claim_templates, create_statefulset


class StorageVerdict(StrEnum):
    UNCHANGED = "Unchanged"
    GROW = "Grow"
    SHRINK = "Shrink"
    CLASS_CHANGE = "ClassChange"


@dataclass(frozen=True)
class StorageChange:
    verdict: StorageVerdict
    live_size: str
    desired_size: str


def _claim(statefulset: Obj) -> tuple[str, str | None]:
    template = claim_templates(statefulset)[0]["spec"]
    return template["resources"]["requests"]["storage"], template.get("storageClassName")


def compare_storage(desired: Obj, live: Obj) -> StorageChange:
    """How the desired claim template differs from the live one (pure)."""
    if not claim_templates(live) or not claim_templates(desired):
        return StorageChange(StorageVerdict.UNCHANGED, "", "")
    (want, want_class), (have, have_class) = _claim(desired), _claim(live)
    if want_class != have_class:
        verdict = StorageVerdict.CLASS_CHANGE
    elif parse_quantity(want) > parse_quantity(have):
        verdict = StorageVerdict.GROW
    elif parse_quantity(want) < parse_quantity(have):
        verdict = StorageVerdict.SHRINK
    else:
        verdict = StorageVerdict.UNCHANGED
    return StorageChange(verdict, have, want)


def _matching(size: str) -> str:
    return f"volumes match spec.storage.size {size}"


def _refuse(ctx: ClusterContext, reason: ConditionReason, message: str) -> None:
    previous = ctx.status.condition(ConditionType.STORAGE)
    ctx.condition(ConditionType.STORAGE, status=False, reason=reason, message=message)
    if previous is None or previous.reason != reason:
        ctx.note(ClusterEvent(EventReason.STORAGE_REFUSED, message, EventType.WARNING))


def _expandable(ctx: ClusterContext, storage_class: str | None) -> bool:
    if storage_class is None:
        return False
    found = ctx.kube.get(ObjectRef("storage.k8s.io/v1", "StorageClass", None, storage_class))
    return bool(found and found.get("allowVolumeExpansion"))


def check_storage(ctx: ClusterContext, desired: Obj) -> None:
    """Start a volume expansion, or say with a condition why the change cannot be made."""
    live = ctx.live.get(ObjectRef.of(desired))
    if live is None or ctx.status.operation is not None:
        return
    change = compare_storage(desired, live)
    if change.verdict is StorageVerdict.UNCHANGED:
        if ctx.status.condition(ConditionType.STORAGE) is not None:
            ctx.condition(
                ConditionType.STORAGE,
                status=True,
                reason=ConditionReason.EXPANDABLE,
                message=_matching(change.desired_size),
            )
        return
    if change.verdict is StorageVerdict.SHRINK:
        _refuse(
            ctx,
            ConditionReason.SHRINK_REFUSED,
            f"spec.storage.size {change.desired_size} is below the live "
            f"{change.live_size}: volumes cannot shrink; set it back to {change.live_size}",
        )
        return
    if change.verdict is StorageVerdict.CLASS_CHANGE:
        _refuse(
            ctx,
            ConditionReason.CLASS_CHANGE_REFUSED,
            "spec.storage.storageClassName cannot change on a running cluster: "
            "migrate the data with a backup and restore into a new cluster",
        )
        return
    _, storage_class = _claim(live)
    if not _expandable(ctx, storage_class):
        _refuse(
            ctx,
            ConditionReason.EXPANSION_NOT_SUPPORTED,
            f"StorageClass {storage_class or '(default)'} does not set allowVolumeExpansion: "
            f"volumes stay at {change.live_size}",
        )
        return
    started = timestamp(ctx.now)
    ctx.status.operation = VolumeExpansionOperation(
        phase=ExpansionPhase.EXPANDING_CLAIMS,
        started_at=started,
        phase_started_at=started,
        message=f"growing volumes {change.live_size} -> {change.desired_size}",
        details=VolumeExpansionDetails(
            from_size=change.live_size,
            to_size=change.desired_size,
            replicas=live.get("spec", {}).get("replicas", 1),
        ),
    )
    ctx.note(ClusterEvent(EventReason.STORAGE_EXPANDING, ctx.status.operation.message))
    ctx.save_status()  # state first: every later step is idempotent and resumes from here


RELEASE_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8)
"""Pauses between looks for the old StatefulSet to go, within one pass (1.55 s at most)."""


def _released(ctx: ClusterContext, ref: ObjectRef, old_uid: str) -> bool:
    """Whether the deleted StatefulSet is gone (404, or a new uid) after a short wait.

    An orphan delete is asynchronous: the object stays, with ``deletionTimestamp`` and the
    ``orphan`` finalizer, until the garbage collector has released its pods. Creating the new
    one before that would apply to the old object, a 422 for the changed claim template.
    """
    for pause in (0.0, *RELEASE_WAITS):
        if pause:
            ctx.pause(pause)
        found = ctx.kube.get(ref)
        if found is None or found["metadata"].get("uid") != old_uid:
            return True
    return False


def advance_expansion(ctx: ClusterContext, desired: Obj, selector: dict[str, str]) -> bool:
    """Resume a volume expansion exactly where status says it stands.

    True while the old StatefulSet is still being deleted: the pass must not apply it, and a
    later pass creates the new one (the operation stays in status until then).
    """
    operation = ctx.status.operation
    if isinstance(operation, UnreadableOperation) and operation.is_kind(
        OperationKind.VOLUME_EXPANSION
    ):
        _abandon(ctx, operation)
        return False
    if not isinstance(operation, VolumeExpansionOperation):
        return False
    namespace = ctx.cluster.metadata.namespace
    target = operation.details.to_size
    if operation.phase == ExpansionPhase.EXPANDING_CLAIMS:
        for claim in ctx.kube.list_pvcs(namespace, selector):
            size = claim["spec"]["resources"]["requests"]["storage"]
            if parse_quantity(size) < parse_quantity(target):
                ctx.kube.patch_pvc_size(namespace, claim["metadata"]["name"], target)
                ctx.writes += 1
        operation = operation.model_copy(
            update={"phase": ExpansionPhase.RECREATING, "phase_started_at": timestamp(ctx.now)}
        )
        ctx.status.operation = operation
        ctx.save_status()
    ref = ObjectRef.of(desired)
    live = ctx.kube.get(ref)
    if live is not None and compare_storage(desired, live).verdict is StorageVerdict.GROW:
        if not live["metadata"].get("deletionTimestamp"):
            ctx.kube.delete(ref, propagation="Orphan")  # pods and volumes stay; data untouched
            ctx.writes += 1
        if not _released(ctx, ref, live["metadata"]["uid"]):
            waiting = "waiting for the garbage collector to release the old StatefulSet's pods"
            ctx.actions.append(waiting)
            ctx.check_again(poll(Wait.VOLUME, waiting, now=ctx.now))
            return True
        live = ctx.kube.get(ref)
    if live is None:
        create_statefulset(ctx, desired, operation.details.replicas)
    ctx.live.objects[ref] = ctx.kube.get(ref) or desired
    ctx.status.last_operation = operation.model_copy(
        update={"message": f"volumes grown to {target}"}
    )
    ctx.status.operation = None
    ctx.condition(
        ConditionType.STORAGE,
        status=True,
        reason=ConditionReason.EXPANDABLE,
        message=_matching(target),
    )
    ctx.note(ClusterEvent(EventReason.STORAGE_EXPANDED, f"volumes grown to {target}"))
    return False


def _abandon(ctx: ClusterContext, operation: UnreadableOperation) -> None:
    """An expansion whose saved state cannot be read: end it; the next pass compares again."""
    message = f"volume expansion abandoned: unreadable status.operation ({operation.problem})"
    ctx.status.last_operation = operation
    ctx.status.operation = None
    ctx.note(ClusterEvent(EventReason.STORAGE_REFUSED, message, EventType.WARNING))
    ctx.save_status()
