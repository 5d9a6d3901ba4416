"""Where one pod-template rollout stands: read from and written to its typed status operation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from weavefn.lifecycle.upgrade.state import parse_time, stamp
from weavefn.model.operations import (
    AuthSwitch,
    Operation,
    TemplateRolloutDetails,
    TemplateRolloutOperation,
    TemplateRolloutPhase,
)


@dataclass(frozen=True)
class TemplateState:
    """Where one rollout stands; round-trips through a TemplateRolloutOperation in status."""

    phase: TemplateRolloutPhase
    template: str
    """The hash of the pod template being rolled."""
    replicas: int
    partition: int
    phase_started_at: datetime
    step_started_at: datetime | None = None
    changes: tuple[str, ...] = field(default_factory=tuple)
    auth: AuthSwitch | None = None
    reason: str = ""
    error: str | None = None

    @property
    def switches_auth(self) -> bool:
        return self.auth is not None and self.auth.source != self.auth.target

    @classmethod
    def of(cls, operation: TemplateRolloutOperation) -> TemplateState:
        details = operation.details
        step = details.step_started_at
        return cls(
            phase=operation.phase,
            template=details.template,
            replicas=details.replicas,
            partition=details.partition,
            phase_started_at=parse_time(operation.phase_started_at),
            step_started_at=parse_time(step) if step else None,
            changes=tuple(details.changes),
            auth=details.auth,
            reason=details.reason,
            error=details.error,
        )

    def operation(self, *, started_at: str, message: str) -> TemplateRolloutOperation:
        details = TemplateRolloutDetails(
            template=self.template,
            changes=list(self.changes),
            replicas=self.replicas,
            partition=self.partition,
            step_started_at=stamp(self.step_started_at) if self.step_started_at else None,
            auth=self.auth,
            reason=self.reason,
            error=self.error,
        )
        return TemplateRolloutOperation(
            phase=self.phase,
            started_at=started_at,
            phase_started_at=stamp(self.phase_started_at),
            message=message,
            details=details,
        )

    def to(self, phase: TemplateRolloutPhase, now: datetime, **changes: Any) -> TemplateState:
        return replace(self, phase=phase, phase_started_at=now, **changes)

    def progress(self) -> str:
        """``1/3 pods on template 4f1c2a9b0e (env GOMAXPROCS added, ...)``."""
        done = self.replicas - self.partition
        if self.phase is TemplateRolloutPhase.ROLLING_OUT:
            done -= 1
        done = max(done, 0)
        what = ", ".join(self.changes[:4]) + (" ..." if len(self.changes) > 4 else "")
        text = f"{done}/{self.replicas} pods on template {self.template}"
        return f"{text} ({what})" if what else text


def template_state(operation: Operation | None) -> TemplateState | None:
    if isinstance(operation, TemplateRolloutOperation):
        return TemplateState.of(operation)
    return None
