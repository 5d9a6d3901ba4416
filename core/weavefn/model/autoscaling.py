"""The autoScaling block of the spec: targets, HPA-style behavior, metric sources and alarms."""

from enum import StrEnum
from typing import Literal

from pydantic import Field

from weavefn.model.base import Duration, Percent, SpecModel


class PolicyType(StrEnum):
    PODS = "Pods"
    PERCENT = "Percent"


class SelectPolicy(StrEnum):
    MAX = "Max"
    MIN = "Min"
    DISABLED = "Disabled"


class ScalingPolicy(SpecModel):
    type: PolicyType
    value: int = Field(ge=1)
    period_seconds: int = Field(alias="periodSeconds", ge=1, le=1800)


class ScalingRules(SpecModel):
    stabilization_window_seconds: int | None = Field(
        default=None, alias="stabilizationWindowSeconds", ge=0, le=3600
    )
    select_policy: SelectPolicy = Field(default=SelectPolicy.MAX, alias="selectPolicy")
    policies: list[ScalingPolicy] | None = None
    tolerance: float | None = Field(default=None, ge=0, le=1)


class Behavior(SpecModel):
    scale_up: ScalingRules = Field(default_factory=ScalingRules, alias="scaleUp")
    scale_down: ScalingRules = Field(default_factory=ScalingRules, alias="scaleDown")


class MetricSourceKind(StrEnum):
    KUBERNETES = "kubernetes"
    PROMETHEUS = "prometheus"
    CLOUDWATCH = "cloudwatch"
    AZURE_MONITOR = "azureMonitor"
    CLOUD_MONITORING = "cloudMonitoring"


class MetricSourceSpec(SpecModel):
    """Where one target's metric is read, and (optionally) the query that reads it."""

    source: MetricSourceKind
    query: str | None = Field(default=None, description="PromQL / metric name override.")
    url: str | None = Field(default=None, description="Prometheus base URL.")


class MetricSources(SpecModel):
    cpu: MetricSourceSpec | None = None
    memory: MetricSourceSpec | None = None
    qps: MetricSourceSpec | None = None
    latency: MetricSourceSpec | None = None


class AutoScalingSpec(SpecModel):
    enabled: bool = False
    min_replicas: int = Field(default=1, alias="minReplicas", ge=1, le=1000)
    max_replicas: int = Field(default=10, alias="maxReplicas", ge=1, le=1000)
    target_cpu: Percent | None = Field(default=None, alias="targetCPU")
    target_memory: Percent | None = Field(default=None, alias="targetMemory")
    target_qps: int | None = Field(
        default=None, alias="targetQPS", ge=1, description="Queries per second per replica."
    )
    target_latency: Duration | None = Field(default=None, alias="targetLatency")
    latency_quantile: float = Field(default=0.95, alias="latencyQuantile", gt=0, lt=1)
    behavior: Behavior = Field(default_factory=Behavior)
    metrics: MetricSources = Field(default_factory=MetricSources)
    alarms: list[str] = Field(
        default_factory=list, description="Alarm names that name this cluster."
    )
    fallback_replicas: int | None = Field(default=None, alias="fallbackReplicas", ge=1)
    failure_threshold: int = Field(default=3, alias="failureThreshold", ge=1, le=100)
    rebalance: bool = Field(default=False, description="Move shard replicas onto new nodes.")
    mode: Literal["Auto", "RecommendOnly"] = "Auto"
