"""What each Weaviate release reads and offers weavefn, as Weaviate's own source shows (pure).

Every fact names the file of the weaviate/weaviate repository it comes from; the README's
"Weaviate versions" table lists the same facts for users.
"""

from __future__ import annotations

from collections.abc import Mapping

from weavefn.model.units import Version

Line = tuple[int, int]

SUPPORTED_SINCE: Line = (1, 25)
"""The oldest line weavefn manages: the first with Raft (RAFT_JOIN, RAFT_BOOTSTRAP_EXPECT,
RAFT_PORT, RAFT_INTERNAL_RPC_PORT are read from 1.25.0 on, usecases/config/environment.go).
The StatefulSet always carries those settings, so an older release would run without them."""

REQUEST_METRICS_SINCE: Line = (1, 29)
"""``weaviate_http_request_duration_seconds`` and ``weaviate_grpc_server_request_duration_seconds``
(usecases/monitoring/prometheus.go, NewHTTPServerMetrics and NewGRPCServerMetrics)."""

INTERNAL_HTTP_RECORDED_SINCE: Line = (1, 30)
"""The cluster-internal HTTP API (data port) is recorded in the same HTTP histogram
(adapters/handlers/rest/clusterapi/serve.go wraps its mux with monitoring.InstrumentHTTP)."""

REPLICA_MOVEMENT_SINCE = "1.32.0"
"""The ``/v1/replication/*`` API (adapters/handlers/rest/replication/handlers_setup.go)."""

INTEGRATING_SINCE: Line = (1, 38)
"""The INTEGRATING replication state, between FINALIZING and DEHYDRATING or READY
(cluster/proto/api/shard_requests.go, cluster/replication/consumer.go)."""

# GET /v1/backups/{backend} (each backup's id, status and classes) answers from these patches:
# the route exists earlier (1.25.31, 1.26.5, 1.27.0) but Scheduler.List answered "not
# implemented" (500) until AllBackups arrived (usecases/backup/scheduler.go).
_BACKUP_LIST_FROM: dict[Line, int] = {(1, 30): 12, (1, 31): 5}
_BACKUP_LIST_LINE: Line = (1, 32)

RESTORE_CANCEL_SINCE: Line = (1, 36)
"""DELETE /v1/backups/{backend}/{id}/restore (backups.restore.cancel): a running restore ends
CANCELED (usecases/backup/scheduler.go, CancelRestore); earlier releases have no such route."""
GO_CGROUP_CPU_SINCE: Line = (1, 35)
"""The first line built with Go 1.25 (Dockerfile ``golang:1.25-alpine``, go.mod ``go 1.25``), whose
runtime sizes GOMAXPROCS to the container's CPU limit by default. Earlier lines (Go 1.21-1.24)
use the node's CPU count unless GOMAXPROCS is set; Weaviate sets it itself only with
LIMIT_RESOURCES=true (adapters/handlers/rest/configure_api.go, limitResources)."""

ASYNC_REPLICATION_SWITCH_VAR = "ASYNC_REPLICATION_DISABLED"
# ASYNC_REPLICATION_DISABLED turns async replication off whatever a collection's own
# replicationConfig.asyncEnabled says: read in adapters/repos/db/index.go
# (asyncReplicationGloballyDisabled) from these patches, and from 1.30 on through
# usecases/config/environment.go (Replication.AsyncReplicationDisabled). Older releases ignore it.
_ASYNC_SWITCH_FROM: dict[Line, int] = {(1, 26): 14, (1, 27): 11, (1, 28): 5}
_ASYNC_SWITCH_LINE: Line = (1, 29)

MOVEMENT_DISABLED_VAR = "REPLICA_MOVEMENT_DISABLED"
MOVEMENT_ENABLED_VAR = "REPLICA_MOVEMENT_ENABLED"
# The patch where each line switched from REPLICA_MOVEMENT_DISABLED (movement on unless set)
# to REPLICA_MOVEMENT_ENABLED (movement off unless set); 1.34.0 and later read only the latter
# (usecases/config/environment.go at v1.32.15/v1.32.16 and v1.33.3/v1.33.4).
_ENABLED_VAR_FROM: dict[Line, int] = {(1, 32): 16, (1, 33): 4}
_ENABLED_VAR_LINE: Line = (1, 34)


def parse(version: str) -> Version | None:
    """The version, or None when it cannot be read (such a release promises nothing)."""
    try:
        return Version.parse(version)
    except (ValueError, TypeError, AttributeError):
        return None


def at_least(version: str, line: Line) -> bool:
    """Whether ``version`` is on ``line`` or a later one; an unreadable version is not."""
    parsed = parse(version)
    return parsed is not None and parsed.minor_line >= line


def lists_backups(version: str) -> bool:
    """Whether ``GET /v1/backups/{backend}`` lists the backups (and their classes)."""
    parsed = parse(version)
    if parsed is None:
        return False
    first_patch = _BACKUP_LIST_FROM.get(parsed.minor_line)
    if first_patch is not None:
        return parsed.patch >= first_patch
    return parsed.minor_line >= _BACKUP_LIST_LINE


def cancels_restores(version: str) -> bool:
    """Whether ``DELETE /v1/backups/{backend}/{id}/restore`` cancels a running restore."""
    return at_least(version, RESTORE_CANCEL_SINCE)


def movement_switch(version: str) -> str | None:
    """The variable the release reads to switch replica movement, or None before 1.32."""
    parsed = parse(version)
    if parsed is None or parsed < Version.parse(REPLICA_MOVEMENT_SINCE):
        return None
    first_patch = _ENABLED_VAR_FROM.get(parsed.minor_line)
    if first_patch is not None:
        return MOVEMENT_ENABLED_VAR if parsed.patch >= first_patch else MOVEMENT_DISABLED_VAR
    return MOVEMENT_ENABLED_VAR if parsed.minor_line >= _ENABLED_VAR_LINE else None


def movement_env(version: str, *, enabled: bool) -> dict[str, str]:
    """The environment that turns replica movement on or off for a pod running ``version``."""
    switch = movement_switch(version)
    if switch is None:
        return {}
    on = enabled if switch == MOVEMENT_ENABLED_VAR else not enabled
    return {switch: "true" if on else "false"}


def _enabled(value: str | None) -> bool:
    # entities/config/helpers.go Enabled(): these four spellings, case-insensitive.
    return (value or "").lower() in ("on", "enabled", "1", "true")


def movement_on(version: str, env: Mapping[str, str]) -> bool:
    """Whether a node running ``version`` with environment ``env`` serves replica movement."""
    switch = movement_switch(version)
    if switch == MOVEMENT_DISABLED_VAR:
        return not _enabled(env.get(switch))
    if switch == MOVEMENT_ENABLED_VAR:
        return _enabled(env.get(switch))
    return False


def reads_async_replication_switch(version: str) -> bool:
    """Whether a node running ``version`` honours ASYNC_REPLICATION_DISABLED."""
    parsed = parse(version)
    if parsed is None:
        return False
    first_patch = _ASYNC_SWITCH_FROM.get(parsed.minor_line)
    if first_patch is not None:
        return parsed.patch >= first_patch
    return parsed.minor_line >= _ASYNC_SWITCH_LINE


def needs_gomaxprocs(version: str) -> bool:
    """Whether a node running ``version`` needs GOMAXPROCS set to follow its CPU limit."""
    parsed = parse(version)
    return parsed is None or parsed.minor_line < GO_CGROUP_CPU_SINCE
