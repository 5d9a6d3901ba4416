"""Basic auth on Weaviate's internal cluster API: the Secret generated once per cluster, and the
rollout that switches a running cluster's pods to it (or off, or to another Secret).

Weaviate guards the data port's cluster API (shards, replicas, backups, nodes; the Raft
join/remove routes once they moved there and gained it) and its internal gRPC services (file
copies, replication) with CLUSTER_BASIC_AUTH_USERNAME and _PASSWORD (adapters/handlers/rest/clusterapi/
serve.go, auth.go, grpc/server.go; weavefn.weaviate.internal_api has the releases). Nothing on
the public port that weavefn calls changes. A node with them refuses every internal call without
them (or with other ones), and one without them checks nothing: while a running cluster
switches, guarded pods refuse the others' calls (cross-node queries, replicated writes and
status fan-outs fail, and the fan-outs report those nodes UNAVAILABLE). So a new cluster starts guarded, and a running one switches only when
annotated ``weaviate.io/cluster-auth-rollout`` with the Secret it switches to (or ``off``),
through a pod-template rollout that says so; until then a condition says why it waits.

The Secret is created once, with a create call (an existing one is left exactly as it is), so
its credentials are never rewritten or rotated behind the pods' back; it is immutable. Rotating
means naming another Secret in spec.internalAuth.secretName: the same annotated rollout. The
credentials never leave the API server through weavefn: they are generated here, sent once in
the create call, and the pods read them by secretKeyRef.
"""

from __future__ import annotations

import base64
import secrets

from weavefn.events import ClusterEvent, EventReason, EventType
from weavefn.kube.port import Obj
from weavefn.lifecycle.auth_status import AuthReason, auth_current
from weavefn.lifecycle.template.decide import Proposal, StartDecision, StartVerdict
from weavefn.lifecycle.template.step import start_rollout
from weavefn.model.operations import AuthSwitch, TemplateRolloutOperation
from weavefn.model.status import ClusterAuthStatus, ConditionType
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.desired import rendered_statefulset, statefulset_ref
from weavefn.reconcile.template import describe_changes, live_partition, template_hash
from weavefn.render import PodAuth, cluster_auth_secret_name
from weavefn.render.labels import Component, common_labels, object_meta

ROLLOUT_ANNOTATION = "weaviate.io/cluster-auth-rollout"
"""Its value accepts one switch of a running cluster: the Secret switched to, or ``off``."""
OFF = "off"
_CONFIG_ERROR = "CreateContainerConfigError"


def cluster_auth_secret(ctx: ClusterContext, name: str) -> Obj:
    """A new Secret with random credentials (never logged: only its name is ever reported)."""
    values = {
        "username": f"weaviate-{secrets.token_hex(4)}",
        "password": secrets.token_urlsafe(32),
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": object_meta(ctx.cluster, name, common_labels(ctx.cluster, Component.DATABASE)),
        "type": "Opaque",
        # Rotation is a new Secret and a rollout; this one's values never change.
        "immutable": True,
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def _missing(ctx: ClusterContext, secret: str) -> str | None:
    """A pod that cannot start because ``secret`` is gone, as its kubelet reports it."""
    for pod in ctx.live.pods:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (status.get("state") or {}).get("waiting") or {}
            message = str(waiting.get("message") or "")
            if waiting.get("reason") == _CONFIG_ERROR and f'secret "{secret}"' in message:
                return str(pod["metadata"]["name"])
    return None


class ClusterAuthStep:
    """Keeps the pods' internal auth as spec.internalAuth asks, within the rules above;
    ``can_switch`` False where no rollout can run (no way to reach Weaviate)."""

    def __init__(self, *, can_switch: bool = True) -> None:
        self.can_switch = can_switch

    def __call__(self, ctx: ClusterContext) -> None:
        wanted = PodAuth.for_new(ctx.cluster).secret
        recorded = ctx.status.cluster_auth
        if recorded is None:
            if ctx.live.get(statefulset_ref(ctx)) is None:  # a new cluster starts guarded
                self._ensure_secret(ctx, wanted)
                created = ctx.status.cluster_auth.created if ctx.status.cluster_auth else None
                ctx.status.cluster_auth = ClusterAuthStatus(secret=wanted, created=created)
                auth_current(ctx, wanted)
                return
            # It predates this setting: its pods run with the internal API open.
            recorded = ctx.status.cluster_auth = ClusterAuthStatus(secret=None)
        operation = ctx.status.operation
        if isinstance(operation, TemplateRolloutOperation) and operation.details.auth is not None:
            ctx.condition(
                ConditionType.INTERNAL_AUTH,
                status=False,
                reason=AuthReason.SWITCHING,
                message=self._switch_text(operation.details.auth) + ": rolling out; until the "
                "last pod has restarted, nodes with and without the credentials refuse each "
                "other's internal calls",
            )
            return
        running = recorded.secret
        if running is not None and (pod := _missing(ctx, running)) is not None:
            self._secret_missing(ctx, running, pod)
            return
        if wanted == running:
            auth_current(ctx, wanted)
            return
        approval = ctx.cluster.metadata.annotations.get(ROLLOUT_ANNOTATION, "").strip()
        if self.can_switch and operation is None and approval == (wanted or OFF):
            self._ensure_secret(ctx, wanted)
            self._switch(ctx, AuthSwitch(source=running, target=wanted))
            return
        self._require_rollout(ctx, running, wanted)

    # the Secret

    def _ensure_secret(self, ctx: ClusterContext, name: str | None) -> None:
        """Create the generated Secret unless status says it was; never rewrite it."""
        if name is None or name != cluster_auth_secret_name(ctx.cluster):
            return  # named in the spec: the user's Secret, not ours to create
        recorded = ctx.status.cluster_auth
        if recorded is not None and recorded.created == name:
            return
        if ctx.kube.create(cluster_auth_secret(ctx, name)):
            ctx.writes += 1
            ctx.note(
                ClusterEvent(
                    EventReason.CLUSTER_AUTH_GENERATED,
                    f"created Secret {name} with generated credentials for the internal "
                    "cluster API",
                )
            )
        secret = recorded.secret if recorded is not None else None
        ctx.status.cluster_auth = ClusterAuthStatus(secret=secret, created=name)

    # the switch

    @staticmethod
    def _switch_text(switch: AuthSwitch) -> str:
        if switch.source is None:
            return f"switching internal auth on (Secret {switch.target})"
        if switch.target is None:
            return f"switching internal auth off (Secret {switch.source})"
        return f"switching internal auth from Secret {switch.source} to {switch.target}"

    def _switch(self, ctx: ClusterContext, switch: AuthSwitch) -> None:
        live = ctx.live.get(statefulset_ref(ctx)) or {}
        rendered = rendered_statefulset(ctx, auth=PodAuth(switch.target))
        proposal = Proposal(
            template_hash(rendered), tuple(describe_changes(rendered, live)), live_partition(live)
        )
        decision = StartDecision(StartVerdict.APPROVED, proposal.template, proposal.changes)
        start_rollout(ctx, decision, auth=switch)
        ctx.condition(
            ConditionType.INTERNAL_AUTH,
            status=False,
            reason=AuthReason.SWITCHING,
            message=self._switch_text(switch) + ": rollout started",
        )

    def _require_rollout(
        self, ctx: ClusterContext, running: str | None, wanted: str | None
    ) -> None:
        value = wanted or OFF
        now = "open" if running is None else f"guarded by Secret {running}"
        message = (
            f"the pods' internal cluster API is {now}, the spec asks "
            f"{'for Secret ' + wanted if wanted else 'for none'}: switching a running cluster "
            "restarts every pod, and until the last has restarted, nodes with and without the "
            "credentials refuse each other (cross-node queries and replicated writes fail); "
            f"annotate {ROLLOUT_ANNOTATION}={value} to accept that"
        )
        previous = ctx.status.condition(ConditionType.INTERNAL_AUTH)
        if previous is None or previous.message != message:
            ctx.note(
                ClusterEvent(
                    EventReason.CLUSTER_AUTH_PENDING, message, EventType.WARNING, action="Auth"
                )
            )
        ctx.condition(
            ConditionType.INTERNAL_AUTH,
            status=False,
            reason=AuthReason.ROLLOUT_REQUIRED,
            message=message,
        )

    def _secret_missing(self, ctx: ClusterContext, secret: str, pod: str) -> None:
        message = (
            f"Secret {secret} with the internal cluster API's credentials is gone: {pod} cannot "
            "start. Recreate it with the same username and password; weavefn does not generate "
            "new ones while other pods run with the old (they would refuse each other). To "
            "start over with new credentials, name a new Secret in spec.internalAuth.secretName"
        )
        previous = ctx.status.condition(ConditionType.INTERNAL_AUTH)
        if previous is None or previous.reason != AuthReason.CREDENTIALS_MISSING:
            ctx.note(
                ClusterEvent(
                    EventReason.CLUSTER_AUTH_MISSING,
                    message,
                    EventType.WARNING,
                    action="Auth",
                )
            )
        ctx.condition(
            ConditionType.INTERNAL_AUTH,
            status=False,
            reason=AuthReason.CREDENTIALS_MISSING,
            message=message,
        )
