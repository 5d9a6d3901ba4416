"""Restores on the local cluster: asked, taken up after other work, resumed, ended by Weaviate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.lifecycle.backup import request_backup
from weavefn.lifecycle.restore.request import RestoreConflictError, request_restore
from weavefn.local.kube import ManualClock
from weavefn.local.weaviate.connector import LocalWeaviateConnector, edit_sim
from weavefn.local.weaviate.state import BackupFailure
from weavefn.triggers.model import RestoreRequest

from tests.functional.test_upgrade import KEY, NAME, NEW, NS, Run, conditions, running_cluster


def now(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def backed_up(run: Run) -> str:
    """A backup of every collection, taken and finished."""
    backup_id = request_backup(run.kube, namespace=NS, name=NAME, now=now(run.clock))
    run.invoke()
    run.clock.advance(30)
    assert run.invoke()["backups"][-1]["status"] == "SUCCESS"
    return backup_id


def shards(run: Run, collection: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    with edit_sim(run.kube, KEY) as sim:
        found = sim.state.collection(collection)
        assert found is not None, f"{collection} is not in the cluster"
        return {s.name: (s.objects, tuple(s.replicas)) for s in found.shards}


def drop(run: Run, collection: str) -> None:
    with edit_sim(run.kube, KEY) as sim:
        sim.drop_collection(collection)


def ask(run: Run, backup_id: str, **fields: Any) -> str:
    request = RestoreRequest(cluster=KEY, backup=backup_id, event_id="test", **fields)
    return request_restore(run.kube, LocalWeaviateConnector(run.kube), request, now=now(run.clock))


def test_a_dropped_collection_comes_back_with_its_objects(clock: ManualClock) -> None:
    run = running_cluster(clock)
    before = shards(run, "Collection2")
    backup_id = backed_up(run)
    drop(run, "Collection2")

    message = ask(run, backup_id, include=("Collection2",))
    started = run.invoke()
    clock.advance(30)
    final = run.invoke()

    assert "recorded" in message
    assert (started["operation"]["kind"], started["operation"]["phase"]) == ("Restore", "Restoring")
    assert started["phase"] == "Restoring"
    assert "operation" not in final
    assert (final["lastOperation"]["kind"], final["lastOperation"]["phase"]) == (
        "Restore",
        "Succeeded",
    )
    assert final["lastOperation"]["details"]["classes"] == ["Collection2"]
    record = final["backups"][-1]
    assert (record["id"], record["reason"], record["status"]) == (backup_id, "restore", "SUCCESS")
    assert conditions(final)["RestoreSucceeded"]["status"] == "True"
    assert shards(run, "Collection2") == before
    reasons = [e["reason"] for e in run.kube.list_events(NS)]
    assert "RestoreStarted" in reasons and "RestoreSucceeded" in reasons


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        pytest.param({}, "backup", "collections already in the cluster: Collection1", id="exists"),
        pytest.param({"include": ("Nope",)}, "include", "holds no Nope", id="not-in-backup"),
        pytest.param({"backend": "gcs"}, "backend", "not the backup backend", id="backend"),
        pytest.param(
            {"include": ("Collection1",), "exclude": ("Collection2",)},
            "exclude",
            "not both",
            id="include-and-exclude",
        ),
        pytest.param(
            {"node_mapping": (("old-0", "elsewhere-0"),)},
            "nodeMapping",
            "not a node of search",
            id="mapping-onto-a-stranger",
        ),
        pytest.param(
            {"version": "1.27.3"}, "version", "contradicts the backup's id", id="version-says-else"
        ),
    ],
)
def test_refusals_name_the_field_and_change_nothing(
    clock: ManualClock, fields: dict[str, Any], path: str, message: str
) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    before = run.kube.get_cluster(NS, NAME)

    with pytest.raises(InvalidInputError) as refused:
        ask(run, backup_id, **fields)

    assert any(e.path == path and message in e.message for e in refused.value.errors), refused.value
    assert run.kube.get_cluster(NS, NAME) == before, "nothing changed"


def test_an_unknown_backup_and_a_backup_newer_than_the_cluster_are_refused(
    clock: ManualClock,
) -> None:
    run = running_cluster(clock)

    with pytest.raises(InvalidInputError, match="no backup weavefn-x on backend s3"):
        ask(run, "weavefn-x", version="1.26.5")
    with pytest.raises(InvalidInputError, match="unknown"):
        ask(run, "weavefn-x")  # the id does not say its version, nor does any record
    newer = "weavefn-scheduled-v1-27-3-20261118t000000z"
    with pytest.raises(InvalidInputError, match=r"newer than the cluster's 1\.26\.5"):
        ask(run, newer)


def test_a_restore_waits_behind_an_upgrade_and_nothing_starts_while_it_runs(
    clock: ManualClock,
) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection1")
    run.request(NEW)
    assert run.invoke()["operation"]["kind"] == "Upgrade"

    ask(run, backup_id, include=("Collection1",))
    waiting = run.invoke()
    assert waiting["operation"]["kind"] == "Upgrade"
    assert "waits for the Upgrade in flight" in conditions(waiting)["RestoreSucceeded"]["message"]

    kinds = []
    for _ in range(40):
        clock.advance(60)
        status = run.invoke()
        kinds.append((status.get("operation") or {}).get("kind"))
        if (status.get("lastOperation") or {}).get("kind") == "Restore":
            break
    assert status["lastOperation"]["phase"] == "Succeeded", status["lastOperation"]
    assert kinds.index("Restore") > kinds.index("Upgrade")
    assert status["currentVersion"] == NEW


def test_one_restore_at_a_time_and_asking_twice_is_answered(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection1")
    drop(run, "Collection2")
    ask(run, backup_id, include=("Collection1",))

    assert "already requested" in ask(run, backup_id, include=("Collection1",))
    with pytest.raises(RestoreConflictError, match="one restore at a time"):
        ask(run, backup_id, include=("Collection2",))
    run.invoke()
    assert "already restoring" in ask(run, backup_id, include=("Collection1",))


def test_weaviate_failing_the_restore_ends_it_failed_with_its_message(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection3")
    with edit_sim(run.kube, KEY) as sim:
        sim.fail_next_restore(BackupFailure.FAILED)

    ask(run, backup_id, include=("Collection3",))
    run.invoke()
    clock.advance(30)
    final = run.invoke()

    assert final["lastOperation"]["phase"] == "Failed"
    assert "simulated download error" in final["lastOperation"]["message"]
    condition = conditions(final)["RestoreSucceeded"]
    assert (condition["status"], condition["reason"]) == ("False", "Failed")
    assert final["backups"][-1]["status"] == "FAILED"


def test_a_restore_that_hangs_is_given_up_after_two_hours(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection3")
    with edit_sim(run.kube, KEY) as sim:
        sim.fail_next_restore(BackupFailure.STUCK)
    ask(run, backup_id, include=("Collection3",))
    run.invoke()

    clock.advance(119 * 60)
    assert run.invoke()["operation"]["details"]["weaviateStatus"] == "STARTED"
    clock.advance(2 * 60)
    final = run.invoke()

    assert final["lastOperation"]["phase"] == "Failed"
    assert "still STARTED after 120m: given up" in final["lastOperation"]["message"]
    assert conditions(final)["RestoreSucceeded"]["reason"] == "TimedOut"


def test_from_1_36_a_restore_given_up_is_cancelled_on_weaviate(clock: ManualClock) -> None:
    run = running_cluster(clock, version="1.36.2")
    backup_id = backed_up(run)
    drop(run, "Collection3")
    with edit_sim(run.kube, KEY) as sim:
        sim.fail_next_restore(BackupFailure.STUCK)
    ask(run, backup_id, include=("Collection3",))
    run.invoke()

    clock.advance(121 * 60)
    final = run.invoke()

    assert final["lastOperation"]["phase"] == "Failed"
    message = final["lastOperation"]["message"]
    assert "still STARTED after 120m: given up, and Weaviate's restore cancelled" in message
    assert final["lastOperation"]["details"]["weaviateStatus"] == "CANCELED"
    with edit_sim(run.kube, KEY) as sim:
        seen = sim.restore_status("s3", backup_id)
        assert (seen.status, seen.error) == ("CANCELED", "restore canceled by user")
        assert "Collection3" not in [c.name for c in sim.state.collections]
    # nothing runs on Weaviate any more: the same restore can be asked for again, and succeeds
    ask(run, backup_id, include=("Collection3",))
    run.invoke()
    clock.advance(30)
    assert run.invoke()["lastOperation"]["phase"] == "Succeeded"


def test_while_a_restore_runs_no_scale_nor_scheduled_backup_starts(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection3")
    with edit_sim(run.kube, KEY) as sim:
        sim.fail_next_restore(BackupFailure.STUCK)
    ask(run, backup_id, include=("Collection3",))
    run.invoke()
    raw = run.kube.get_cluster(NS, NAME)
    run.kube.patch_cluster_spec(
        NS,
        NAME,
        {"replicas": 4, "backup": {"schedule": "* * * * *"}},
        resource_version=raw["metadata"]["resourceVersion"],
    )

    for _ in range(3):
        clock.advance(60)
        status = run.invoke()

    assert status["operation"]["kind"] == "Restore"
    assert len(run.pods()) == 3, "spec.replicas waits for the restore"
    assert [b["reason"] for b in status["backups"]] == ["on-demand", "restore"]


class Crash(BaseException):
    """The function is killed mid-pass (a timeout, an OOM): nothing after this line runs."""


class Connector:
    """The local connector, counting restore requests and killing the pass after one."""

    def __init__(self, run: Run, *, crash: bool = False) -> None:
        self.inner = LocalWeaviateConnector(run.kube)
        self.crash = crash
        self.requests = 0

    def for_cluster(self, cluster: Any, pods: list[Any]) -> Any:
        api = self.inner.for_cluster(cluster, pods)
        outer = self

        class Api:
            def __getattr__(self, name: str) -> Any:
                return getattr(api, name)

            def restore_backup(self, *args: Any, **kwargs: Any) -> Any:
                outer.requests += 1
                answer = api.restore_backup(*args, **kwargs)
                if outer.crash:
                    raise Crash("killed after Weaviate accepted the restore")
                return answer

        return Api()


def service_with(run: Run, connector: Connector) -> Any:
    from weavefn.service import Service

    return Service(run.kube, clock=lambda: now(run.clock), workers=1, weaviate=connector)


def test_a_pass_killed_after_asking_weaviate_resumes_without_asking_again(
    clock: ManualClock,
) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection2")
    ask(run, backup_id, include=("Collection2",))

    with pytest.raises(Crash):
        service_with(run, Connector(run, crash=True)).reconcile(namespace=NS, name=NAME)
    written = run.status()["operation"]
    assert (written["phase"], written["details"]["stage"]) == ("Restoring", "Requesting")

    later = Connector(run)
    clock.advance(30)
    for _ in range(2):
        service_with(run, later).reconcile(namespace=NS, name=NAME)
    final = run.status()

    assert later.requests == 0, "Weaviate's restore was taken up, not asked for again"
    assert final["lastOperation"]["phase"] == "Succeeded"
    assert "Collection2" in shards_of_all(run)


def shards_of_all(run: Run) -> list[str]:
    with edit_sim(run.kube, KEY) as sim:
        return [c.name for c in sim.state.collections]


def copy_of(backup_id: str, *, mapping: dict[str, str] | None = None) -> dict[str, Any]:
    """A new cluster "copy" created from ``backup_id`` (the same bucket as "search")."""
    from tests.functional.test_upgrade import manifest

    raw = manifest()
    raw["metadata"] = {"name": "copy", "namespace": NS}
    restore_from: dict[str, Any] = {"backend": "s3", "id": backup_id}
    if mapping is not None:
        restore_from["nodeMapping"] = mapping
    raw["spec"]["restoreFrom"] = restore_from
    return raw


def copy_status(run: Run) -> dict[str, Any]:
    found: dict[str, Any] = run.kube.get_cluster(NS, "copy").get("status", {})
    return found


def test_a_new_cluster_is_created_from_a_backup_once_it_is_ready(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    before = {c: shards(run, c) for c in shards_of_all(run)}
    mapping = {f"{NAME}-{i}": f"copy-{i}" for i in range(3)}
    run.kube.apply_cluster(copy_of(backup_id, mapping=mapping))
    service = service_with(run, Connector(run))

    service.reconcile(namespace=NS, name="copy")
    waiting = copy_status(run)
    assert "restoredFrom" not in waiting
    assert "waits for every pod Ready" in conditions(waiting)["RestoreSucceeded"]["message"]
    for _ in range(4):
        clock.advance(61)
        service.reconcile(namespace=NS, name="copy")
    final = copy_status(run)

    assert final["restoredFrom"]["id"] == backup_id
    assert final["lastOperation"]["details"]["source"] == "spec.restoreFrom"
    assert final["lastOperation"]["phase"] == "Succeeded", final["lastOperation"]
    with edit_sim(run.kube, f"{NS}/copy") as sim:
        restored = {
            c.name: {s.name: (s.objects, tuple(s.replicas)) for s in c.shards}
            for c in sim.state.collections
        }
    assert restored == {
        c: {s: (n, tuple(mapping[r] for r in nodes)) for s, (n, nodes) in v.items()}
        for c, v in before.items()
    }

    run.kube.apply_cluster(copy_of(backup_id, mapping=mapping))  # a re-apply, a later pass
    clock.advance(61)
    service.reconcile(namespace=NS, name="copy")
    assert copy_status(run)["lastOperation"] == final["lastOperation"], "never restored again"
    assert [b["reason"] for b in copy_status(run)["backups"]] == ["restore"]


def test_server_errors_answering_the_request_end_it_failed_after_three(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    run.kube.apply_cluster(copy_of(backup_id))  # the backup's nodes are search-*, not copy-*
    service = service_with(run, Connector(run))

    statuses = []
    for _ in range(8):
        clock.advance(61)
        service.reconcile(namespace=NS, name="copy")
        statuses.append(copy_status(run))
        if "lastOperation" in statuses[-1]:
            break

    final = statuses[-1]["lastOperation"]
    assert final["phase"] == "Failed" and final["details"]["attempts"] == 3
    assert "cannot resolve hostname for 'search-0'" in final["message"]
    assert statuses[-1]["restoredFrom"]["id"] == backup_id, "not tried again by itself"
