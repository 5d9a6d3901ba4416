"""Spec parts that shape the Weaviate pods beyond image and resources: internal auth, node
tuning, zone spread, the client Service and how pod-template changes roll out."""

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from weavefn.model.base import DNS_LABEL, SpecModel

SYSCTL_IMAGE = "docker.io/library/busybox:1.37.0"
"""The default image of the max_map_count init container: busybox's ``sysctl``, an exact tag."""
LINUX_MAX_MAP_COUNT = 65530
"""The kernel's default vm.max_map_count (DEFAULT_MAX_MAP_COUNT)."""
ZONE_TOPOLOGY = "topology.kubernetes.io/zone"


class InternalAuthSpec(SpecModel):
    """Basic auth on Weaviate's internal cluster API (CLUSTER_BASIC_AUTH_USERNAME/_PASSWORD)."""

    enabled: bool = Field(
        default=True,
        description="Guard the internal cluster API (data port 7001: shard, replica, backup and "
        "node endpoints; gRPC file copies from 1.33.6, 1.34.1, 1.35 and replication from 1.37; "
        "the Raft join/remove routes from "
        "1.35.20, 1.36.14, 1.37.3, 1.38) with basic auth from a Secret. Nothing on the public "
        "ports changes. A new cluster starts with it; a running cluster switches (on or off) "
        "only when annotated weaviate.io/cluster-auth-rollout with the Secret's name (or off), "
        "since until its last pod has restarted, a node with credentials refuses calls "
        "from one without.",
    )
    secret_name: str | None = Field(
        default=None,
        alias="secretName",
        pattern=DNS_LABEL,
        max_length=253,
        description="A Secret with keys username and password to use instead of the one "
        "weavefn generates (<name>-cluster-auth). Pointing it at another Secret is how the "
        "credentials are rotated: the same annotated rollout as switching auth on.",
    )


class MaxMapCountSource(StrEnum):
    INIT_CONTAINER = "InitContainer"
    NODE_POOL = "NodePool"


def _pinned_problem(image: str) -> str | None:
    name, _, digest = image.partition("@")
    if digest:
        return None if digest.startswith("sha256:") and len(digest) == 71 else "a bad digest"
    repository = name.rsplit("/", 1)[-1]
    if ":" not in repository:
        return "no tag"
    return "the moving tag latest" if repository.rsplit(":", 1)[1] == "latest" else None


class VmMaxMapCountSpec(SpecModel):
    """The node's vm.max_map_count: Weaviate memory-maps its LSM segments and budgets 70% of it
    (usecases/memwatch/monitor.go; MAX_MEMORY_MAPPINGS overrides). The sysctl is not
    namespaced, so a pod's securityContext.sysctls cannot raise it."""

    set_by: MaxMapCountSource | None = Field(
        default=None,
        alias="setBy",
        description="InitContainer: a privileged init container raises it on the pod's node "
        "(never lowers it). NodePool: the node pool sets it (see README); nothing is rendered. "
        "Unset: the node's own value (65530 on stock kernels); admission warns.",
    )
    value: int = Field(
        default=524288,
        ge=LINUX_MAX_MAP_COUNT,
        le=2147483647,
        description="The least vm.max_map_count the node must have.",
    )
    image: str = Field(
        default=SYSCTL_IMAGE,
        min_length=1,
        max_length=512,
        description="The init container's image, pinned by digest or an exact tag; it needs "
        "sh and sysctl (busybox).",
    )

    @field_validator("image")
    @classmethod
    def _pinned(cls, image: str) -> str:
        problem = _pinned_problem(image)
        if problem is not None:
            raise ValueError(
                f"{image!r} has {problem}: pin the image by digest (@sha256:...) or an exact tag"
            )
        return image


class ZoneSpreadSpec(SpecModel):
    """A topologySpreadConstraint over zones, so one zone's outage cannot take every replica."""

    enabled: bool | None = Field(
        default=None,
        description="Default: on when replication.factor is 2 or more.",
    )
    max_skew: int = Field(default=1, ge=1, le=100, alias="maxSkew")
    when_unsatisfiable: Literal["ScheduleAnyway", "DoNotSchedule"] = Field(
        default="ScheduleAnyway",
        alias="whenUnsatisfiable",
        description="ScheduleAnyway prefers the spread; DoNotSchedule enforces it, and leaves "
        "pods Pending where a zone lacks room or nodes lack the topologyKey label.",
    )
    topology_key: str = Field(
        default=ZONE_TOPOLOGY, alias="topologyKey", min_length=1, max_length=316
    )


class ServiceType(StrEnum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"


class ClientServiceSpec(SpecModel):
    """The client Service (HTTP 8080, gRPC 50051, metrics 2112)."""

    type: ServiceType = ServiceType.CLUSTER_IP
    annotations: dict[str, str] = Field(
        default_factory=dict,
        description="E.g. an internal load balancer: service.beta.kubernetes.io/aws-load-"
        "balancer-scheme: internal, networking.gke.io/load-balancer-type: Internal, "
        'service.beta.kubernetes.io/azure-load-balancer-internal: "true".',
    )
    load_balancer_source_ranges: list[str] = Field(
        default_factory=list,
        alias="loadBalancerSourceRanges",
        description="CIDRs allowed to reach a LoadBalancer.",
    )

    @field_validator("load_balancer_source_ranges")
    @classmethod
    def _cidrs(cls, ranges: list[str]) -> list[str]:
        import ipaddress

        for cidr in ranges:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a CIDR") from None
        return ranges


class PodRestarts(StrEnum):
    """How a change of the pod template that the spec asked for reaches running pods."""

    AUTOMATIC = "Automatic"
    """One pod at a time, each proven Ready and healthy in Weaviate before the next."""
    SUPERVISED = "Supervised"
    """The same, once annotated weaviate.io/approve-restart with the change's revision."""
