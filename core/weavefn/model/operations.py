"""status.operation: the one in-flight operation, a union of typed details per kind.

Each kind is one member: its phase, when it and its phase started, and the details it resumes
from. A new kind is one more member (and the Step that advances it). The wire form is the same
envelope for every kind (``OperationEnvelope``: kind, phase, startedAt, phaseStartedAt,
message, details), so statuses written before the details were typed still parse.

An operation that does not validate (edited by hand, or written by another weavefn version)
is read as an UnreadableOperation that keeps its JSON as found: the status still parses, and
the step that owns its kind ends it cleanly instead of failing every pass.
"""

import functools
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    ValidationError,
)

from weavefn.model.base import StatusModel


class OperationKind(StrEnum):
    UPGRADE = "Upgrade"
    SCALE_IN_DRAIN = "ScaleInDrain"
    VOLUME_EXPANSION = "VolumeExpansion"
    REBALANCE = "Rebalance"
    RESTORE = "Restore"
    POD_TEMPLATE_ROLLOUT = "PodTemplateRollout"


class UpgradePhase(StrEnum):
    PENDING = "Pending"
    BACKING_UP = "BackingUp"
    ROLLING_OUT = "RollingOut"
    VERIFYING = "Verifying"
    SUCCEEDED = "Succeeded"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"

    @property
    def finished(self) -> bool:
        return self in (UpgradePhase.SUCCEEDED, UpgradePhase.ROLLED_BACK, UpgradePhase.FAILED)


class DrainPhase(StrEnum):
    PLANNING = "Planning"
    MOVING = "Moving"
    VERIFYING = "Verifying"
    SHRINKING = "Shrinking"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class ExpansionPhase(StrEnum):
    EXPANDING_CLAIMS = "ExpandingClaims"
    RECREATING = "RecreatingStatefulSet"


class RebalancePhase(StrEnum):
    MOVING = "Moving"
    MOVED = "Moved"
    BALANCED = "Balanced"
    FAILED = "Failed"


class RestorePhase(StrEnum):
    RESTORING = "Restoring"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class RestoreStage(StrEnum):
    CHECKING = "Checking"
    """Nothing asked yet: the backup, the schema and every node's health are checked first."""
    REQUESTING = "Requesting"
    """Written before Weaviate is asked: a later pass first asks whether it already began."""
    STARTED = "Started"
    """Weaviate accepted the request; its restore status is polled to the end."""


class TemplateRolloutPhase(StrEnum):
    ROLLING_OUT = "RollingOut"
    """The partition steps down, each pod proven Ready (and healthy in Weaviate) first."""
    VERIFYING = "Verifying"
    """Every pod rolled: waiting for Weaviate to report every node healthy and in sync."""
    HELD = "Held"
    """A pod was not proven in time: nothing more restarts until it is (or the spec changes)."""
    SUCCEEDED = "Succeeded"

    @property
    def finished(self) -> bool:
        return self is TemplateRolloutPhase.SUCCEEDED


class MoveStage(StrEnum):
    PENDING = "Pending"
    STARTING = "Starting"
    """Written before the request: a crash here is resolved from the sharding state."""
    RUNNING = "Running"
    DONE = "Done"
    GONE = "Gone"
    """The collection or shard was dropped meanwhile: there is nothing left to move."""
    FAILED = "Failed"


class UpgradeDetails(StatusModel):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    replicas: int
    partition: int = 0
    """RollingOut: pods with ordinal >= partition run the target. RollingBack: the pod reverting."""
    backup_id: str | None = Field(default=None, alias="backupId")
    backend: str | None = None
    lowest_rolled: int | None = Field(default=None, alias="lowestRolled")
    step_started_at: str | None = Field(default=None, alias="stepStartedAt")
    error: str | None = None
    unhealthy_checks: dict[str, int] | None = Field(default=None, alias="unhealthyChecks")
    """Node -> checks in a row /v1/nodes reported it UNHEALTHY (a rollback at two)."""
    generation: int | None = None
    """The spec generation the upgrade ended at (lastOperation only)."""
    template: str | None = None
    """The hash of the pod template it rolls (RollingOut, Verifying: the target's; RollingBack:
    the source's). A later spec change of the template waits for the upgrade to end. None in
    statuses written before template holding: it rolls whatever renders."""


class MoveDetails(StatusModel):
    """One replica MOVE of a drain or a rebalance, and where it stands."""

    collection: str
    shard: str
    source: str
    target: str
    stage: MoveStage
    attempts: int = 0
    op_id: str | None = Field(default=None, alias="id")
    state: str | None = None
    error: str | None = None
    since: str | None = None


class DrainDetails(StatusModel):
    from_replicas: int = Field(alias="fromReplicas")
    to_replicas: int = Field(alias="toReplicas")
    departing: list[str]
    reason: str = ""
    round: int = 1
    moves: list[MoveDetails] = Field(default_factory=list)


class VolumeExpansionDetails(StatusModel):
    from_size: str = Field(alias="fromSize")
    to_size: str = Field(alias="toSize")
    replicas: int


class AuthSwitch(StatusModel):
    """A rollout that switches the internal cluster API's basic auth (on, off or to another
    Secret): new and old pods refuse each other until it ends."""

    source: str | None = Field(default=None, alias="from")
    """The Secret the pods read before (None: no auth)."""
    target: str | None = Field(default=None, alias="to")


class TemplateRolloutDetails(StatusModel):
    template: str
    """The hash of the rendered pod template being rolled (the revision to approve)."""
    changes: list[str] = Field(default_factory=list)
    """What differs from the pods' template: field paths and env variable names, never values."""
    replicas: int
    partition: int
    """Pods with ordinal >= partition run (or are getting) the new template."""
    step_started_at: str | None = Field(default=None, alias="stepStartedAt")
    auth: AuthSwitch | None = None
    reason: str = ""
    """Why it runs: the spec changed, approved by annotation, or resuming a held partition."""
    error: str | None = None


class RebalanceDetails(StatusModel):
    moves: list[MoveDetails] | None = None
    """None once the replicas were found balanced: nothing was planned."""


class RestoreDetails(StatusModel):
    backup_id: str = Field(alias="backupId")
    backend: str
    stage: RestoreStage = RestoreStage.CHECKING
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    node_mapping: dict[str, str] = Field(default_factory=dict, alias="nodeMapping")
    version: str | None = None
    """The Weaviate version the backup was taken on, when known."""
    source: str = "request"
    classes: list[str] = Field(default_factory=list)
    """What Weaviate said it restores."""
    weaviate_status: str | None = Field(default=None, alias="weaviateStatus")
    attempts: int = 0
    """Requests Weaviate answered with a server error; a few are retried, then it fails."""
    error: str | None = None


class _Envelope(StatusModel):
    phase: str
    started_at: str = Field(alias="startedAt")
    phase_started_at: str = Field(alias="phaseStartedAt")
    message: str = ""


class UpgradeOperation(_Envelope):
    kind: Literal[OperationKind.UPGRADE] = OperationKind.UPGRADE
    phase: UpgradePhase
    details: UpgradeDetails


class DrainOperation(_Envelope):
    kind: Literal[OperationKind.SCALE_IN_DRAIN] = OperationKind.SCALE_IN_DRAIN
    phase: DrainPhase
    details: DrainDetails


class VolumeExpansionOperation(_Envelope):
    kind: Literal[OperationKind.VOLUME_EXPANSION] = OperationKind.VOLUME_EXPANSION
    phase: ExpansionPhase
    details: VolumeExpansionDetails


class RebalanceOperation(_Envelope):
    kind: Literal[OperationKind.REBALANCE] = OperationKind.REBALANCE
    phase: RebalancePhase
    details: RebalanceDetails = Field(default_factory=RebalanceDetails)


class RestoreOperation(_Envelope):
    kind: Literal[OperationKind.RESTORE] = OperationKind.RESTORE
    phase: RestorePhase
    details: RestoreDetails


class TemplateRolloutOperation(_Envelope):
    kind: Literal[OperationKind.POD_TEMPLATE_ROLLOUT] = OperationKind.POD_TEMPLATE_ROLLOUT
    phase: TemplateRolloutPhase
    details: TemplateRolloutDetails


KnownOperation = Annotated[
    UpgradeOperation
    | DrainOperation
    | VolumeExpansionOperation
    | RebalanceOperation
    | RestoreOperation
    | TemplateRolloutOperation,
    Field(discriminator="kind"),
]


class UnreadableOperation(StatusModel):
    """An operation that did not validate; ``raw`` is its JSON, written back unchanged."""

    raw: dict[str, Any]
    problem: str
    """The first thing wrong with it, with its field path."""

    @property
    def kind(self) -> OperationKind | None:
        """The kind it claims, when it names one this version knows."""
        try:
            return OperationKind(str(self.raw.get("kind")))
        except ValueError:
            return None

    @property
    def named_kind(self) -> str:
        """The kind as written, known to this version or not."""
        return str(self.raw.get("kind") or "unknown")

    @property
    def phase(self) -> str:
        return str(self.raw.get("phase", ""))

    @property
    def started_at(self) -> str:
        return str(self.raw.get("startedAt", ""))

    @property
    def phase_started_at(self) -> str:
        return str(self.raw.get("phaseStartedAt", ""))

    @property
    def message(self) -> str:
        return str(self.raw.get("message", ""))

    def is_kind(self, kind: OperationKind) -> bool:
        return self.kind is kind


class OperationEnvelope(StatusModel):
    """The one in-flight operation; its phase and details say exactly where it stands."""

    # The wire form every kind shares: the CRD's schema of status.operation, and the way to
    # write an operation by hand (tests, repairs), which is read back into its typed member.

    kind: OperationKind
    phase: str
    started_at: str = Field(alias="startedAt")
    phase_started_at: str = Field(alias="phaseStartedAt")
    message: str = ""
    details: dict[str, Any] = Field(
        default_factory=dict, description="Kind-specific resumable state."
    )


_MEMBERS = (
    UpgradeOperation,
    DrainOperation,
    VolumeExpansionOperation,
    RebalanceOperation,
    RestoreOperation,
    TemplateRolloutOperation,
    UnreadableOperation,
)


@functools.cache
def _known() -> TypeAdapter[Any]:
    # built on first read: a function that never reads a status never pays for it
    return TypeAdapter(KnownOperation)


def _problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    # the first location part is the union member's tag, which the kind already says
    path = ".".join(str(p) for p in first["loc"][1:]) or str(
        first["loc"][0] if first["loc"] else ""
    )
    return f"{path}: {first['msg']}" if path else str(first["msg"])


def read_operation(value: Any) -> Any:
    """A typed operation from its JSON, or an UnreadableOperation saying what is wrong."""
    if isinstance(value, _MEMBERS):
        return value
    if isinstance(value, OperationEnvelope):
        value = value.model_dump(by_alias=True, mode="json")
    try:
        return _known().validate_python(value)
    except ValidationError as exc:
        raw = value if isinstance(value, dict) else {"value": value}
        return UnreadableOperation(raw=raw, problem=_problem(exc))


def _write(operation: Any) -> Any:
    if isinstance(operation, UnreadableOperation):
        return operation.raw
    return operation.model_dump(by_alias=True, exclude_none=True, mode="json")


Operation = Annotated[
    UpgradeOperation
    | DrainOperation
    | VolumeExpansionOperation
    | RebalanceOperation
    | RestoreOperation
    | TemplateRolloutOperation
    | UnreadableOperation,
    PlainValidator(read_operation, json_schema_input_type=OperationEnvelope),
    PlainSerializer(_write),
]
"""What ``status.operation`` and ``status.lastOperation`` hold."""


def kind_name(operation: Operation) -> str:
    """The operation's kind for people: as written when this version does not know it."""
    if isinstance(operation, UnreadableOperation):
        return operation.named_kind
    return str(operation.kind)
