"""Where one restore stands: RestoreState, read from and written to its status operation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from weavefn.conditions import timestamp
from weavefn.lifecycle.restore.checks import RestoreAsk
from weavefn.model.operations import (
    RestoreDetails,
    RestoreOperation,
    RestorePhase,
    RestoreStage,
)


class RestoreSource(StrEnum):
    REQUEST = "request"
    """``weavefn restore`` or a signed CI/CD request."""
    SPEC = "spec.restoreFrom"
    """The backup the cluster was created from."""


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class RestoreState:
    """One restore; round-trips through a RestoreOperation in status."""

    phase: RestorePhase
    stage: RestoreStage
    ask: RestoreAsk
    started_at: datetime
    phase_started_at: datetime
    source: str = RestoreSource.REQUEST
    version: str | None = None
    classes: tuple[str, ...] = field(default=())
    weaviate_status: str | None = None
    attempts: int = 0
    error: str | None = None

    @classmethod
    def of(cls, operation: RestoreOperation) -> RestoreState:
        details = operation.details
        return cls(
            phase=operation.phase,
            stage=details.stage,
            ask=RestoreAsk(
                backend=details.backend,
                backup_id=details.backup_id,
                include=tuple(details.include),
                exclude=tuple(details.exclude),
                node_mapping=dict(details.node_mapping),
                version=details.version,
            ),
            started_at=parse_time(operation.started_at),
            phase_started_at=parse_time(operation.phase_started_at),
            source=details.source,
            version=details.version,
            classes=tuple(details.classes),
            weaviate_status=details.weaviate_status,
            attempts=details.attempts,
            error=details.error,
        )

    def operation(self) -> RestoreOperation:
        """The status operation that records this state (written before it is acted on)."""
        details = RestoreDetails(
            backup_id=self.ask.backup_id,
            backend=self.ask.backend,
            stage=self.stage,
            include=list(self.ask.include),
            exclude=list(self.ask.exclude),
            node_mapping=dict(self.ask.node_mapping),
            version=self.version,
            source=self.source,
            classes=list(self.classes),
            weaviate_status=self.weaviate_status,
            attempts=self.attempts,
            error=self.error,
        )
        return RestoreOperation(
            phase=self.phase,
            started_at=timestamp(self.started_at),
            phase_started_at=timestamp(self.phase_started_at),
            message=self.message,
            details=details,
        )

    def to(self, *, now: datetime, **changes: Any) -> RestoreState:
        moved = "phase" in changes and changes["phase"] is not self.phase
        return replace(self, **changes, phase_started_at=now if moved else self.phase_started_at)

    @property
    def finished(self) -> bool:
        return self.phase is not RestorePhase.RESTORING

    @property
    def message(self) -> str:
        """One line for status, the condition and ``weavefn status``."""
        what = f"backup {self.ask.backup_id} ({self.ask.backend})"
        restored = ", ".join(self.classes)
        if self.phase is RestorePhase.SUCCEEDED:
            return f"restored {restored or 'every collection'} from {what}"
        if self.phase is RestorePhase.FAILED:
            return f"restore of {what} failed: {self.error}"
        if self.stage is RestoreStage.STARTED:
            seen = self.weaviate_status or "STARTED"
            return f"restoring {what}: {seen}" + (f" ({restored})" if restored else "")
        if self.error:
            return f"restore of {what} {self.error}"
        return f"restore of {what}: checking the backup and the cluster"
