"""The Weaviate container's environment: cluster, Raft, modules, auth, replication, backups."""

from __future__ import annotations

from decimal import Decimal

from weavefn.model.resource import WeaviateCluster
from weavefn.model.units import parse_quantity
from weavefn.providers.settings import PodSettings
from weavefn.render.labels import headless_service_name
from weavefn.render.modules import (
    EnvVar,
    default_vectorizer,
    enabled_module_names,
    env_value,
    weaviate_module_env,
)
from weavefn.render.raft import raft_env
from weavefn.weaviate.releases import ASYNC_REPLICATION_SWITCH_VAR, movement_env, needs_gomaxprocs

DATA_PATH = "/var/lib/weaviate"
GOSSIP_PORT = 7000
DATA_PORT = 7001
# Leave the Go runtime 10% below the container limit so it collects garbage before the kernel
# OOM-kills the pod.
_GOMEMLIMIT_SHARE = Decimal("0.9")
CLUSTER_AUTH_KEYS = {f"CLUSTER_BASIC_AUTH_{key.upper()}": key for key in ("username", "password")}
"""The Secret key each internal-auth variable (CLUSTER_BASIC_AUTH_USERNAME, _PASSWORD) is read
from."""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _cluster_env(cluster: WeaviateCluster) -> dict[str, str]:
    join = f"{headless_service_name(cluster)}.{cluster.metadata.namespace}.svc.cluster.local."
    return {
        "CLUSTER_JOIN": join,
        "CLUSTER_GOSSIP_BIND_PORT": str(GOSSIP_PORT),
        "CLUSTER_DATA_BIND_PORT": str(DATA_PORT),
        "PERSISTENCE_DATA_PATH": DATA_PATH,
        "PROMETHEUS_MONITORING_ENABLED": "true",
    }


def _replication_env(cluster: WeaviateCluster, version: str) -> dict[str, str]:
    replication = cluster.spec.replication
    env = {
        "REPLICATION_MINIMUM_FACTOR": str(replication.factor),
        # The switch's name and sense depend on the patch release the pod runs.
        **movement_env(version, enabled=replication.replica_movement),
    }
    # A kill switch over every collection's own asyncEnabled: only on an explicit opt-out.
    if replication.async_enabled is False:
        env[ASYNC_REPLICATION_SWITCH_VAR] = _flag(True)
    return env


def _auth_env(cluster: WeaviateCluster) -> list[EnvVar]:
    auth = cluster.spec.auth
    if auth is None:
        return [env_value("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", True)]
    env = [env_value("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", auth.anonymous_access)]
    if auth.api_key:
        env += [
            env_value("AUTHENTICATION_APIKEY_ENABLED", True),
            env_value("AUTHENTICATION_APIKEY_ALLOWED_KEYS", auth.api_key),
        ]
        if auth.users:
            env.append(env_value("AUTHENTICATION_APIKEY_USERS", ",".join(auth.users)))
    return env


def _memory_env(cluster: WeaviateCluster) -> dict[str, str]:
    limit = cluster.spec.resources.limits.memory
    if not limit:
        return {}
    mebibytes = int(parse_quantity(limit) * _GOMEMLIMIT_SHARE / 2**20)
    return {"GOMEMLIMIT": f"{mebibytes}MiB"}


def _cpu_env(cluster: WeaviateCluster, version: str) -> list[EnvVar]:
    """GOMAXPROCS from the CPU limit, for releases whose Go runtime would use the node's CPUs.

    The downward API rounds limits.cpu up with divisor 1 (4000m -> 4, 500m -> 1); without it a
    4-CPU pod on a 16-CPU node runs 16 threads against its quota and is throttled.
    """
    limit = cluster.spec.resources.limits.cpu
    if not limit or parse_quantity(limit) <= 0 or not needs_gomaxprocs(version):
        return []
    field = {"resource": "limits.cpu", "divisor": "1"}
    return [{"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": field}}]


def cluster_auth_env(secret: str | None) -> list[EnvVar]:
    """The internal cluster API's basic auth, read from ``secret`` (None: the API stays open)."""
    if secret is None:
        return []
    return [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for name, key in CLUSTER_AUTH_KEYS.items()
    ]


def weaviate_env(
    cluster: WeaviateCluster,
    *,
    voters: list[str],
    settings: PodSettings,
    version: str | None = None,
    auth_secret: str | None = None,
) -> list[EnvVar]:
    """Every variable for a pod running ``version`` (default spec.version), sorted by name;
    spec.env comes last and overrides ours by name. ``auth_secret`` holds the internal
    cluster API's credentials when the pods guard it."""
    plain: dict[str, str] = {
        **_cluster_env(cluster),
        **raft_env(voters),
        **_replication_env(cluster, version or cluster.spec.version),
        **_memory_env(cluster),
        **settings.env,
    }
    modules = enabled_module_names(cluster, settings.modules)
    if modules:
        plain["ENABLE_MODULES"] = ",".join(modules)
    vectorizer = default_vectorizer(cluster)
    if vectorizer:
        plain["DEFAULT_VECTORIZER_MODULE"] = vectorizer
    env: dict[str, EnvVar] = {name: {"name": name, "value": v} for name, v in plain.items()}
    for name, (secret, key) in settings.secret_env.items():
        env[name] = {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
    env["CLUSTER_HOSTNAME"] = {
        "name": "CLUSTER_HOSTNAME",
        # The pod name is the Weaviate node name: it must never drift across restarts.
        "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
    }
    running = version or cluster.spec.version
    extra = [
        *weaviate_module_env(cluster),
        *_auth_env(cluster),
        *_cpu_env(cluster, running),
        *cluster_auth_env(auth_secret),
    ]
    for var in extra:
        env[var["name"]] = var
    user = [var.model_dump(by_alias=True, exclude_none=True) for var in cluster.spec.env]
    overridden = {var["name"] for var in user}
    # Ours are sorted for stable output; the user's keep their order, since $(VAR) references
    # may depend on it.
    ours = [env[name] for name in sorted(env) if name not in overridden]
    return ours + user


def plain_settings(env: list[EnvVar]) -> dict[str, str]:
    """The literal (non-secret, non-derived) variables, as the ConfigMap records them."""
    return {var["name"]: var["value"] for var in env if "value" in var}
