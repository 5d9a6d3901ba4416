"""spec.replicas: the desired count without autoscaling, the starting count with it.

Without autoscaling, every pass brings the StatefulSet to ``spec.replicas``: up through the
scale subresource (field manager weavefn-scaler), down through the same Weaviate-safe drain as
autoscaling's, refused with the ScaleInBlocked condition when that is not safe. With
autoscaling on, ``spec.replicas`` only sets the count the StatefulSet is created with (it must
lie within [minReplicas, maxReplicas]: the model, the CRD and admission refuse anything else);
the autoscaler decides from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from weavefn.autoscale.executor import ScaleIn, ScaleInPath, current_replicas
from weavefn.conditions import ConditionReason
from weavefn.events import ClusterEvent, EventReason
from weavefn.model.operations import OperationKind
from weavefn.model.spec import WeaviateClusterSpec
from weavefn.model.status import ConditionType
from weavefn.reconcile.context import ClusterContext


class ReplicaSource(StrEnum):
    SPEC = "spec"
    AUTOSCALING = "autoscaling"


@dataclass(frozen=True)
class DesiredReplicas:
    """Who decides the replica count, and what to say about it."""

    source: ReplicaSource
    spec: int
    """spec.replicas: the desired count, or the count a new StatefulSet starts with."""

    def describe(self, live: int | None) -> str:
        """``5 (spec)`` or ``3 (autoscaling, spec 5 is the start)``."""
        if self.source is ReplicaSource.SPEC:
            return f"{self.spec} (spec)"
        now = self.spec if live is None else live
        return f"{now} (autoscaling, spec {self.spec} is the start)"


def desired_replicas(spec: WeaviateClusterSpec) -> DesiredReplicas:
    """Pure: where the replica count comes from for this spec."""
    scaling = spec.auto_scaling
    if scaling is None or not scaling.enabled:
        return DesiredReplicas(ReplicaSource.SPEC, spec.replicas)
    return DesiredReplicas(ReplicaSource.AUTOSCALING, spec.replicas)


class SpecReplicasStep:
    """Brings the StatefulSet to spec.replicas when autoscaling is off; a Step of every pass."""

    def __init__(self, scale_in: ScaleInPath) -> None:
        self.scale_in = scale_in

    def __call__(self, ctx: ClusterContext) -> None:
        desired = desired_replicas(ctx.cluster.spec)
        current = current_replicas(ctx)
        if desired.source is not ReplicaSource.SPEC or current is None:
            return
        wanted = desired.spec
        if wanted == current:
            self._clear_refusal(ctx, wanted)
            return
        operation = ctx.status.operation
        if operation is not None:
            if operation.kind is OperationKind.SCALE_IN_DRAIN:
                return  # the drain under way is this scale-in (or must end before the next)
            ctx.actions.append(f"spec.replicas {wanted} waits for {operation.kind} to finish")
            return
        if wanted > current:
            meta = ctx.cluster.metadata
            ctx.kube.patch_scale(meta.namespace, meta.name, wanted)
            ctx.writes += 1
            text = f"scaled {current} -> {wanted}: spec.replicas is {wanted}"
            ctx.note(ClusterEvent(EventReason.SCALED_UP, text, action="Scale"))
            self._clear_refusal(ctx, wanted)
            return
        self.scale_in(ctx, ScaleIn(wanted, f"spec.replicas is {wanted}"))

    @staticmethod
    def _clear_refusal(ctx: ClusterContext, wanted: int) -> None:
        """A refused scale-in that the spec no longer asks for is no longer blocked."""
        blocked = ctx.status.condition(ConditionType.SCALE_IN_BLOCKED)
        if blocked is not None and blocked.status == "True":
            ctx.condition(
                ConditionType.SCALE_IN_BLOCKED,
                status=False,
                reason=ConditionReason.SCALE_IN_ALLOWED,
                message=f"spec.replicas {wanted} needs no scale-in",
            )
