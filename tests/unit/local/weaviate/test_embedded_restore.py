"""Simulated restores are refused, progress and end as Weaviate's do (usecases/backup)."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.errors import NotFoundError, TerminalError, UnavailableError
from weavefn.local.weaviate.api import EmbeddedWeaviateApi
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import BackupFailure, PodNode
from weavefn.weaviate.port import BackupStatus

from .conftest import NODES, TIMING, ManualClock

B = BackupStatus
# conftest TIMING: a restore is STARTED for 1 s, then TRANSFERRING for 3 s.
RESTORE_TIMES = [0, 0.9, 1, 3.9, 4, 600]


def backed_up(sim: EmbeddedWeaviate, clock: ManualClock, backup_id: str = "nightly") -> None:
    EmbeddedWeaviateApi(sim).create_backup("s3", backup_id)
    clock.advance(60)


def objects(sim: EmbeddedWeaviate, name: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    coll = sim.state.collection(name)
    assert coll is not None
    return {s.name: (s.objects, tuple(s.replicas)) for s in coll.shards}


@pytest.mark.parametrize(
    ("failure", "expected", "restored"),
    [
        (None, [B.STARTED, B.STARTED, B.TRANSFERRING, B.TRANSFERRING, B.SUCCESS, B.SUCCESS], True),
        (BackupFailure.STUCK, [B.STARTED] * 6, False),
        (
            BackupFailure.FAILED,
            [B.STARTED, B.STARTED, B.FAILED, B.FAILED, B.FAILED, B.FAILED],
            False,
        ),
    ],
    ids=["succeeds", "stuck-in-started", "fails"],
)
def test_restore_progression_brings_back_the_objects(
    sim: EmbeddedWeaviate,
    clock: ManualClock,
    failure: BackupFailure | None,
    expected: list[BackupStatus],
    restored: bool,
) -> None:
    api = EmbeddedWeaviateApi(sim)
    before = objects(sim, "Collection2")
    backed_up(sim, clock)
    sim.drop_collection("Collection2")
    if failure:
        sim.fail_next_restore(failure)

    start = clock.now
    started = api.restore_backup("s3", "nightly", include=["Collection2"])
    seen = []
    for at in RESTORE_TIMES:
        clock.now = start + at
        seen.append(api.restore_status("s3", "nightly").status)

    assert started.classes == ("Collection2",)
    assert seen == expected
    assert ("Collection2" in api.collections()) is restored
    if restored:
        assert objects(sim, "Collection2") == before, "every shard, its objects, its nodes"


def test_an_existing_collection_fails_the_restore_at_its_end_and_the_others_come_back(
    sim: EmbeddedWeaviate, clock: ManualClock
) -> None:
    api = EmbeddedWeaviateApi(sim)
    backed_up(sim, clock)
    sim.drop_collection("Collection1")
    sim.state.collections[0].name = "COLLECTION2"  # differs only in case: the same to Weaviate

    assert api.restore_backup("s3", "nightly").status is B.STARTED  # accepted, not refused
    clock.advance(60)
    final = api.restore_status("s3", "nightly")

    assert final.status is B.FAILED
    assert final.error is not None and "class name COLLECTION2 already exists" in final.error
    assert sorted(api.collections()) == ["COLLECTION2", "Collection1"]


def _refusal_cases() -> list[Any]:
    return [
        pytest.param(
            {"backend": "dropbox"}, TerminalError, "enable the right module", id="backend"
        ),
        pytest.param(
            {"include": ["Collection1"], "exclude": ["Collection2"]},
            TerminalError,
            "'include' and 'exclude' cannot both contain values",
            id="include-and-exclude",
        ),
        pytest.param(
            {"include": ["Collection1", "Collection1"]},
            TerminalError,
            "contains duplicate: Collection1",
            id="include-twice",
        ),
        pytest.param({"backup_id": "never"}, NotFoundError, "does not exist", id="unknown"),
        pytest.param({"backup_id": "running"}, TerminalError, "status: STARTED", id="unfinished"),
        pytest.param(
            {"include": ["Nope"]},
            TerminalError,
            "class Nope doesn't exist in the backup",
            id="nope",
        ),
        pytest.param(
            {"exclude": ["Collection1", "Collection2"]},
            TerminalError,
            "nothing left to restore",
            id="nothing-left",
        ),
        pytest.param(
            {"node_mapping": {"weaviate-2": "weaviate-7"}},
            UnavailableError,  # Weaviate answers 500: a plain error, not an ErrUnprocessable
            "cannot resolve hostname for 'weaviate-7'",
            id="node-not-in-cluster",
        ),
    ]


@pytest.mark.parametrize(("ask", "error", "message"), _refusal_cases())
def test_restore_refusals(
    sim: EmbeddedWeaviate,
    clock: ManualClock,
    ask: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    api = EmbeddedWeaviateApi(sim)
    backed_up(sim, clock)
    api.create_backup("s3", "running")
    sim.state.collections = []
    request = {"backend": "s3", "backup_id": "nightly", **ask}

    with pytest.raises(error, match=message):
        api.restore_backup(
            request.pop("backend"),
            request.pop("backup_id"),
            include=request.get("include"),
            exclude=request.get("exclude"),
            node_mapping=request.get("node_mapping"),
        )
    assert api.collections() == []


def test_one_restore_at_a_time(sim: EmbeddedWeaviate, clock: ManualClock) -> None:
    api = EmbeddedWeaviateApi(sim)
    backed_up(sim, clock)
    sim.state.collections = []
    api.restore_backup("s3", "nightly", include=["Collection1"])

    with pytest.raises(TerminalError, match="restoration nightly already in progress"):
        api.restore_backup("s3", "nightly", include=["Collection2"])


def test_a_restore_is_cancelled_from_1_36_as_weaviate_cancels_it(
    sim: EmbeddedWeaviate, clock: ManualClock
) -> None:
    api = EmbeddedWeaviateApi(sim)
    backed_up(sim, clock)
    sim.drop_collection("Collection2")
    sim.fail_next_restore(BackupFailure.STUCK)
    api.restore_backup("s3", "nightly", include=["Collection2"])
    with pytest.raises(TerminalError, match="405"):  # 1.32: the route has no DELETE
        api.cancel_restore("s3", "nightly")
    sim.sync_nodes([PodNode(n, True, "1.36.2") for n in NODES])

    api.cancel_restore("s3", "nightly")
    api.cancel_restore("s3", "nightly")  # once CANCELED, cancelling again is no error
    clock.advance(600)

    seen = api.restore_status("s3", "nightly")
    assert (seen.status, seen.error) == (B.CANCELED, "restore canceled by user")
    assert "Collection2" not in api.collections(), "nothing of a cancelled restore is applied"
    api.restore_backup("s3", "nightly", include=["Collection2"])  # no longer in progress
    clock.advance(600)
    assert api.restore_status("s3", "nightly").status is B.SUCCESS
    with pytest.raises(TerminalError, match="restore 'nightly' already succeeded"):
        api.cancel_restore("s3", "nightly")


def test_a_new_cluster_restores_from_the_shared_bucket_onto_mapped_nodes(
    sim: EmbeddedWeaviate, clock: ManualClock
) -> None:
    backed_up(sim, clock)
    before = objects(sim, "Collection1")
    other = EmbeddedWeaviate(clock=clock, timing=TIMING, storage=sim.storage)
    other.sync_nodes([PodNode(f"copy-{i}", True, "1.32.2") for i in range(3)])
    api = EmbeddedWeaviateApi(other)
    mapping = {n: f"copy-{i}" for i, n in enumerate(NODES)}

    with pytest.raises(UnavailableError, match="cannot resolve hostname for 'weaviate-"):
        api.restore_backup("s3", "nightly")  # the backup's node names are not here
    api.restore_backup("s3", "nightly", node_mapping=mapping)
    clock.advance(60)

    assert api.restore_status("s3", "nightly").status is B.SUCCESS
    assert objects(other, "Collection1") == {
        shard: (count, tuple(mapping[n] for n in nodes)) for shard, (count, nodes) in before.items()
    }
    # the outcome is written beside the backup: any cluster reading the bucket sees it
    assert EmbeddedWeaviateApi(sim).restore_status("s3", "nightly").status is B.SUCCESS


def test_a_bucket_is_one_location_and_the_filesystem_is_the_nodes_own(clock: ManualClock) -> None:
    one = EmbeddedWeaviate.seeded(
        ["w-0"], collections=1, shards_per_collection=1, replication_factor=1, seed=1, clock=clock
    )
    one.configure_backups(["filesystem", "s3"], {"s3": "s3://a"})
    other = EmbeddedWeaviate(clock=clock, storage=one.storage)
    other.sync_nodes([PodNode("w-0", True, "1.32.2")])
    other.configure_backups(["filesystem", "s3"], {"s3": "s3://b"})
    EmbeddedWeaviateApi(one).create_backup("s3", "shared")
    clock.advance(60)  # one backup at a time
    EmbeddedWeaviateApi(one).create_backup("filesystem", "local")
    clock.advance(60)

    for backend, backup_id in (("s3", "shared"), ("filesystem", "local")):
        with pytest.raises(NotFoundError):
            EmbeddedWeaviateApi(other).backup_status(backend, backup_id)
    other.configure_backups(["filesystem", "s3"], {"s3": "s3://a"})
    assert EmbeddedWeaviateApi(other).backup_status("s3", "shared").status is B.SUCCESS


def test_backups_are_listed_from_1_30_12_1_31_5_and_1_32(sim: EmbeddedWeaviate, clock: ManualClock):
    backed_up(sim, clock, "first")
    backed_up(sim, clock, "second")

    listed = EmbeddedWeaviateApi(sim).list_backups("s3")

    assert [(b.id, b.status, b.classes) for b in listed] == [
        (name, B.SUCCESS, ("Collection1", "Collection2")) for name in ("second", "first")
    ]
    sim.sync_nodes([PodNode(n, True, "1.31.4") for n in NODES])
    with pytest.raises(UnavailableError, match="not implemented"):
        EmbeddedWeaviateApi(sim).list_backups("s3")
