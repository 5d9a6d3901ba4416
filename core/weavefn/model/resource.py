"""The WeaviateCluster custom resource as a whole (manifest and status), and how to parse it."""

from typing import Any

from pydantic import Field, ValidationError

from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.manifest import (
    ALLOW_DOWNTIME_ANNOTATION,
    API_VERSION,
    CLUSTER_TAG,
    GROUP,
    KIND,
    PAUSED_ANNOTATION,
    PAUSED_REPLICAS_ANNOTATION,
    PLURAL,
    SHORT_NAME,
    SKIP_BACKUP_ANNOTATION,
    VERSION,
    ClusterManifest,
    ObjectMeta,
    check_identity,
    field_errors,
)
from weavefn.model.rules import cross_field_errors
from weavefn.model.status import WeaviateClusterStatus

__all__ = [
    "ALLOW_DOWNTIME_ANNOTATION",
    "API_VERSION",
    "CLUSTER_TAG",
    "GROUP",
    "KIND",
    "PAUSED_ANNOTATION",
    "PAUSED_REPLICAS_ANNOTATION",
    "PLURAL",
    "SHORT_NAME",
    "SKIP_BACKUP_ANNOTATION",
    "VERSION",
    "ObjectMeta",
    "WeaviateCluster",
    "parse_cluster",
]


class WeaviateCluster(ClusterManifest):
    """A cluster as the API server holds it: the manifest and what weavefn remembers."""

    status: WeaviateClusterStatus = Field(default_factory=WeaviateClusterStatus)


def parse_cluster(raw: Any, *, with_status: bool = True) -> WeaviateCluster:
    """Validate a dict into a WeaviateCluster, reporting every problem with its path at once."""
    check_identity(raw)
    data = raw if with_status else {k: v for k, v in raw.items() if k != "status"}
    errors: list[FieldError] = []
    cluster: WeaviateCluster | None = None
    try:
        cluster = WeaviateCluster.model_validate(data)
    except ValidationError as exc:
        errors.extend(field_errors(exc))
    errors.extend(e for e in cross_field_errors(raw.get("spec")) if e not in errors)
    if errors or cluster is None:
        raise InvalidInputError(errors, what="WeaviateCluster")
    return cluster
