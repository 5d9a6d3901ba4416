"""Where one upgrade stands: UpgradeState, read from and written to its typed status operation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from weavefn.lifecycle.backup_schedule import PENDING
from weavefn.model.operations import (
    Operation,
    UpgradeDetails,
    UpgradeOperation,
    UpgradePhase,
)


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class UpgradeState:
    """Where one upgrade stands; round-trips through an UpgradeOperation in status."""

    phase: UpgradePhase
    source: str
    target: str
    replicas: int
    phase_started_at: datetime
    backup_id: str | None = None
    backend: str | None = None
    partition: int = 0
    """RollingOut: pods with ordinal >= partition run the target. RollingBack: the pod reverting."""
    lowest_rolled: int | None = None
    """The lowest ordinal that was given the target image (what a rollback must revert)."""
    step_started_at: datetime | None = None
    error: str | None = None
    template: str | None = None
    """The hash of the pod template being rolled (see UpgradeDetails.template)."""

    @classmethod
    def of(cls, operation: UpgradeOperation) -> UpgradeState:
        details = operation.details
        step = details.step_started_at
        return cls(
            phase=operation.phase,
            source=details.source,
            target=details.target,
            replicas=details.replicas,
            phase_started_at=parse_time(operation.phase_started_at),
            backup_id=details.backup_id,
            backend=details.backend,
            partition=details.partition,
            lowest_rolled=details.lowest_rolled,
            step_started_at=parse_time(step) if step else None,
            error=details.error,
            template=details.template,
        )

    def operation(self, *, started_at: str, message: str) -> UpgradeOperation:
        """The status operation that records this state (written before it is acted on)."""
        details = UpgradeDetails(
            source=self.source,
            target=self.target,
            replicas=self.replicas,
            partition=self.partition,
            backup_id=self.backup_id,
            backend=self.backend,
            lowest_rolled=self.lowest_rolled,
            step_started_at=stamp(self.step_started_at) if self.step_started_at else None,
            error=self.error,
            template=self.template,
        )
        return UpgradeOperation(
            phase=self.phase,
            started_at=started_at,
            phase_started_at=stamp(self.phase_started_at),
            message=message,
            details=details,
        )

    def to(self, phase: UpgradePhase, now: datetime, **changes: Any) -> UpgradeState:
        return replace(self, phase=phase, phase_started_at=now, **changes)


def upgrade_state(operation: Operation | None) -> UpgradeState | None:
    """The state of the upgrade in flight, if the operation in flight is a readable upgrade."""
    if isinstance(operation, UpgradeOperation):
        return UpgradeState.of(operation)
    return None


def progress_text(state: UpgradeState, backup: str | None) -> str:
    """``2/5 pods on 1.27.3, backup weavefn-pre-1-27-3-... SUCCESS`` for status and the CLI."""
    parts = []
    if state.phase in (UpgradePhase.ROLLING_OUT, UpgradePhase.VERIFYING):
        done = (
            state.replicas - state.partition - (1 if state.phase is UpgradePhase.ROLLING_OUT else 0)
        )
        parts.append(f"{done}/{state.replicas} pods on {state.target}")
    elif state.phase is UpgradePhase.ROLLING_BACK:
        parts.append(f"reverting pod {state.partition} to {state.source}")
    else:
        parts.append(f"{state.source} -> {state.target}")
    if state.backup_id:
        parts.append(f"backup {state.backup_id} {backup or PENDING}")
    if state.error:
        parts.append(state.error)
    return ", ".join(parts)
