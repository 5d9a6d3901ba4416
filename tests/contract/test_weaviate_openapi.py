"""Every request weavefn's Weaviate client sends, and every answer the fake Weaviate gives,
validates against Weaviate's own OpenAPI spec (../shared/weaviate/openapi-schema.json).

The spec is from 1.40.0-dev: what appeared after the versions weavefn supports is not checked
for (see the kit's README); everything the client and the fake exchange must be in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from weavefn.errors import WeavefnError
from weavefn.local.kube import ManualClock
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import BackupFailure, PodNode, SimTiming
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.weaviate.internal_api import internal_route
from weavefn.weaviate.port import ReplicationKind

from tests.contract.openapi import Exchange, Spec, load
from tests.support.fake_weaviate import FakeWeaviate

ROOT = Path(__file__).resolve().parents[2]
SPEC_ENV = "WEAVEFN_WEAVIATE_SPEC"


def spec_path() -> Path:
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return Path(configured)
    return ROOT.parent / "shared" / "weaviate" / "openapi-schema.json"


@pytest.fixture(scope="module")
def spec() -> Spec:
    path = spec_path()
    if not path.is_file():
        pytest.skip(f"no Weaviate OpenAPI spec at {path} (set {SPEC_ENV})")
    return load(path)


class RecordingWeaviate(FakeWeaviate):
    """The fake Weaviate, keeping every request and the answer it gave."""

    def __init__(self, sim: EmbeddedWeaviate, **kwargs: Any) -> None:
        super().__init__(sim, **kwargs)
        self.exchanges: list[Exchange] = []

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        status, answer = super().handle(method, target, headers, raw)
        split = urllib.parse.urlsplit(target)
        self.exchanges.append(
            Exchange(
                method=method,
                path=split.path,
                query=dict(urllib.parse.parse_qsl(split.query)),
                body=json.loads(raw) if raw.strip() else None,
                status=status,
                answer=answer,
            )
        )
        return status, answer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def served(clock: ManualClock) -> Iterator[tuple[EmbeddedWeaviate, RecordingWeaviate]]:
    nodes = ["weaviate-0", "weaviate-1", "weaviate-2"]
    sim = EmbeddedWeaviate.seeded(
        nodes,
        collections=2,
        shards_per_collection=3,
        replication_factor=2,
        seed=7,
        version="1.32.5",
        clock=clock,
        timing=SimTiming(),
    )
    sim.set_replica_movement(True)
    with RecordingWeaviate(sim, node="weaviate-0") as fake:
        yield sim, fake


def _every_call(api: WeaviateHttpApi, sim: EmbeddedWeaviate, clock: ManualClock) -> None:
    """Each method of the client, through the states its answers can be in."""
    api.nodes()
    api.cluster_statistics()
    collections = api.collections()
    sharding = api.sharding_state()
    api.sharding_state(collections[0])
    shard = sharding.collections[0].shards[0]
    target = next(n for n in ("weaviate-0", "weaviate-1", "weaviate-2") if n not in shard.replicas)
    op = api.replicate(
        collection=sharding.collections[0].collection,
        shard=shard.shard,
        source_node=shard.replicas[0],
        target_node=target,
        kind=ReplicationKind.MOVE,
    )
    for _ in range(12):
        api.replication_operation(op)
        clock.advance(1)
    backup = "weavefn-pre-1-33-1-v1-32-5-20260101t000000z"
    with contextlib.suppress(WeavefnError):
        api.restore_status("s3", backup)  # never taken: 404
    api.create_backup("s3", backup, include=collections)
    for _ in range(8):
        api.backup_status("s3", backup)
        clock.advance(1)
    api.list_backups("s3")
    # refusals of the restore request: include with exclude (422), an unknown backup (404),
    # a node of the backup that is not in the cluster (500)
    for call in (
        lambda: api.restore_backup("s3", backup, include=collections, exclude=collections),
        lambda: api.restore_backup("s3", "never-taken"),
        lambda: api.restore_backup("s3", backup, node_mapping={"weaviate-0": "elsewhere-0"}),
    ):
        with pytest.raises(WeavefnError):
            call()
    # a restore over a collection that exists ends FAILED; one of a dropped collection succeeds
    api.restore_backup("s3", backup, exclude=collections[1:])
    for _ in range(8):
        api.restore_status("s3", backup)
        clock.advance(1)
    sim.drop_collection(collections[1])
    api.restore_backup("s3", backup, include=collections[1:], node_mapping={"x-0": "weaviate-0"})
    for _ in range(8):
        api.restore_status("s3", backup)
        clock.advance(1)
    # on 1.36 a restore can be cancelled: one that succeeded is refused (422), a running one
    # ends CANCELED (204), and cancelling it again is no error (204)
    sim.sync_nodes([PodNode(f"weaviate-{i}", True, "1.36.2") for i in range(3)])
    with pytest.raises(WeavefnError):
        api.cancel_restore("s3", backup)
    sim.drop_collection(collections[1])
    sim.fail_next_restore(BackupFailure.STUCK)
    api.restore_backup("s3", backup, include=collections[1:])
    api.restore_status("s3", backup)
    for _ in range(2):
        api.cancel_restore("s3", backup)
        api.restore_status("s3", backup)
    sim.set_shard_readonly(collections[0], shard.shard)
    api.set_shard_ready(collections[0], shard.shard)
    # answers that are refusals
    for call in (
        lambda: api.backup_status("s3", "no-such-backup"),
        lambda: api.replication_operation("00000000-0000-0000-0000-000000000000"),
        lambda: api.sharding_state("NoSuchCollection"),
    ):
        with pytest.raises(WeavefnError):
            call()
    sim.set_replica_movement(False)
    with pytest.raises(WeavefnError):
        api.sharding_state(collections[0])
    sim.set_node_healthy("weaviate-1", False)
    sim.sync_nodes(
        [
            PodNode("weaviate-0", True, "1.32.5"),
            PodNode("weaviate-1", True, "1.32.5"),
            PodNode("weaviate-2", False, "1.32.5"),  # down: UNAVAILABLE
            PodNode("weaviate-3", True, "1.32.5"),  # joined, holds no shard yet
        ]
    )
    api.nodes()
    api.cluster_statistics()


def test_every_exchange_of_client_and_fake_is_in_weaviates_spec(
    spec: Spec, served: tuple[EmbeddedWeaviate, RecordingWeaviate], clock: ManualClock
) -> None:
    sim, fake = served
    _every_call(WeaviateHttpApi(fake.url, timeout=5.0), sim, clock)

    seen = {(e.method, spec.operation(e.method, e.path)[0]) for e in fake.exchanges}
    assert len(seen) == 13, sorted(seen)  # every endpoint the client has
    problems = [f"{e}: {p}" for e in fake.exchanges for p in spec.problems(e)]
    assert problems == [], "\n".join(problems)
    restores = [e for e in fake.exchanges if e.path.endswith("/restore")]
    assert {e.status for e in restores if e.method == "POST"} == {200, 404, 422, 500}
    assert {e.answer["status"] for e in restores if e.method == "GET" and e.status == 200} == {
        "STARTED",
        "TRANSFERRING",
        "SUCCESS",
        "FAILED",
        "CANCELED",
    }
    assert {e.status for e in restores if e.method == "DELETE"} == {204, 422}


# The releases around each move of Weaviate's Raft membership routes (internal_api.py).
_ROUTING_RELEASES = ("1.25.0", "1.31.20", "1.31.21", "1.34.4", "1.34.5", "1.35.20", "1.39.0")


def test_no_call_of_weavefn_reaches_the_internal_cluster_api(
    served: tuple[EmbeddedWeaviate, RecordingWeaviate], clock: ManualClock
) -> None:
    """With CLUSTER_BASIC_AUTH_* set, weavefn's calls still work: each is a public endpoint
    guarded by the API key only, never one Weaviate routes to its internal handlers."""
    sim, fake = served
    _every_call(WeaviateHttpApi(fake.url, api_key="k" * 16, timeout=5.0), sim, clock)
    paths = {e.path for e in fake.exchanges}
    assert "/v1/cluster/statistics" in paths
    reached = [(p, v) for p in sorted(paths) for v in _ROUTING_RELEASES if internal_route(p, v)]
    assert reached == []


@pytest.mark.parametrize(
    ("exchange", "expected"),
    [
        pytest.param(
            Exchange("GET", "/v1/nodes", {"verbose": "1"}, None, 200, {"nodes": []}),
            "query parameter 'verbose' is not declared",
            id="undeclared-query",
        ),
        pytest.param(
            Exchange("POST", "/v1/backups/s3", {}, {"id": 7}, 200, {}),
            "request body: id: 7 is not of type 'string'",
            id="body-wrong-type",
        ),
        pytest.param(
            Exchange("GET", "/v1/nodes", {}, None, 200, {"nodes": [{"status": "SLEEPY"}]}),
            "response body: nodes/0/status: 'SLEEPY' is not one of",
            id="answer-bad-enum",
        ),
        pytest.param(
            Exchange("GET", "/v1/cluster/statistics", {}, None, 404, {}),
            "status 404 is not a documented answer",
            id="undocumented-status",
        ),
        pytest.param(
            Exchange("GET", "/v1/nodes", {}, None, 200, None),
            "response body: (root): None is not of type 'object'",
            id="success-without-its-body",
        ),
    ],
)
def test_the_check_catches_what_the_spec_forbids(
    spec: Spec, exchange: Exchange, expected: str
) -> None:
    assert any(expected in p for p in spec.problems(exchange)), spec.problems(exchange)


def test_a_refusal_may_come_without_a_body(spec: Spec) -> None:
    # go-swagger writes a responder's payload only when set; Weaviate leaves it unset here
    gone = Exchange(
        "GET", "/v1/replication/sharding-state", {"collection": "Gone"}, None, 404, None
    )
    assert spec.problems(gone) == []
    shaped = Exchange(
        "GET", "/v1/replication/sharding-state", {"collection": "Gone"}, None, 404, {"error": 1}
    )
    assert spec.problems(shaped)  # a body that is there must still fit the schema
