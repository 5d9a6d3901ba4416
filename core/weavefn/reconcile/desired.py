"""What a pass renders for one cluster: every object, the StatefulSet as the pods' operation
allows it, and the pod template hash an operation records before it rolls."""

from __future__ import annotations

from weavefn import render
from weavefn.kube.port import Obj, ObjectRef
from weavefn.model.operations import TemplateRolloutOperation
from weavefn.model.resource import WeaviateCluster
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.template import Pin, hold, template_hash
from weavefn.render import PodAuth, Rollout


def statefulset_ref(ctx: ClusterContext) -> ObjectRef:
    meta = ctx.cluster.metadata
    return ObjectRef("apps/v1", "StatefulSet", meta.namespace, meta.name)


def running_version(ctx: ClusterContext) -> str:
    """What the pods run, not what the spec asks: only an upgrade moves them."""
    return ctx.status.current_version or ctx.cluster.spec.version


def pod_auth(ctx: ClusterContext) -> PodAuth:
    """Whether the pods guard the internal cluster API: what a rollout switching it moves to,
    else what status says they run; a cluster that predates status.clusterAuth runs open."""
    operation = ctx.status.operation
    if isinstance(operation, TemplateRolloutOperation) and operation.details.auth is not None:
        return PodAuth(operation.details.auth.target)
    if ctx.status.cluster_auth is not None:
        return PodAuth(ctx.status.cluster_auth.secret)
    if ctx.live.get(statefulset_ref(ctx)) is None:
        return PodAuth.for_new(ctx.cluster)
    return PodAuth(None)


def _as_running(ctx: ClusterContext) -> WeaviateCluster:
    running = running_version(ctx)
    cluster = ctx.cluster
    if running == cluster.spec.version:
        return cluster
    return cluster.model_copy(update={"spec": cluster.spec.model_copy(update={"version": running})})


def rendered_statefulset(
    ctx: ClusterContext, rollout: Rollout | None = None, *, auth: PodAuth | None = None
) -> Obj:
    """The StatefulSet as rendered now (no replicas), before any holding; rendered once per
    pass for each pin. ``auth``: another internal auth than the pods' (a switch to it)."""
    rollout = rollout or Rollout(running_version(ctx))
    auth = auth or pod_auth(ctx)
    key = (rollout.version, rollout.partition, auth.secret)
    if key not in ctx.rendered:
        ctx.rendered[key] = render.render_statefulset(
            _as_running(ctx),
            voters=ctx.status.voters,
            include_replicas=False,
            rollout=rollout,
            auth=auth,
        )
    return ctx.rendered[key]


def rendered_hash(ctx: ClusterContext, rollout: Rollout | None = None) -> str:
    """The hash of the pod template a rollout to ``rollout`` applies."""
    return template_hash(rendered_statefulset(ctx, rollout))


def desired_objects(ctx: ClusterContext, pin: Pin | None) -> list[Obj]:
    """Everything the cluster should have, in apply order; the StatefulSet as the operation in
    flight holds it.

    Without a pin the pods keep the version they run (an upgrade, not the renderer, moves
    them to spec.version), and a changed pod template is held back (reconcile/template.py).
    """
    statefulset = rendered_statefulset(ctx, pin.rollout if pin is not None else None)
    live = ctx.live.get(statefulset_ref(ctx))
    supporting = render.render_supporting(_as_running(ctx), voters=ctx.status.voters)
    return [*supporting, hold(statefulset, live, pin)]
