"""The WeaviateCluster status: everything weavefn remembers between invocations lives here."""

from enum import StrEnum
from typing import Literal

from pydantic import Field

from weavefn.model.base import StatusModel
from weavefn.model.operations import Operation


class Phase(StrEnum):
    PENDING = "Pending"
    CREATING = "Creating"
    RUNNING = "Running"
    SCALING = "Scaling"
    UPGRADING = "Upgrading"
    RESTARTING = "Restarting"
    """A pod-template rollout replaces the pods one at a time (same version)."""
    DEGRADED = "Degraded"
    INVALID = "Invalid"
    RESTORING = "Restoring"


class ConditionType(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    INVALID_SPEC = "InvalidSpec"
    SCALE_IN_BLOCKED = "ScaleInBlocked"
    AUTOSCALING = "AutoscalingActive"
    STORAGE = "StorageResizable"
    BACKUP = "BackupSucceeded"
    UPGRADE = "UpgradeSucceeded"
    RESTORE = "RestoreSucceeded"
    POD_TEMPLATE = "PodTemplateCurrent"
    INTERNAL_AUTH = "InternalAuthCurrent"


ABNORMAL_WHEN_TRUE = frozenset(
    {ConditionType.DEGRADED, ConditionType.INVALID_SPEC, ConditionType.SCALE_IN_BLOCKED}
)
"""Condition types that report a problem when True; every other type reports one when False
(Kubernetes' two polarities: ``Degraded`` against ``Ready``)."""


class Condition(StatusModel):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str = ""
    last_transition_time: str = Field(alias="lastTransitionTime")
    observed_generation: int | None = Field(default=None, alias="observedGeneration")

    @property
    def abnormal(self) -> bool:
        """True when this condition reports a problem, whatever its polarity."""
        bad = "True" if self.type in ABNORMAL_WHEN_TRUE else "False"
        return self.status == bad


class Recommendation(StatusModel):
    time: str
    replicas: int
    change: int | None = Field(
        default=None, description="Scale events only: the signed replica change (+2, -1)."
    )


class AutoscalingStatus(StatusModel):
    recommendations: list[Recommendation] = Field(default_factory=list)
    last_scale_time: str | None = Field(default=None, alias="lastScaleTime")
    scale_events: list[Recommendation] = Field(
        default_factory=list, alias="scaleEvents", description="Recent scales for rate policies."
    )
    processed_events: list[str] = Field(default_factory=list, alias="processedEvents")
    consecutive_metric_failures: int = Field(default=0, alias="consecutiveMetricFailures")
    last_decision: str | None = Field(default=None, alias="lastDecision")
    desired_replicas: int | None = Field(default=None, alias="desiredReplicas")


class AskedRestore(StatusModel):
    """What a restore record asks of the backup (reason ``restore``)."""

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    node_mapping: dict[str, str] = Field(default_factory=dict, alias="nodeMapping")
    version: str | None = None
    """The Weaviate version the backup was taken on, when known."""
    source: str = "request"
    """``request`` (CLI, CI/CD) or ``spec.restoreFrom``."""


class BackupRecord(StatusModel):
    """A backup weavefn took or asked for, or (reason ``restore``) a restore of one."""

    id: str
    backend: str
    status: str
    started_at: str = Field(alias="startedAt")
    reason: str | None = None
    version: str | None = None
    """The Weaviate version the cluster ran when the backup was asked for."""
    classes: list[str] | None = None
    """The collections Weaviate said it backs up (or restores)."""
    restore: AskedRestore | None = None


class RestoredFrom(StatusModel):
    """spec.restoreFrom was acted on: the cluster never restores it again."""

    backend: str
    id: str
    started_at: str = Field(alias="startedAt")


class PodTemplateRecord(StatusModel):
    """Which rendering of the pod template the pods run, or wait for.

    ``applied``: the live StatefulSet carries the rendering ``hash`` made at spec generation
    ``generation``. Otherwise that rendering differs from the live template and is held back
    (a change from a new weavefn release, or one awaiting approval), so a later spec change
    can be told from it.
    """

    generation: int | None = None
    hash: str
    applied: bool = True
    asked: bool = False
    """Held only: the spec asked for it (waiting for approval), not a new weavefn release."""


class ClusterAuthStatus(StatusModel):
    """The internal cluster API's basic auth as the pods run it."""

    secret: str | None = None
    """The Secret the pods read CLUSTER_BASIC_AUTH_* from; None: the API is open."""
    created: str | None = None
    """The Secret weavefn generated for this cluster (created once, never rewritten)."""


class WeaviateClusterStatus(StatusModel):
    observed_generation: int | None = Field(default=None, alias="observedGeneration")
    phase: Phase = Phase.PENDING
    conditions: list[Condition] = Field(default_factory=list)
    replicas: int = 0
    ready_replicas: int = Field(default=0, alias="readyReplicas")
    selector: str | None = None
    current_version: str | None = Field(default=None, alias="currentVersion")
    voters: list[str] = Field(default_factory=list)
    autoscaling: AutoscalingStatus = Field(default_factory=AutoscalingStatus)
    operation: Operation | None = None
    last_operation: Operation | None = Field(default=None, alias="lastOperation")
    backups: list[BackupRecord] = Field(default_factory=list)
    next_check_at: str | None = Field(
        default=None,
        alias="nextCheckAt",
        description="When the follow-up pass queued for work in flight is due (RFC 3339).",
    )
    next_check_reason: str | None = Field(
        default=None, alias="nextCheckReason", description="What that pass will look at."
    )
    restored_from: RestoredFrom | None = Field(default=None, alias="restoredFrom")
    pod_template: PodTemplateRecord | None = Field(default=None, alias="podTemplate")
    cluster_auth: ClusterAuthStatus | None = Field(default=None, alias="clusterAuth")

    def condition(self, kind: ConditionType | str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)
