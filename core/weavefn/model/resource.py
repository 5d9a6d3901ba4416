"""The WeaviateCluster custom resource as a whole, and the one way to parse it from a dict."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.rules import cross_field_errors
from weavefn.model.spec import WeaviateClusterSpec
from weavefn.model.status import WeaviateClusterStatus

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
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=52)
    namespace: str = Field(default="default", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    uid: str | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    generation: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    creation_timestamp: str | None = Field(default=None, alias="creationTimestamp")


class WeaviateCluster(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = KIND
    metadata: ObjectMeta
    spec: WeaviateClusterSpec
    status: WeaviateClusterStatus = Field(default_factory=WeaviateClusterStatus)

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


def object_key(raw: dict[str, Any]) -> str:
    """``namespace/name`` of a raw object, tolerant of missing metadata (for reports)."""
    meta = raw.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"


def split_key(key: str) -> tuple[str, str]:
    """Split ``namespace/name``; a bare name means the default namespace."""
    namespace, _, name = key.rpartition("/")
    return namespace or "default", name


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


def _pydantic_errors(error: ValidationError) -> list[FieldError]:
    seen: dict[str, FieldError] = {}
    for item in error.errors(include_url=False):
        path = _path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        seen.setdefault(path, FieldError(path, message))
    return list(seen.values())


def parse_cluster(raw: Any, *, with_status: bool = True) -> WeaviateCluster:
    """Validate a dict into a WeaviateCluster, reporting every problem with its path at once."""
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
    data = raw if with_status else {k: v for k, v in raw.items() if k != "status"}
    cluster: WeaviateCluster | None = None
    try:
        cluster = WeaviateCluster.model_validate(data)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc))
    errors.extend(e for e in cross_field_errors(raw.get("spec")) if e not in errors)
    if errors or cluster is None:
        raise InvalidInputError(errors, what="WeaviateCluster")
    return cluster
