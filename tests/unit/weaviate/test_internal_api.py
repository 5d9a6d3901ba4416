"""Where each Weaviate release serves its internal cluster API and what the basic auth guards."""

from __future__ import annotations

import pytest
from weavefn.weaviate.internal_api import (
    file_replication_on_public_grpc,
    internal_route,
    raft_routes_guarded,
    raft_routes_on_public_port,
)


@pytest.mark.parametrize(
    ("version", "public", "guarded"),
    [
        pytest.param("1.24.9", False, False, id="before-raft"),
        pytest.param("1.25.0", True, False, id="first-raft-release"),
        pytest.param("1.31.20", True, False, id="1.31-last-public"),
        pytest.param("1.31.21", False, False, id="1.31-moved"),
        pytest.param("1.32.21", True, False, id="1.32-last-public"),
        pytest.param("1.32.22", False, False, id="1.32-moved"),
        pytest.param("1.33.9", True, False, id="1.33-last-public"),
        pytest.param("1.33.10", False, False, id="1.33-moved"),
        pytest.param("1.34.4", True, False, id="1.34-last-public"),
        pytest.param("1.34.5", False, False, id="1.34-moved"),
        pytest.param("1.35.19", False, False, id="1.35-open-on-the-data-port"),
        pytest.param("1.35.20", False, True, id="1.35-guarded"),
        pytest.param("1.36.13", False, False, id="1.36-open"),
        pytest.param("1.36.14", False, True, id="1.36-guarded"),
        pytest.param("1.37.2", False, False, id="1.37-open"),
        pytest.param("1.37.3", False, True, id="1.37-guarded"),
        pytest.param("1.38.0", False, True, id="1.38-guarded"),
        pytest.param("not-a-version", False, False, id="unreadable"),
    ],
)
def test_raft_membership_routes(version: str, public: bool, guarded: bool) -> None:
    assert raft_routes_on_public_port(version) is public
    assert raft_routes_guarded(version) is guarded


@pytest.mark.parametrize(
    ("version", "public"),
    [
        pytest.param("1.31.9", False, id="before-file-replication"),
        pytest.param("1.32.0", True, id="1.32-first"),
        pytest.param("1.32.27", True, id="1.32-every-patch"),
        pytest.param("1.33.5", True, id="1.33-last-public"),
        pytest.param("1.33.6", False, id="1.33-moved"),
        pytest.param("1.34.0", True, id="1.34.0-public"),
        pytest.param("1.34.1", False, id="1.34-moved"),
        pytest.param("1.35.0", False, id="1.35-data-port"),
    ],
)
def test_file_replication_on_the_public_grpc_port(version: str, public: bool) -> None:
    assert file_replication_on_public_grpc(version) is public


@pytest.mark.parametrize(
    ("path", "version", "internal"),
    [
        pytest.param("/v1/cluster/remove", "1.30.0", True, id="remove-public"),
        pytest.param("/v1/cluster/join", "1.34.4", True, id="join-public"),
        pytest.param("/v1/cluster/statistics", "1.30.0", False, id="statistics-passed-through"),
        pytest.param("/v1/cluster/remove", "1.34.5", False, id="moved-off-the-public-port"),
        pytest.param("/v1/nodes", "1.30.0", False, id="nodes"),
    ],
)
def test_internal_route(path: str, version: str, internal: bool) -> None:
    assert internal_route(path, version) is internal
