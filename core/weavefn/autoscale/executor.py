"""Act on the autoscaling decision inside a reconcile pass: scale out now, scale in only safely."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from weavefn.autoscale.decision import Action, Reason, ScaleDecision, evaluate
from weavefn.autoscale.history import decision_input, parse_time, recorded, scaled
from weavefn.autoscale.metrics.collect import collect
from weavefn.autoscale.metrics.port import Hint, Registry
from weavefn.conditions import ConditionReason
from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import ObjectRef
from weavefn.model.resource import PAUSED_ANNOTATION, PAUSED_REPLICAS_ANNOTATION
from weavefn.model.status import AutoscalingStatus, ConditionType
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.followup import Wait, follow_up_at

log = logging.getLogger("weavefn")
PENDING_SECONDS = 120
"""How long a recorded scale that the StatefulSet does not show yet is still carried out."""
PROCESSED_LIMIT = 50
"""Notification ids remembered for de-duplication; redeliveries arrive within minutes."""


@dataclass(frozen=True)
class ScaleIn:
    """A request to shrink a cluster, handed to the Weaviate-safe scale-in path."""

    target: int
    reason: str


ScaleInPath = Callable[[ClusterContext, ScaleIn], None]
"""Starts (or refuses, with a condition) a drain of the departing nodes."""


def current_replicas(ctx: ClusterContext) -> int | None:
    meta = ctx.cluster.metadata
    live = ctx.live.get(ObjectRef("apps/v1", "StatefulSet", meta.namespace, meta.name))
    return None if live is None else int(live.get("spec", {}).get("replicas", 1))


def _paused(ctx: ClusterContext) -> tuple[bool, int | None]:
    annotations = ctx.cluster.metadata.annotations
    pinned = annotations.get(PAUSED_REPLICAS_ANNOTATION)
    if pinned is not None and pinned.isdigit() and int(pinned) > 0:
        return True, int(pinned)
    return annotations.get(PAUSED_ANNOTATION, "").lower() == "true", None


class AutoscaleStep:
    """Evaluates autoscaling for one cluster and performs the result, once per notification."""

    def __init__(
        self,
        *,
        registry: Registry,
        scale_in: ScaleInPath,
        hint: Hint | None = None,
        hint_time: datetime | None = None,
        event_id: str | None = None,
    ) -> None:
        self.registry = registry
        self.scale_in = scale_in
        self.hint = hint
        self.hint_time = hint_time
        self.event_id = event_id

    def __call__(self, ctx: ClusterContext) -> None:
        spec = ctx.cluster.spec.auto_scaling
        current = current_replicas(ctx)
        if spec is None or not spec.enabled or current is None:
            return
        if self.event_id and self.event_id in ctx.status.autoscaling.processed_events:
            ctx.actions.append(f"notification {self.event_id} already handled")
            return
        current = self._complete_recorded_scale(ctx, current)
        paused, pinned = _paused(ctx)
        if paused:
            self._hold_paused(ctx, current=current, pinned=pinned)
            return
        hint = self._fresh_hint(ctx, current)
        snapshot = collect(ctx.cluster, registry=self.registry, hint=hint)
        cluster = ctx.cluster.model_copy(update={"status": ctx.status})
        decision = evaluate(
            decision_input(cluster, current=current, snapshot=snapshot, now=ctx.now)
        )
        ctx.decision, ctx.snapshot = decision, snapshot
        ctx.status.autoscaling = self._remember(
            recorded(ctx.status.autoscaling, decision), spec.failure_threshold
        )
        if ctx.status.operation is not None and decision.action in (
            Action.SCALE_UP,
            Action.SCALE_DOWN,
        ):
            ctx.condition(
                ConditionType.AUTOSCALING,
                status=False,
                reason=ConditionReason.AUTOSCALING_WAITING,
                message=f"{decision.message}; waiting for {ctx.status.operation.kind} to finish",
            )
            return
        ctx.condition(
            ConditionType.AUTOSCALING,
            status=True,
            reason=ConditionReason.AUTOSCALING_ACTIVE,
            message=decision.message,
        )
        if spec.mode == "RecommendOnly":
            return
        if decision.recheck_at is not None:
            # held back by a rate policy or a stabilization window: look again when it lifts
            wait = Wait.RATE_LIMIT if decision.reason is Reason.RATE_LIMITED else Wait.STABILIZATION
            ctx.check_again(follow_up_at(decision.recheck_at, wait, decision.message, now=ctx.now))
        if decision.action is Action.SCALE_UP:
            self._scale(ctx, decision)
        elif decision.action is Action.SCALE_DOWN:
            self.scale_in(ctx, ScaleIn(decision.replicas, decision.message))

    def _fresh_hint(self, ctx: ClusterContext, current: int) -> Hint | None:
        """The alarm's observation, unless the cluster was scaled after it was made."""
        if self.hint is None:
            return None
        last_scale = ctx.status.autoscaling.last_scale_time
        scaled_at = parse_time(last_scale) if last_scale else None
        if scaled_at is not None and self.hint_time is not None and scaled_at >= self.hint_time:
            ctx.actions.append("alarm value predates the last scale: not used")
            return None
        return self.hint.for_cluster(current)

    def _complete_recorded_scale(self, ctx: ClusterContext, current: int) -> int:
        """Finish a scale that status records but the StatefulSet does not show yet.

        The intent is written before the scale call, so a pass that crashed in between, or a
        rival pass that lost the status race while the winner was still calling, finds it here
        and carries it out instead of deciding (and reporting) the same scale again.
        """
        autoscaling = ctx.status.autoscaling
        last = autoscaling.scale_events[-1] if autoscaling.scale_events else None
        if last is None or last.time != autoscaling.last_scale_time or last.replicas == current:
            return current
        recorded_at = parse_time(last.time)
        if recorded_at is None or (ctx.now - recorded_at).total_seconds() > PENDING_SECONDS:
            return current  # long past: the live count is the truth (someone scaled by hand)
        meta = ctx.cluster.metadata
        ctx.kube.patch_scale(meta.namespace, meta.name, last.replicas)
        ctx.writes += 1
        ctx.actions.append(f"completed the recorded scale to {last.replicas}")
        return last.replicas

    def _remember(self, status: AutoscalingStatus, threshold: int) -> AutoscalingStatus:
        # A capped failure count keeps status still while metrics stay unreadable.
        failures = min(status.consecutive_metric_failures, threshold)
        processed = list(status.processed_events)
        if self.event_id and self.event_id not in processed:
            processed = [*processed, self.event_id][-PROCESSED_LIMIT:]
        return status.model_copy(
            update={"consecutive_metric_failures": failures, "processed_events": processed}
        )

    def _scale(self, ctx: ClusterContext, decision: ScaleDecision) -> None:
        """Scale out through the scale subresource; status first, so a rival pass backs off."""
        meta = ctx.cluster.metadata
        spec = ctx.cluster.spec.auto_scaling
        assert spec is not None
        ctx.status.autoscaling = scaled(
            ctx.status.autoscaling,
            spec=spec,
            replicas=decision.replicas,
            change=decision.change,
            now=ctx.now,
        )
        ctx.save_status()
        ctx.kube.patch_scale(meta.namespace, meta.name, decision.replicas)
        ctx.writes += 1
        text = f"scaled {decision.current} -> {decision.replicas}: {decision.message}"
        ctx.note(ClusterEvent(EventReason.SCALED_UP, text, action="Scale"))
        log.info(
            "scale",
            extra={
                "cluster": ctx.key,
                "from": decision.current,
                "to": decision.replicas,
                "metric": str(decision.metric),
                "observed": decision.observed,
                "target": decision.target,
                "rule": str(decision.reason),
            },
        )

    def _hold_paused(self, ctx: ClusterContext, *, current: int, pinned: int | None) -> None:
        message = "autoscaling paused by annotation"
        if pinned is not None and pinned != current:
            message = f"paused at {pinned} replicas by annotation"
            if pinned > current:
                meta = ctx.cluster.metadata
                ctx.kube.patch_scale(meta.namespace, meta.name, pinned)
                ctx.writes += 1
                ctx.note(
                    ClusterEvent(
                        EventReason.SCALED_UP,
                        f"scaled {current} -> {pinned}: {message}",
                        action="Scale",
                    )
                )
            else:
                self.scale_in(ctx, ScaleIn(pinned, message))
        ctx.condition(
            ConditionType.AUTOSCALING,
            status=False,
            reason=ConditionReason.AUTOSCALING_PAUSED,
            message=message,
        )


def refuse_scale_in(ctx: ClusterContext, request: ScaleIn) -> None:
    """The scale-in path when no safe drain is possible: refuse, and say why, once."""
    message = f"scale-in to {request.target} refused: no safe drain available ({request.reason})"
    previous = ctx.status.condition(ConditionType.SCALE_IN_BLOCKED)
    ctx.condition(
        ConditionType.SCALE_IN_BLOCKED,
        status=True,
        reason=ConditionReason.VERSION_UNSUPPORTED,
        message=message,
    )
    if previous is None or previous.status != "True":
        ctx.note(ClusterEvent(EventReason.SCALE_IN_BLOCKED, message, EventType.WARNING))
