"""The lifecycle Steps every reconcile pass runs, and the rollout pin an upgrade imposes."""

from __future__ import annotations

from weavefn.lifecycle.backup import BackupScheduler
from weavefn.lifecycle.upgrade.rollout import UpgradePhase, UpgradePolicy
from weavefn.lifecycle.upgrade.step import Upgrader, upgrade_state
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.reconciler import Rollout, Step
from weavefn.weaviate.connect import WeaviateConnector
from weavefn.weaviate.port import WeaviateApi


def lifecycle_steps(
    *, weaviate: WeaviateConnector, policy: UpgradePolicy | None = None
) -> list[Step]:
    """The upgrade and backup steps, to run ``before`` the objects are applied."""

    def api_for(ctx: ClusterContext) -> WeaviateApi:
        return weaviate.for_cluster(ctx.cluster, ctx.live.pods)

    policy = policy or UpgradePolicy()
    return [Upgrader(api_for, policy=policy), BackupScheduler(api_for)]


def upgrade_pin(ctx: ClusterContext) -> Rollout | None:
    """The image version and partition an in-flight upgrade or rollback holds the StatefulSet to."""
    state = upgrade_state(ctx.status.operation)
    if state is None or state.phase.finished:
        return None
    if state.phase in (UpgradePhase.ROLLING_OUT, UpgradePhase.VERIFYING):
        partition = state.partition if state.phase is UpgradePhase.ROLLING_OUT else 0
        return Rollout(state.target, partition)
    if state.phase is UpgradePhase.ROLLING_BACK:
        return Rollout(state.source, state.partition)
    return Rollout(state.source, 0)  # Pending, BackingUp: nothing changes before the backup
