"""A WeaviateCluster as its author writes it: apiVersion, kind, metadata and spec, no status.

``weavefn validate`` and the admission webhook check manifests; parsing one builds no status
model (resource.py adds status for what the service reads back from the API server).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.rules import cross_field_errors
from weavefn.model.spec import WeaviateClusterSpec

GROUP = "weaviate.io"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "WeaviateCluster"
PLURAL = "weaviateclusters"
SHORT_NAME = "wvc"

PAUSED_ANNOTATION = "weaviate.io/autoscaling-paused"
PAUSED_REPLICAS_ANNOTATION = "weaviate.io/paused-replicas"
ALLOW_DOWNTIME_ANNOTATION = "weaviate.io/allow-downtime"
SKIP_BACKUP_ANNOTATION = "weaviate.io/skip-backup"
CLUSTER_TAG = "weaviate.io/cluster"


class ObjectMeta(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=52)
    namespace: str = Field(default="default", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    uid: str | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    generation: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    creation_timestamp: str | None = Field(default=None, alias="creationTimestamp")


class ClusterManifest(BaseModel):
    # Models build their validators on first use: a command that never validates a cluster
    # (``weavefn --help``) or only a manifest never pays for the rest.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = KIND
    metadata: ObjectMeta
    spec: WeaviateClusterSpec

    @property
    def skips_backup(self) -> bool:
        """Annotated ``weaviate.io/skip-backup: "true"``: upgrade without a backup."""
        value = self.metadata.annotations.get(SKIP_BACKUP_ANNOTATION, "")
        return value.strip().lower() == "true"

    @property
    def key(self) -> str:
        """``namespace/name``, the way alarms and requests name a cluster."""
        return f"{self.metadata.namespace}/{self.metadata.name}"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "int", "float", "bool", "SecretRef") or "[" in str(part):
            continue  # pydantic's union-member markers are noise to a user
        else:
            path += f".{part}" if path else str(part)
    return path or "(root)"


def field_errors(error: ValidationError) -> list[FieldError]:
    """One FieldError per path pydantic reports, in its words without its prefixes."""
    seen: dict[str, FieldError] = {}
    for item in error.errors(include_url=False):
        path = _path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        seen.setdefault(path, FieldError(path, message))
    return list(seen.values())


def check_identity(raw: Any) -> None:
    """A mapping of apiVersion weaviate.io/v1 and kind WeaviateCluster, or every way it is not."""
    if not isinstance(raw, dict):
        raise InvalidInputError([FieldError("(root)", "expected a mapping")], what="resource")
    errors: list[FieldError] = []
    if raw.get("apiVersion") != API_VERSION:
        errors.append(
            FieldError("apiVersion", f"must be {API_VERSION}, got {raw.get('apiVersion')!r}")
        )
    if raw.get("kind") != KIND:
        errors.append(FieldError("kind", f"must be {KIND}, got {raw.get('kind')!r}"))
    if errors:
        raise InvalidInputError(errors, what="resource")


def parse_manifest(raw: Any) -> ClusterManifest:
    """Validate a manifest (any status in it is ignored), every problem with its path at once."""
    check_identity(raw)
    data = {k: v for k, v in raw.items() if k != "status"}
    errors: list[FieldError] = []
    manifest: ClusterManifest | None = None
    try:
        manifest = ClusterManifest.model_validate(data)
    except ValidationError as exc:
        errors.extend(field_errors(exc))
    errors.extend(e for e in cross_field_errors(raw.get("spec")) if e not in errors)
    if errors or manifest is None:
        raise InvalidInputError(errors, what="WeaviateCluster")
    return manifest
