"""The local cluster's state file, checked whole before any part of it is used.

One strict pass over the file's JSON checks the saved API server (every object's identity and
metadata, and the fields the simulated controllers and weavefn read from workloads, pods,
claims and WeaviateClusters), the pod simulation, and the simulators' extras (the embedded
Weaviate of each cluster, the load model). A file edited by hand, truncated or corrupted is
refused with the path of each problem, instead of failing half way through a command. Extras
of a simulator this version does not know are kept, but must be JSON objects, as every
simulator's state is; top-level keys it does not know are left to the version that wrote them.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from weavefn.autoscale.metrics.port import MetricName
from weavefn.errors import FieldError
from weavefn.local.kube.apply import ManagedFieldsOperation
from weavefn.local.kube.store import CLUSTER_SCOPED
from weavefn.local.weaviate.state import STATE_FORMAT as WEAVIATE_FORMAT
from weavefn.local.weaviate.state import SimState as WeaviateState
from weavefn.model.status import WeaviateClusterStatus
from weavefn.model.units import parse_quantity

STATE_FORMAT = 1
MAX_LISTED = 10
"""Problems listed; a file broken everywhere gets the first ones and a count of the rest."""


class _Part(BaseModel):
    # Real objects carry many more fields than the simulations read: those pass unchecked.
    model_config = ConfigDict(strict=True, extra="allow", defer_build=True)


class _Closed(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


def _timestamp(value: str) -> str:
    datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")  # what the server writes and the GC reads
    return value


def _quantity(value: str) -> str:
    if parse_quantity(value) < 0:
        raise ValueError("must not be negative")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Text = Annotated[str, Field(min_length=1)]
Count = Annotated[int, Field(ge=0)]
Timestamp = Annotated[str, AfterValidator(_timestamp)]
Quantity = Annotated[str, AfterValidator(_quantity)]
Seconds = Annotated[float, AfterValidator(_finite)]
StringMap = dict[str, str]


class OwnerReference(_Part):
    apiVersion: Text
    kind: Text
    name: Text
    uid: Text
    controller: bool | None = None
    blockOwnerDeletion: bool | None = None


class ManagedFieldsEntry(_Part):
    manager: str = ""
    operation: ManagedFieldsOperation = ManagedFieldsOperation.UPDATE
    subresource: str = ""
    fieldsV1: dict[str, Any] = Field(default_factory=dict)


class ObjectMeta(_Part):
    name: Text
    namespace: Text | None = None
    uid: Text
    resourceVersion: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,18}$")]
    generation: Annotated[int, Field(ge=1)]
    creationTimestamp: Timestamp
    deletionTimestamp: Timestamp | None = None
    labels: StringMap = Field(default_factory=dict)
    annotations: StringMap = Field(default_factory=dict)
    finalizers: list[str] = Field(default_factory=list)
    ownerReferences: list[OwnerReference] = Field(default_factory=list)
    managedFields: list[ManagedFieldsEntry] = Field(default_factory=list)


class EnvVar(_Part):
    name: str
    value: str | None = None


class Container(_Part):
    name: str = ""
    image: str = ""
    env: list[EnvVar] = Field(default_factory=list)


class PodSpec(_Part):
    containers: list[Container] = Field(default_factory=list)
    volumes: list[dict[str, Any]] = Field(default_factory=list)


class TemplateMeta(_Part):
    labels: StringMap = Field(default_factory=dict)
    annotations: StringMap = Field(default_factory=dict)


class PodTemplate(_Part):
    metadata: TemplateMeta = Field(default_factory=TemplateMeta)
    spec: PodSpec = Field(default_factory=PodSpec)


class Requests(_Part):
    storage: Quantity | None = None


class StorageRequest(_Part):
    storage: Quantity


class Resources(_Part):
    requests: StorageRequest


class ClaimSpec(_Part):
    # An API server refuses a claim, or a claim template, without a storage request
    # (spec.resources[storage]: Required value); the volume checks read it.
    resources: Resources
    accessModes: list[str] = Field(default_factory=list)
    storageClassName: str | None = None


class ClaimTemplateMeta(_Part):
    name: Text
    labels: StringMap = Field(default_factory=dict)


class ClaimTemplate(_Part):
    metadata: ClaimTemplateMeta
    spec: ClaimSpec


class Selector(_Part):
    matchLabels: StringMap = Field(default_factory=dict)


class RollingUpdate(_Part):
    partition: Count = 0


class UpdateStrategy(_Part):
    type: Literal["RollingUpdate", "OnDelete"] = "RollingUpdate"
    rollingUpdate: RollingUpdate | None = None


class RetentionPolicy(_Part):
    whenScaled: Literal["Retain", "Delete"] = "Retain"
    whenDeleted: Literal["Retain", "Delete"] = "Retain"


class StatefulSetSpec(_Part):
    replicas: Count
    selector: Selector = Field(default_factory=Selector)
    serviceName: str | None = None
    template: PodTemplate = Field(default_factory=PodTemplate)
    volumeClaimTemplates: list[ClaimTemplate] = Field(default_factory=list)
    updateStrategy: UpdateStrategy | None = None
    persistentVolumeClaimRetentionPolicy: RetentionPolicy | None = None


class StatefulSetStatus(_Part):
    currentRevision: str | None = None
    replicas: Count = 0
    readyReplicas: Count = 0


class DeploymentSpec(_Part):
    replicas: Count
    template: PodTemplate = Field(default_factory=PodTemplate)


class PodCondition(_Part):
    type: str
    status: Literal["True", "False", "Unknown"]


class ContainerStatus(_Part):
    name: str = ""
    image: str = ""
    ready: bool = False
    restartCount: Count = 0
    state: dict[str, dict[str, Any]] = Field(default_factory=dict)


class PodStatus(_Part):
    phase: str | None = None
    conditions: list[PodCondition] = Field(default_factory=list)
    containerStatuses: list[ContainerStatus] = Field(default_factory=list)


class ClaimStatus(_Part):
    phase: str | None = None
    capacity: Requests = Field(default_factory=Requests)


class KubeObject(_Part):
    apiVersion: Text
    kind: Text
    metadata: ObjectMeta

    @model_validator(mode="after")
    def _scoped(self) -> KubeObject:
        # An API server gives every namespaced object its namespace, and none to the others:
        # code reading metadata.namespace of a stored object relies on it.
        namespaced = self.kind not in CLUSTER_SCOPED
        if namespaced and self.metadata.namespace is None:
            raise ValueError(f"a {self.kind} is namespaced: metadata.namespace is missing")
        if not namespaced and self.metadata.namespace is not None:
            raise ValueError(f"a {self.kind} is cluster-scoped: it has no metadata.namespace")
        return self


class StatefulSet(KubeObject):
    spec: StatefulSetSpec
    status: StatefulSetStatus | None = None


class Deployment(KubeObject):
    spec: DeploymentSpec
    status: dict[str, Any] | None = None


class Pod(KubeObject):
    spec: PodSpec = Field(default_factory=PodSpec)
    status: PodStatus | None = None


class Claim(KubeObject):
    spec: ClaimSpec
    status: ClaimStatus | None = None


class StorageClass(KubeObject):
    allowVolumeExpansion: bool | None = None


class Cluster(KubeObject):
    # The spec is checked where it is read (an invalid one is the InvalidSpec condition, as
    # on a real API server, which stores what its schema lets through); the status is
    # weavefn's own memory and must read back.
    spec: dict[str, Any] = Field(default_factory=dict)
    status: WeaviateClusterStatus | None = None


_KINDS: dict[str, type[KubeObject]] = {
    "apps/v1 StatefulSet": StatefulSet,
    "apps/v1 Deployment": Deployment,
    "v1 Pod": Pod,
    "v1 PersistentVolumeClaim": Claim,
    "storage.k8s.io/v1 StorageClass": StorageClass,
    "weaviate.io/v1 WeaviateCluster": Cluster,
}
_OTHER = "other"


def _kind_of(value: Any) -> str:
    if not isinstance(value, dict):
        return _OTHER
    tag = f"{value.get('apiVersion')} {value.get('kind')}"
    return tag if tag in _KINDS else _OTHER


StoredObject = Annotated[
    Annotated[KubeObject, Tag(_OTHER)]
    | Annotated[StatefulSet, Tag("apps/v1 StatefulSet")]
    | Annotated[Deployment, Tag("apps/v1 Deployment")]
    | Annotated[Pod, Tag("v1 Pod")]
    | Annotated[Claim, Tag("v1 PersistentVolumeClaim")]
    | Annotated[StorageClass, Tag("storage.k8s.io/v1 StorageClass")]
    | Annotated[Cluster, Tag("weaviate.io/v1 WeaviateCluster")],
    Discriminator(_kind_of),
]


class Store(_Closed):
    revision: Count
    objects: list[StoredObject]

    @model_validator(mode="after")
    def _versions_counted(self) -> Store:
        # A resourceVersion above the counter would be handed out again: a stale write
        # could then pass its precondition.
        highest = max((int(o.metadata.resourceVersion) for o in self.objects), default=0)
        if highest > self.revision:
            raise ValueError(f"revision {self.revision} is below an object's resourceVersion")
        return self


class PodSimulation(_Closed):
    started: dict[str, Seconds]
    failedPods: list[str]
    failedImages: list[str]
    revisions: dict[str, PodTemplate]


def _weaviate_format(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("format") != WEAVIATE_FORMAT:
            raise ValueError(f"format must be {WEAVIATE_FORMAT}")
        return {k: v for k, v in value.items() if k != "format"}
    return value


EmbeddedWeaviate = Annotated[WeaviateState, BeforeValidator(_weaviate_format)]


class Extras(_Part):
    """Each simulator's saved state, by its name; unknown ones must be JSON objects."""

    __pydantic_extra__: dict[str, dict[str, Any]] = Field(init=False)

    weaviate: dict[str, EmbeddedWeaviate] = Field(default_factory=dict)
    load: dict[str, dict[MetricName, Seconds]] = Field(default_factory=dict)


class StateFile(_Part):
    format: Literal[1]
    store: Store
    simulation: PodSimulation
    extras: Extras = Field(default_factory=Extras)


@functools.cache
def _adapter() -> TypeAdapter[StateFile]:
    return TypeAdapter(StateFile)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == _OTHER or part in _KINDS or part in ("function-after", "function-before"):
            continue  # the union's tags: which model checked it, not where
        elif part == "[key]":
            path += " (a key)"
        elif part.isidentifier():
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
    return path or "(root)"


def _message(item: Any) -> str:
    kind = str(item["type"])
    if kind == "json_invalid":
        return f"not JSON: {item.get('ctx', {}).get('error', item['msg'])}"
    message = str(item["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind in ("model_type", "dataclass_type", "literal_error"):
        # the type found, never the value: a Secret's data may sit in this file
        message += f" (found {_json_type(item.get('input'))})"
    return message


def state_problems(text: str | bytes) -> list[FieldError]:
    """Every way ``text`` is not a state file this version can use; empty when it is one."""
    try:
        _adapter().validate_json(text, strict=True)
    except ValidationError as exc:
        found: dict[str, FieldError] = {}
        for item in exc.errors(include_url=False):
            path = _path(item["loc"])
            found.setdefault(path, FieldError(path, _message(item)))
        problems = list(found.values())
        if len(problems) > MAX_LISTED:
            more = len(problems) - MAX_LISTED
            problems = [*problems[:MAX_LISTED], FieldError("...", f"and {more} more problems")]
        return problems
    return []
