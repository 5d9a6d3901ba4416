"""WeaviateHttpApi against a fake Weaviate over real HTTP: every method, auth and failures."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from weavefn.errors import InvalidInputError, NotFoundError, TerminalError, UnavailableError
from weavefn.local.weaviate.api import EmbeddedWeaviateApi
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import PodNode
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.weaviate.port import (
    BackupStatus,
    NodeStatus,
    ReplicaMovementUnsupportedError,
    ReplicationKind,
    ReplicationState,
)

from tests.support.fake_weaviate import FakeWeaviate

from .conftest import NODES, ManualClock

SECRET = "s3cr3t-weaviate-key-0123"


def test_nodes_report_every_member_with_its_shards(
    api: WeaviateHttpApi, sim: EmbeddedWeaviate
) -> None:
    nodes = api.nodes()

    assert [n.name for n in nodes] == NODES
    assert {n.status for n in nodes} == {NodeStatus.HEALTHY}
    assert {n.version for n in nodes} == {"1.32.2"}
    # 2 collections x 3 shards x factor 2 = 12 replicas spread over the nodes.
    assert sum(n.shard_count for n in nodes) == 12
    for node in nodes:
        assert len(node.shards) == node.shard_count
        assert node.object_count == sum(s.object_count for s in node.shards) > 0
    assert {s.collection for n in nodes for s in n.shards} == {"Collection1", "Collection2"}


def test_cluster_statistics_name_one_leader(api: WeaviateHttpApi) -> None:
    stats = api.cluster_statistics()

    assert stats.synchronized is True
    assert stats.leader == "weaviate-0"
    assert sum(n.is_voter for n in stats.nodes) == 3


def test_backup_round_trip_over_http(api: WeaviateHttpApi, clock: ManualClock) -> None:
    started = api.create_backup("s3", "pre-upgrade-1", include=["Collection1"])
    assert (started.status, started.classes) == (BackupStatus.STARTED, ("Collection1",))

    clock.advance(3)
    assert api.backup_status("s3", "pre-upgrade-1").status is BackupStatus.TRANSFERRING
    clock.advance(10)
    assert api.backup_status("s3", "pre-upgrade-1").status is BackupStatus.SUCCESS


def test_restore_over_http_brings_back_a_dropped_collection(
    api: WeaviateHttpApi, sim: EmbeddedWeaviate, clock: ManualClock
) -> None:
    api.create_backup("s3", "nightly")
    clock.advance(60)
    sim.drop_collection("Collection2")  # the data is gone

    assert api.restore_backup("s3", "nightly", include=["Collection2"]).status is (
        BackupStatus.STARTED
    )
    clock.advance(60)

    assert api.restore_status("s3", "nightly").status is BackupStatus.SUCCESS
    assert sorted(api.collections()) == ["Collection1", "Collection2"]


def test_unknown_backup_is_not_found(api: WeaviateHttpApi) -> None:
    with pytest.raises(NotFoundError, match="never-taken"):
        api.backup_status("s3", "never-taken")


def test_bad_backup_id_names_the_field_before_any_request(
    api: WeaviateHttpApi, servers: dict[str, FakeWeaviate]
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        api.create_backup("s3", "Bad ID!")

    assert [e.path for e in caught.value.errors] == ["backup_id"]
    assert servers["weaviate-0"].requests == []


def test_sharding_state_and_move_over_http(api: WeaviateHttpApi, clock: ManualClock) -> None:
    assert api.collections() == ["Collection1", "Collection2"]
    state = api.sharding_state()
    assert [c.collection for c in state.collections] == ["Collection1", "Collection2"]
    collection = state.collections[0]
    shard = collection.shards[0]
    source = shard.replicas[0]
    target = next(n for n in NODES if n not in shard.replicas)

    op_id = api.replicate(
        collection=collection.collection,
        shard=shard.shard,
        source_node=source,
        target_node=target,
        kind=ReplicationKind.MOVE,
    )
    assert api.replication_operation(op_id).state == ReplicationState.REGISTERED
    clock.advance(60)
    done = api.replication_operation(op_id)

    assert (done.state, done.kind, done.source_node, done.target_node) == (
        ReplicationState.READY,
        ReplicationKind.MOVE,
        source,
        target,
    )
    moved = api.sharding_state(collection.collection).replicas_of(
        collection.collection, shard.shard
    )
    assert target in moved
    assert source not in moved


def test_failed_move_reports_cancelled_with_weaviates_error(
    api: WeaviateHttpApi, sim: EmbeddedWeaviate, clock: ManualClock
) -> None:
    shard = api.sharding_state("Collection1").collections[0].shards[0]
    target = next(n for n in NODES if n not in shard.replicas)
    sim.fail_next_replication("hydration failed: target disk full")
    op_id = api.replicate(
        collection="Collection1",
        shard=shard.shard,
        source_node=shard.replicas[0],
        target_node=target,
        kind=ReplicationKind.MOVE,
    )
    clock.advance(60)

    op = api.replication_operation(op_id)
    assert op.state == ReplicationState.CANCELLED
    assert op.error == "hydration failed: target disk full"


def test_refused_replication_carries_weaviates_message(api: WeaviateHttpApi) -> None:
    shard = api.sharding_state("Collection1").collections[0].shards[0]
    with pytest.raises(TerminalError, match="already holds a replica"):
        api.replicate(
            collection="Collection1",
            shard=shard.shard,
            source_node=shard.replicas[0],
            target_node=shard.replicas[1],
            kind=ReplicationKind.COPY,
        )


@pytest.mark.parametrize(
    ("version", "enabled"),
    [("1.31.9", True), ("1.32.0", False)],
    ids=["below-1.32-has-no-endpoint", "disabled-answers-501"],
)
def test_replica_movement_unsupported(
    sim: EmbeddedWeaviate, servers: dict[str, FakeWeaviate], version: str, enabled: bool
) -> None:
    sim.sync_nodes([PodNode(n, True, version) for n in NODES])
    sim.set_replica_movement(enabled)
    api = WeaviateHttpApi(servers["weaviate-1"].url)
    shard = sim.state.collections[0].shards[0]

    with pytest.raises(ReplicaMovementUnsupportedError) as caught:
        api.replicate(
            collection="Collection1",
            shard=shard.name,
            source_node=shard.replicas[0],
            target_node=next(n for n in NODES if n not in shard.replicas),
            kind=ReplicationKind.MOVE,
        )
    assert not caught.value.retryable


def test_set_shard_ready_after_readonly(api: WeaviateHttpApi, sim: EmbeddedWeaviate) -> None:
    shard = sim.state.collections[1].shards[2].name
    sim.set_shard_readonly("Collection2", shard)

    api.set_shard_ready("Collection2", shard)

    assert sim.shard_status("Collection2", shard) == "READY"
    with pytest.raises(NotFoundError):
        api.set_shard_ready("Collection2", "no-such-shard")


def test_each_server_answers_as_its_node(
    sim: EmbeddedWeaviate, servers: dict[str, FakeWeaviate]
) -> None:
    sim.sync_nodes([PodNode(n, n != "weaviate-2", "1.32.2") for n in NODES])

    assert WeaviateHttpApi(servers["weaviate-0"].url).nodes()[2].status is NodeStatus.UNAVAILABLE
    with pytest.raises(UnavailableError, match="503"):
        WeaviateHttpApi(servers["weaviate-2"].url).nodes()


def test_api_key_is_required_and_never_echoed(sim: EmbeddedWeaviate) -> None:
    with FakeWeaviate(sim, api_key=SECRET) as fake:
        assert len(WeaviateHttpApi(fake.url, api_key=SECRET).nodes()) == 3
        with pytest.raises(TerminalError, match="401") as caught:
            WeaviateHttpApi(fake.url, api_key=SECRET + "-wrong").nodes()

    assert SECRET not in str(caught.value)
    assert not caught.value.retryable


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on a free loopback port for the block; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def _raw_server(status: int, body: bytes, seen: list[str] | None = None) -> Iterator[str]:
    """A server that answers every request with the same bytes, echoing the caller's token."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if seen is not None:
                seen.append(f"{self.path} {self.headers.get('Authorization')}")
            payload = body.replace(b"{auth}", (self.headers.get("Authorization") or "").encode())
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with _serving(Handler) as url:
        yield url


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (200, b"<html>bad gateway</html>", UnavailableError, "malformed JSON"),
        (200, b'{"nodes": [{"status": "HEALTHY"}]}', UnavailableError, "unexpected answer"),
        (502, b"upstream down", UnavailableError, "502: upstream down"),
        (403, b'{"error": [{"message": "forbidden for {auth}"}]}', TerminalError, "403"),
        (422, b'{"error": [{"message": "bad class"}]}', TerminalError, "422: bad class"),
    ],
    ids=["html-page", "missing-field", "bad-gateway", "forbidden-echoes-token", "unprocessable"],
)
def test_answers_map_to_errors_without_secrets(
    status: int, body: bytes, error: type[Exception], message: str
) -> None:
    with _raw_server(status, body) as url:
        api = WeaviateHttpApi(url, api_key=SECRET, headers={"X-Trace": "1"})
        with pytest.raises(error, match=message) as caught:
            api.nodes()

    assert SECRET not in str(caught.value)


def test_proxy_headers_override_the_api_key() -> None:
    token = "k8s-bearer-token-abcdef"
    body = b'{"error": [{"message": "seen {auth}"}]}'
    seen: list[str] = []
    with _raw_server(418, body, seen) as url:
        api = WeaviateHttpApi(
            url + "/api/v1/namespaces/db/services/weaviate:8080/proxy",
            api_key=SECRET,
            headers={"Authorization": f"Bearer {token}"},
        )
        with pytest.raises(TerminalError) as caught:
            api.cluster_statistics()

    assert seen == [
        f"/api/v1/namespaces/db/services/weaviate:8080/proxy/v1/cluster/statistics Bearer {token}"
    ]
    assert token not in str(caught.value)
    assert "418: seen ***" in str(caught.value)


def test_a_stalled_server_times_out_as_unavailable(sim: EmbeddedWeaviate) -> None:
    with FakeWeaviate(sim) as fake:
        fake.delay = 5.0
        with pytest.raises(UnavailableError, match=r"within 0\.2s") as caught:
            WeaviateHttpApi(fake.url, timeout=0.2).cluster_statistics()

    assert caught.value.retryable


def test_nobody_listening_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UnavailableError, match="cannot reach"):
        WeaviateHttpApi(f"http://127.0.0.1:{port}", timeout=1).nodes()


def test_an_unknown_operation_is_not_found(api: WeaviateHttpApi) -> None:
    with pytest.raises(NotFoundError):
        api.replication_operation("00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize(
    ("source", "kind", "field"),
    [("", "MOVE", "source_node"), ("weaviate-0", "SWAP", "kind")],
    ids=["empty-source", "unknown-kind"],
)
def test_bad_replicate_input_names_the_field(
    api: WeaviateHttpApi, servers: dict[str, FakeWeaviate], source: str, kind: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        api.replicate(
            collection="Collection1",
            shard="s",
            source_node=source,
            target_node="weaviate-1",
            kind=kind,  # type: ignore[arg-type]
        )

    assert [e.path for e in caught.value.errors] == [field]
    assert servers["weaviate-0"].requests == []


@contextmanager
def _routed_server(routes: dict[str, tuple[int, bytes]]) -> Iterator[str]:
    """A server answering each path (query included) with its own status and bytes."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, payload = routes.get(self.path, (404, b""))
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with _serving(Handler) as url:
        yield url


SHARDING = "/v1/replication/sharding-state?collection="
ROUTER_404 = b'{"code":404,"message":"path /v1/replication/sharding-state was not found"}'


@pytest.mark.parametrize(
    ("status", "body", "error", "says"),
    [
        # handlers_replicate.go: NewGetCollectionShardingStateNotFound(), no payload
        pytest.param(404, b"", NotFoundError, "404", id="collection-not-found"),
        # go-openapi's router on a release without /v1/replication (before 1.32)
        pytest.param(404, ROUTER_404, ReplicaMovementUnsupportedError, "1.32", id="no-route"),
        # handlers_setup.go setupUnimplementedHandlers: movement switched off, no payload
        pytest.param(501, b"", ReplicaMovementUnsupportedError, "switched off", id="disabled"),
    ],
)
def test_only_501_or_a_missing_route_mean_unsupported(
    status: int, body: bytes, error: type[Exception], says: str
) -> None:
    with (
        _routed_server({f"{SHARDING}Articles": (status, body)}) as url,
        pytest.raises(error, match=says) as caught,
    ):
        WeaviateHttpApi(url).sharding_state("Articles")
    assert type(caught.value) is error


def test_a_collection_dropped_after_the_schema_was_read_is_skipped() -> None:
    state = b'{"shardingState": {"collection": "Kept", "shards": [{"shard": "s1", "replicas": ["n0"]}]}}'
    routes = {
        "/v1/schema": (200, b'{"classes": [{"class": "Dropped"}, {"class": "Kept"}]}'),
        f"{SHARDING}Dropped": (404, b""),
        f"{SHARDING}Kept": (200, state),
    }
    with _routed_server(routes) as url:
        found = WeaviateHttpApi(url).sharding_state()
    assert [c.collection for c in found.collections] == ["Kept"]


@pytest.mark.parametrize(
    ("version", "movement", "collection", "status", "body", "error"),
    [
        pytest.param("1.32.0", True, "Nope", 404, b"", NotFoundError, id="unknown-collection"),
        pytest.param(
            "1.32.0", False, "Collection1", 501, b"", ReplicaMovementUnsupportedError, id="off"
        ),
        pytest.param(
            "1.31.9",
            True,
            "Collection1",
            404,
            b'{"code": 404, "message": "path /v1/replication/sharding-state was not found"}',
            ReplicaMovementUnsupportedError,
            id="before-1-32",
        ),
    ],
)
def test_the_fake_answers_sharding_state_as_weaviate_does(
    *,
    sim: EmbeddedWeaviate,
    servers: dict[str, FakeWeaviate],
    version: str,
    movement: bool,
    collection: str,
    status: int,
    body: bytes,
    error: type[Exception],
) -> None:
    sim.sync_nodes([PodNode(n, True, version) for n in NODES])
    sim.set_replica_movement(movement)
    fake = servers["weaviate-0"]
    target = f"/v1/replication/sharding-state?collection={collection}"

    answer = fake.handle("GET", target, {}, b"")

    assert answer[0] == status
    assert (b"" if answer[1] is None else json.dumps(answer[1]).encode()) == body
    # The same answer read over HTTP and in process is the same error.
    for api in (WeaviateHttpApi(fake.url), EmbeddedWeaviateApi(sim, node="weaviate-0")):
        with pytest.raises(error) as caught:
            api.sharding_state(collection)
        assert type(caught.value) is error
