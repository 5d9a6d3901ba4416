"""Where Weaviate serves its internal cluster API, and what CLUSTER_BASIC_AUTH_* guards, per
release, as Weaviate's source shows (pure).

- The data port (7001) serves the shard, replica, node, backup, export and user endpoints; each
  handler is wrapped with the basic auth when it is set (adapters/handlers/rest/clusterapi/
  serve.go, auth.go). A node with no credentials checks nothing and sends none.
- The Raft membership routes ``/v1/cluster/join`` and ``/v1/cluster/remove``
  (adapters/handlers/rest/raft/handler.go) were served on the public port (8080), with no auth
  of any kind, until they moved to the data port (adapters/handlers/rest/middlewares.go ->
  clusterapi/serve.go); the basic auth guards them only from the patches in
  ``_RAFT_ROUTES_GUARDED_FROM``. ``/v1/cluster/statistics`` always stayed a public, API-key
  endpoint: the old middleware passed it through.
- The file replication gRPC service sat on the public gRPC port (50051), guarded by the basic
  auth only when it is set, on the releases in ``_FILE_REPLICATION_PUBLIC_UNTIL``; from 1.33.6,
  1.34.1 and 1.35 on the data port, guarded, and from 1.37 beside the replication service
  (clusterapi/grpc/server.go).
- Everything else on the public ports (REST 8080, gRPC 50051) is guarded by API keys or OIDC,
  never by the cluster basic auth: weavefn's own calls (/v1/nodes, /v1/cluster/statistics,
  /v1/schema, /v1/backups, /v1/replication) work the same with it on, and the node a call
  lands on reaches the others through the data port with the credentials it holds.
"""

from __future__ import annotations

from weavefn.model.units import Version
from weavefn.weaviate.releases import Line, parse

_PUBLIC_ROUTE_PREFIX = "/v1/cluster"
_PUBLIC_EXCEPTION = "/v1/cluster/statistics"

# The first patch of each line that serves the Raft routes on the data port, not on 8080.
_RAFT_ROUTES_MOVED_IN: dict[Line, int] = {(1, 31): 21, (1, 32): 22, (1, 33): 10, (1, 34): 5}
_RAFT_ROUTES_MOVED_LINE: Line = (1, 35)
# The first patch of each line where the basic auth guards them there.
_RAFT_ROUTES_GUARDED_FROM: dict[Line, int] = {(1, 35): 20, (1, 36): 14, (1, 37): 3}
_RAFT_ROUTES_GUARDED_LINE: Line = (1, 38)
# The releases whose public gRPC port serves weaviate.v1.FileReplicationService: the last patch
# of each line that did (None: every patch), found by adapters/handlers/grpc registering it.
_FILE_REPLICATION_PUBLIC_UNTIL: dict[Line, int | None] = {(1, 32): None, (1, 33): 5, (1, 34): 0}


def _from_patch(version: Version, by_line: dict[Line, int], line: Line) -> bool:
    first = by_line.get(version.minor_line)
    if first is not None:
        return version.patch >= first
    return version.minor_line >= line


def raft_routes_on_public_port(version: str) -> bool:
    """Whether a node running ``version`` serves /v1/cluster/join and /remove, unauthenticated,
    on its public HTTP port: anyone who reaches 8080 can remove a Raft voter."""
    parsed = parse(version)
    if parsed is None or parsed.minor_line < (1, 25):
        return False
    return not _from_patch(parsed, _RAFT_ROUTES_MOVED_IN, _RAFT_ROUTES_MOVED_LINE)


def raft_routes_guarded(version: str) -> bool:
    """Whether the basic auth guards the Raft membership routes (on the data port)."""
    parsed = parse(version)
    return parsed is not None and _from_patch(
        parsed, _RAFT_ROUTES_GUARDED_FROM, _RAFT_ROUTES_GUARDED_LINE
    )


def file_replication_on_public_grpc(version: str) -> bool:
    """Whether the public gRPC port serves the file replication service (shard files), guarded
    only by the cluster basic auth."""
    parsed = parse(version)
    if parsed is None or parsed.minor_line not in _FILE_REPLICATION_PUBLIC_UNTIL:
        return False
    last = _FILE_REPLICATION_PUBLIC_UNTIL[parsed.minor_line]
    return last is None or parsed.patch <= last


def internal_route(path: str, version: str) -> bool:
    """Whether a request for ``path`` on the public port of a node running ``version`` reaches
    Weaviate's Raft membership handler (no auth of any kind) rather than the API-key guarded
    public API. The old middleware matched the regexp ``/v1/cluster/*`` anywhere in the path."""
    if path == _PUBLIC_EXCEPTION or _PUBLIC_ROUTE_PREFIX not in path:
        return False
    return raft_routes_on_public_port(version)
