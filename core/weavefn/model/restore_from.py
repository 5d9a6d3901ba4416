"""spec.restoreFrom: the backup a new cluster is created from, and how it is restored."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from weavefn.model.base import DNS_LABEL, SpecModel
from weavefn.model.units import SPEC_VERSION


class BackupBackend(StrEnum):
    """Weaviate's backup backends, by the name its REST API uses (``/v1/backups/{backend}``)."""

    FILESYSTEM = "filesystem"
    S3 = "s3"
    GCS = "gcs"
    AZURE = "azure"


BACKUP_ID = r"^[a-z0-9_-]+$"
CLASS_NAME = r"^[A-Za-z_][_0-9A-Za-z]*$"
NodeName = Annotated[str, Field(pattern=DNS_LABEL, max_length=253)]
ClassName = Annotated[str, Field(pattern=CLASS_NAME, max_length=256)]


class RestoreFrom(SpecModel):
    """Create the cluster from a backup: restored once, when every pod is Ready and every
    Weaviate node HEALTHY; status.restoredFrom records that it ran."""

    backend: BackupBackend
    id: str = Field(pattern=BACKUP_ID, max_length=128, description="The backup's id.")
    version: str | None = Field(
        default=None,
        max_length=64,
        description="The Weaviate version the backup was taken on. Needed unless the id says "
        "it (weavefn's ids end in -v<MAJOR>-<MINOR>-<PATCH>-<timestamp>); it must not be "
        "newer than spec.version.",
    )
    include: list[ClassName] = Field(
        default_factory=list, max_length=1000, description="Restore only these collections."
    )
    exclude: list[ClassName] = Field(
        default_factory=list, max_length=1000, description="Restore all but these collections."
    )
    node_mapping: dict[str, NodeName] = Field(
        default_factory=dict,
        alias="nodeMapping",
        description="The backup's node names -> this cluster's pods, when they differ (a "
        "backup of a cluster with another name): Weaviate restores each node's data onto "
        "the node of the same name.",
    )

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not SPEC_VERSION.match(value):
            raise ValueError(f"{value!r} must be a Weaviate version MAJOR.MINOR.PATCH")
        return value
