"""The InternalAuthCurrent condition's reasons, and the condition once pods match the spec."""

from __future__ import annotations

from enum import StrEnum

from weavefn.model.status import ConditionType
from weavefn.reconcile.context import ClusterContext


class AuthReason(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    ROLLOUT_REQUIRED = "RolloutRequired"
    SWITCHING = "Switching"
    CREDENTIALS_MISSING = "SecretMissing"


def auth_current(ctx: ClusterContext, secret: str | None) -> None:
    """The pods run the internal auth the spec asks for."""
    if secret is None:
        reason, message = AuthReason.DISABLED, "internal cluster API open (spec.internalAuth)"
    else:
        reason, message = AuthReason.ENABLED, f"internal cluster API guarded by Secret {secret}"
    ctx.condition(ConditionType.INTERNAL_AUTH, status=True, reason=reason, message=message)
