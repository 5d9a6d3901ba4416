"""The WeaviateCluster spec: what the user asks for, validated field by field."""

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator

from weavefn.model.autoscaling import AutoScalingSpec
from weavefn.model.base import DNS_LABEL, Quantity, SpecModel, WeaviateVersion
from weavefn.model.pods import (
    ClientServiceSpec,
    InternalAuthSpec,
    PodRestarts,
    VmMaxMapCountSpec,
    ZoneSpreadSpec,
)
from weavefn.model.restore_from import RestoreFrom

DEFAULT_REPOSITORY = "cr.weaviate.io/semitechnologies/weaviate"
MODULE_NAME = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_SECRET_WORDS = re.compile(r"(api[-_]?key|apikey|token|secret|password|passwd|credential)", re.I)


class SecretKeySelector(SpecModel):
    name: str = Field(pattern=DNS_LABEL, max_length=253)
    key: str = Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")


class SecretRef(SpecModel):
    """A value kept in a Kubernetes Secret; weavefn never reads it, the pod does."""

    secret_key_ref: SecretKeySelector = Field(alias="secretKeyRef")


class ResourceList(SpecModel):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(SpecModel):
    requests: ResourceList = ResourceList()
    limits: ResourceList = ResourceList()


AccessMode = Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]


def _rwo() -> list[AccessMode]:
    return ["ReadWriteOnce"]


class VolumeClaimTemplate(SpecModel):
    access_modes: list[AccessMode] = Field(default_factory=_rwo, alias="accessModes", min_length=1)


class StorageSpec(SpecModel):
    size: Quantity
    storage_class_name: str | None = Field(default=None, alias="storageClassName", max_length=253)
    volume_claim_template: VolumeClaimTemplate = Field(
        default_factory=VolumeClaimTemplate, alias="volumeClaimTemplate"
    )
    provision_storage_class: bool = Field(
        default=False,
        alias="provisionStorageClass",
        description="Render the cloud provider's StorageClass under storageClassName.",
    )
    scratch_size_limit: Quantity = Field(
        default="10Gi",
        alias="scratchSizeLimit",
        description="sizeLimit and ephemeral-storage request of the scratch emptyDir (TMPDIR) "
        "that cloudProvider.aws.useLocalNVMe or gcp.useLocalSSD add: past it the kubelet "
        "evicts the pod, before the node's disk fills up and evicts others.",
    )


class ModuleSpec(SpecModel):
    name: str = Field(pattern=MODULE_NAME, max_length=63)
    enabled: bool = True
    config: dict[str, str | int | float | bool | SecretRef] = Field(default_factory=dict)
    resources: ResourceList | None = None
    image: str | None = Field(default=None, description="Inference container image override.")
    replicas: int = Field(default=1, ge=1, le=100)

    @field_validator("config")
    @classmethod
    def _secrets_by_reference(cls, config: dict[str, Any]) -> dict[str, Any]:
        for key, value in config.items():
            if _SECRET_WORDS.search(key) and not isinstance(value, SecretRef):
                raise ValueError(
                    f"config.{key} looks like a credential: give it as "
                    "{secretKeyRef: {name, key}}, never as a literal value"
                )
        return config


class BackupTarget(SpecModel):
    bucket: str = Field(min_length=3, max_length=222)
    path: str | None = None


class AwsSpec(SpecModel):
    ebs_optimized: bool = Field(default=False, alias="ebsOptimized")
    instance_type: str | None = Field(default=None, alias="instanceType")
    use_local_nvme: bool = Field(default=False, alias="useLocalNVMe")
    backup: BackupTarget | None = None
    iam_role_arn: str | None = Field(
        default=None, alias="iamRoleArn", pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"
    )
    iops: int | None = Field(default=None, ge=3000, le=16000)
    throughput: int | None = Field(default=None, ge=125, le=1000, description="MiB/s (gp3)")


class GcpSpec(SpecModel):
    use_local_ssd: bool = Field(default=False, alias="useLocalSSD")
    machine_type: str | None = Field(default=None, alias="machineType")
    backup: BackupTarget | None = None
    project: str | None = None
    service_account: str | None = Field(
        default=None,
        alias="serviceAccount",
        pattern=r"^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$",
    )
    disk_type: Literal["pd-ssd", "pd-balanced", "hyperdisk-balanced"] = Field(
        default="pd-ssd", alias="diskType"
    )


class AzureBackup(SpecModel):
    """Azure Blob backups. Weaviate's backup-azure authenticates only with a storage account key
    or a connection string (modules/backup-azure/client.go), never with a workload identity:
    without one of them no backup can be written."""

    storage_account: str = Field(alias="storageAccount", pattern=r"^[a-z0-9]{3,24}$")
    container: str = Field(pattern=r"^[a-z0-9](-?[a-z0-9])+$", min_length=3, max_length=63)
    path: str | None = None
    account_key: SecretRef | None = Field(
        default=None,
        alias="accountKey",
        description="The storage account's access key (AZURE_STORAGE_KEY).",
    )
    connection_string: SecretRef | None = Field(
        default=None,
        alias="connectionString",
        description="A storage connection string (AZURE_STORAGE_CONNECTION_STRING), instead "
        "of accountKey.",
    )


class AzureSpec(SpecModel):
    vm_size: str | None = Field(default=None, alias="vmSize")
    premium_ssd_v2: bool = Field(default=False, alias="premiumSSDv2")
    backup: AzureBackup | None = None
    client_id: str | None = Field(
        default=None,
        alias="clientId",
        pattern=r"^[0-9a-fA-F-]{36}$",
        description="Workload Identity client id for the pods' service account. Weaviate's "
        "backup-azure does not use it: backups need backup.accountKey or connectionString.",
    )


class ProviderType(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


class CloudProviderSpec(SpecModel):
    type: ProviderType
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    aws: AwsSpec | None = None
    gcp: GcpSpec | None = None
    azure: AzureSpec | None = None


class ServiceMeshSpec(SpecModel):
    enabled: bool = False
    type: Literal["istio", "linkerd"] = "istio"
    mtls: bool = Field(default=True, alias="mTLS")


class ImageSpec(SpecModel):
    repository: str = DEFAULT_REPOSITORY
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        default="IfNotPresent", alias="pullPolicy"
    )


class LocalObjectReference(SpecModel):
    name: str = Field(pattern=DNS_LABEL)


class EnvVar(SpecModel):
    """An extra container variable; credentials must come from a Secret."""

    name: str = Field(pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
    value: str | None = None
    value_from: dict[str, Any] | None = Field(default=None, alias="valueFrom")

    @field_validator("value")
    @classmethod
    def _no_literal_secret(cls, value: str | None, info: Any) -> str | None:
        name = info.data.get("name", "")
        if value and _SECRET_WORDS.search(name):
            raise ValueError(f"{name} looks like a credential: use valueFrom.secretKeyRef")
        return value


class AuthSpec(SpecModel):
    """Weaviate API-key authentication; keys live in a Secret."""

    api_key: SecretRef | None = Field(default=None, alias="apiKey")
    users: list[str] = Field(default_factory=list, description="Identities the keys map to.")
    anonymous_access: bool = Field(default=False, alias="anonymousAccess")


class ReplicationSpec(SpecModel):
    factor: int = Field(default=1, ge=1, le=10, description="Default collection replication.")
    async_enabled: bool | None = Field(
        default=None,
        alias="asyncEnabled",
        description="false: ASYNC_REPLICATION_DISABLED=true, a cluster-wide kill switch that "
        "turns async replication (background repair between replicas) off for every "
        "collection, whatever its replicationConfig.asyncEnabled says (read by Weaviate "
        "1.26.14+, 1.27.11+, 1.28.5+, 1.29+; ignored before). Absent or true: each "
        "collection's own setting decides (1.26+).",
    )
    replica_movement: bool = Field(
        default=False, alias="replicaMovement", description="REPLICA_MOVEMENT_ENABLED (1.32+)."
    )


class BackupSchedule(SpecModel):
    schedule: str = Field(description="Cron expression (UTC), e.g. '0 3 * * *'.")
    retention: int = Field(default=7, ge=1, le=1000)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression")
        return value


class WeaviateClusterSpec(SpecModel):
    version: WeaviateVersion
    replicas: int = Field(
        ge=1,
        le=1000,
        description=(
            "Without autoscaling: the desired Weaviate node count; weavefn scales out through "
            "the StatefulSet scale subresource and scales in only after moving every shard "
            "replica off the departing nodes (refused with the ScaleInBlocked condition when "
            "unsafe). With autoScaling.enabled: the count the cluster starts with, within "
            "[minReplicas, maxReplicas]; the autoscaler decides from then on."
        ),
    )
    image: ImageSpec = Field(default_factory=ImageSpec)
    image_pull_secrets: list[LocalObjectReference] = Field(
        default_factory=list, alias="imagePullSecrets"
    )
    resources: Resources = Field(default_factory=Resources)
    storage: StorageSpec
    auto_scaling: AutoScalingSpec | None = Field(default=None, alias="autoScaling")
    modules: list[ModuleSpec] = Field(default_factory=list)
    cloud_provider: CloudProviderSpec | None = Field(default=None, alias="cloudProvider")
    service_mesh: ServiceMeshSpec = Field(default_factory=ServiceMeshSpec, alias="serviceMesh")
    node_selector: dict[str, str] = Field(default_factory=dict, alias="nodeSelector")
    tolerations: list[dict[str, Any]] = Field(default_factory=list)
    affinity: dict[str, Any] | None = None
    env: list[EnvVar] = Field(default_factory=list)
    auth: AuthSpec | None = None
    replication: ReplicationSpec = Field(default_factory=ReplicationSpec)
    backup: BackupSchedule | None = None
    voters: int | None = Field(
        default=None, ge=1, le=7, description="Raft voter count; fixed at creation."
    )
    termination_grace_period_seconds: int = Field(
        default=600, ge=30, le=3600, alias="terminationGracePeriodSeconds"
    )
    restore_from: RestoreFrom | None = Field(default=None, alias="restoreFrom")
    pod_annotations: dict[str, str] = Field(
        default_factory=dict,
        alias="podAnnotations",
        description="Added to the pods' annotations; they win over weavefn's (e.g. "
        'prometheus.io/scrape: "false").',
    )
    internal_auth: InternalAuthSpec = Field(default_factory=InternalAuthSpec, alias="internalAuth")
    vm_max_map_count: VmMaxMapCountSpec = Field(
        default_factory=VmMaxMapCountSpec, alias="vmMaxMapCount"
    )
    zone_spread: ZoneSpreadSpec = Field(default_factory=ZoneSpreadSpec, alias="zoneSpread")
    service: ClientServiceSpec = Field(default_factory=ClientServiceSpec)
    pod_restarts: PodRestarts = Field(
        default=PodRestarts.AUTOMATIC,
        alias="podRestarts",
        description="How a spec change of the pod template reaches running pods: Automatic "
        "(one pod at a time, each proven Ready and healthy in Weaviate before the next) or "
        "Supervised (the same, once annotated weaviate.io/approve-restart with the revision "
        "the PodTemplateCurrent condition names). Changes that come from a new weavefn "
        "release, not from the spec, always wait for that annotation or the next upgrade.",
    )

    @property
    def zone_spread_on(self) -> bool:
        enabled = self.zone_spread.enabled
        return self.replication.factor >= 2 if enabled is None else enabled

    @property
    def enabled_modules(self) -> list[ModuleSpec]:
        return [m for m in self.modules if m.enabled]
