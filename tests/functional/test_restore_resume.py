"""A restore waiting on Weaviate is kept in status.operation: every later pass, in any process,
takes it up from there, and a pass with nothing new to say writes nothing."""

from __future__ import annotations

from typing import Any

from weavefn.errors import UnavailableError
from weavefn.local.kube import ManualClock
from weavefn.local.weaviate.connector import edit_sim
from weavefn.model.operations import RestoreOperation, RestoreStage
from weavefn.model.resource import parse_cluster

from tests.functional.test_restore import (
    Connector,
    ask,
    backed_up,
    drop,
    service_with,
    shards_of_all,
)
from tests.functional.test_upgrade import NAME, NS, Run, conditions, events, running_cluster


class Unreachable:
    """Weaviate out of reach: every call times out, as a restarting cluster's do."""

    def for_cluster(self, cluster: Any, pods: list[Any]) -> Any:
        class Api:
            def __getattr__(self, name: str) -> Any:
                def timed_out(*args: Any, **kwargs: Any) -> Any:
                    raise UnavailableError(f"Weaviate did not answer {name} within 5s")

                return timed_out

        return Api()


def restore_of(run: Run) -> RestoreOperation:
    """status.operation as a new process reads it back: typed, or the test fails."""
    operation = parse_cluster(run.kube.get_cluster(NS, NAME)).status.operation
    assert isinstance(operation, RestoreOperation), operation
    return operation


FOLLOW_UP_FIELDS = ("nextCheckAt", "nextCheckReason")


def _without_follow_up(cluster: dict[str, Any]) -> dict[str, Any]:
    status = {k: v for k, v in cluster.get("status", {}).items() if k not in FOLLOW_UP_FIELDS}
    return {"spec": cluster["spec"], "status": status}


def unchanged_by(run: Run, connector: Any, passes: int = 3, *, follow_up_due: bool = False) -> None:
    """``passes`` passes, each by a new service, write nothing and say nothing new.

    ``follow_up_due``: the follow-up the last pass queued is due by now, so the first of these
    passes queues the next one (one status write, of ``nextCheckAt`` alone).
    """
    writes = run.kube.writes
    before = (run.kube.get_cluster(NS, NAME), events(run.kube))
    for _ in range(passes):
        service_with(run, connector).reconcile(namespace=NS, name=NAME)
    after = (run.kube.get_cluster(NS, NAME), events(run.kube))
    if follow_up_due:
        assert run.kube.writes - writes == 1, "one write: the next follow-up"
        assert after[0]["status"]["nextCheckAt"] != before[0]["status"]["nextCheckAt"]
        before = (_without_follow_up(before[0]), before[1])
        after = (_without_follow_up(after[0]), after[1])
    else:
        assert run.kube.writes == writes, "a pass with nothing new wrote"
    assert after == before, "a pass with nothing new changed status, an object or an Event"


def test_a_restore_under_way_is_taken_up_by_every_later_pass_and_repeats_write_nothing(
    clock: ManualClock,
) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection2")
    ask(run, backup_id, include=("Collection2",))
    weaviate = Connector(run)

    service_with(run, weaviate).reconcile(namespace=NS, name=NAME)
    started = restore_of(run)
    assert (started.phase, started.details.stage) == ("Restoring", RestoreStage.STARTED)
    assert (started.details.backup_id, started.details.classes) == (backup_id, ["Collection2"])

    unchanged_by(run, weaviate)  # Weaviate still restoring: nothing new
    unchanged_by(run, Unreachable())  # Weaviate out of reach: the pass defers, keeps it all
    clock.advance(30)
    unchanged_by(run, Unreachable(), follow_up_due=True)
    assert restore_of(run) == started

    service_with(run, weaviate).reconcile(namespace=NS, name=NAME)
    final = run.status()

    assert weaviate.requests == 1, "asked of Weaviate once, however many passes looked"
    assert "operation" not in final
    assert final["lastOperation"]["phase"] == "Succeeded"
    assert final["lastOperation"]["startedAt"] == started.started_at
    assert "Collection2" in shards_of_all(run)
    assert events(run.kube).count("RestoreStarted") == 1
    assert events(run.kube).count("RestoreSucceeded") == 1
    unchanged_by(run, weaviate)  # ended: later passes neither restore again nor write


def test_a_restore_waiting_for_healthy_nodes_is_kept_and_resumed(clock: ManualClock) -> None:
    run = running_cluster(clock)
    backup_id = backed_up(run)
    drop(run, "Collection2")
    with edit_sim(run.kube, f"{NS}/{NAME}") as sim:
        sim.set_node_healthy(f"{NAME}-1", False)
    ask(run, backup_id, include=("Collection2",))
    weaviate = Connector(run)

    service_with(run, weaviate).reconcile(namespace=NS, name=NAME)
    waiting = restore_of(run)
    assert waiting.details.stage is RestoreStage.CHECKING
    assert f"waits for every node HEALTHY ({NAME}-1 is not)" in waiting.message
    assert conditions(run.status())["RestoreSucceeded"]["reason"] == "Restoring"
    unchanged_by(run, weaviate)
    clock.advance(600)
    unchanged_by(
        run, weaviate, follow_up_due=True
    )  # ten minutes on, the same wait: only a follow-up

    with edit_sim(run.kube, f"{NS}/{NAME}") as sim:
        sim.set_node_healthy(f"{NAME}-1", True)
    service_with(run, weaviate).reconcile(namespace=NS, name=NAME)
    clock.advance(30)
    service_with(run, weaviate).reconcile(namespace=NS, name=NAME)

    assert weaviate.requests == 1
    assert run.status()["lastOperation"]["phase"] == "Succeeded"
    assert run.status()["lastOperation"]["startedAt"] == waiting.started_at
