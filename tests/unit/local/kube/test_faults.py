"""Call recording, injected faults, latency and concurrent use from several threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from weavefn.errors import ConflictError, UnavailableError, WeavefnError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import Fault, LocalKube, ManualClock, RecordedCall, Verb

from tests.unit.local.kube.manifests import NS, cluster, statefulset


def test_calls_are_recorded_and_counted(kube: LocalKube) -> None:
    kube.apply_cluster(cluster())
    kube.get_cluster(NS, "docs")
    kube.list_clusters()
    assert kube.calls == [
        RecordedCall(Verb.APPLY, "WeaviateCluster", NS, "docs"),
        RecordedCall(Verb.GET, "WeaviateCluster", NS, "docs"),
        RecordedCall(Verb.LIST, "WeaviateCluster", None, None),
    ]
    assert (kube.reads, kube.writes) == (2, 1)
    kube.reset_calls()
    assert (kube.calls, kube.reads, kube.writes) == ([], 0, 0)


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        pytest.param(Fault.UNAVAILABLE, UnavailableError, "503", id="server-error"),
        pytest.param(Fault.TIMEOUT, UnavailableError, "timeout", id="timeout"),
        pytest.param(Fault.CONFLICT, ConflictError, "conflict", id="conflict"),
    ],
)
def test_fault_rule_fails_the_next_matching_calls_only(
    kube: LocalKube, fault: Fault, error: type[WeavefnError], message: str
) -> None:
    kube.apply_cluster(cluster())
    kube.add_fault(fault, verb=Verb.GET, kind="WeaviateCluster", times=2)
    kube.list_clusters()  # another verb is not affected
    for _ in range(2):
        with pytest.raises(error, match=message):
            kube.get_cluster(NS, "docs")
    assert kube.get_cluster(NS, "docs")["metadata"]["name"] == "docs"


def test_faulted_write_changes_nothing(kube: LocalKube) -> None:
    live = kube.apply_cluster(cluster())
    kube.add_fault(Fault.UNAVAILABLE, verb=Verb.UPDATE)
    with pytest.raises(UnavailableError):
        kube.replace_cluster_status(live | {"status": {"phase": "Running"}})
    assert "status" not in kube.get_cluster(NS, "docs")


def test_fault_rate_is_reproducible_with_a_seed() -> None:
    def failures(seed: int) -> list[int]:
        kube = LocalKube(clock=ManualClock(), seed=seed)
        kube.set_fault_rate(0.3)
        failed = []
        for i in range(50):
            try:
                kube.list_clusters()
            except UnavailableError:
                failed.append(i)
        return failed

    first = failures(7)
    assert first == failures(7)
    assert 5 <= len(first) <= 25
    assert first != failures(8)


def _failed_gets(kube: LocalKube, order: list[str]) -> set[tuple[str, int]]:
    failed = set()
    for name in order:
        for attempt in range(3):
            try:
                kube.get_cluster(NS, name)
            except UnavailableError:
                failed.add((name, attempt))
    return failed


def test_fault_schedule_does_not_depend_on_the_order_of_calls_across_clusters() -> None:
    """What threads interleave differently draws the same faults: each call's own draw."""
    names = [f"c{i}" for i in range(20)]
    runs = []
    for order in (names, list(reversed(names))):
        kube = LocalKube(clock=ManualClock(), seed=11)
        for name in names:
            kube.apply_cluster(cluster(name=name))
        kube.set_fault_rate(0.3)
        runs.append(_failed_gets(kube, order))
    assert runs[0] == runs[1]
    assert 6 <= len(runs[0]) <= 30


def test_a_rule_aimed_at_one_cluster_leaves_the_others_alone(kube: LocalKube) -> None:
    for name in ("docs", "docs2", "other"):
        kube.apply_cluster(cluster(name=name))
    kube.add_fault(Fault.CONFLICT, verb=Verb.GET, times=2, cluster=f"{NS}/docs")
    kube.get_cluster(NS, "other")
    kube.get_cluster(NS, "docs2")  # a name that only starts like the target is another cluster
    assert kube.get(ObjectRef("v1", "Pod", NS, "other-0")) is None
    for _ in range(2):
        with pytest.raises(ConflictError):
            kube.get(ObjectRef("v1", "Pod", NS, "docs-0"))
    kube.get_cluster(NS, "docs")


def test_harness_reads_never_draw_faults(kube: LocalKube) -> None:
    kube.apply_cluster(cluster())
    kube.set_fault_rate(1.0, fault=Fault.CONFLICT)
    ref = ObjectRef("weaviate.io/v1", "WeaviateCluster", NS, "docs")
    assert kube.peek(ref) is not None
    assert len(kube.list("weaviate.io/v1", "WeaviateCluster")) == 1
    assert kube.calls == [RecordedCall(Verb.APPLY, "WeaviateCluster", NS, "docs")]


def test_latency_sleeps_overlap_across_threads() -> None:
    kube = LocalKube(clock=ManualClock(), latency=0.3)
    threads = [threading.Thread(target=kube.list_clusters) for _ in range(4)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert 0.3 <= elapsed < 0.9  # four serial calls would take 1.2 s
    assert kube.reads == 4


@dataclass(frozen=True)
class Seen:
    """What both writers read before racing."""

    cluster: dict[str, Any]
    scale_version: str


def _status_write(kube: LocalKube, seen: Seen, who: int) -> None:
    kube.replace_cluster_status(seen.cluster | {"status": {"phase": f"writer-{who}"}})


def _spec_patch(kube: LocalKube, seen: Seen, who: int) -> None:
    rv = seen.cluster["metadata"]["resourceVersion"]
    kube.patch_cluster_spec(NS, "docs", {"replicas": 4 + who}, resource_version=rv)


def _scale(kube: LocalKube, seen: Seen, who: int) -> None:
    kube.patch_scale(NS, "docs", 4 + who, resource_version=seen.scale_version)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(_status_write, id="status"),
        pytest.param(_spec_patch, id="spec-patch"),
        pytest.param(_scale, id="scale"),
    ],
)
def test_exactly_one_of_two_stale_writers_wins(
    write: Callable[[LocalKube, Seen, int], None],
) -> None:
    kube = LocalKube(clock=ManualClock())
    kube.apply(statefulset())
    seen = Seen(kube.apply_cluster(cluster()), kube.get_scale(NS, "docs").resource_version)
    kube.latency = 0.05  # both calls are in flight at once
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(who: int) -> None:
        barrier.wait()
        try:
            write(kube, seen, who)
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]


def test_concurrent_writers_get_distinct_resource_versions() -> None:
    kube = LocalKube(clock=ManualClock())
    versions: list[str] = []

    def writer(who: int) -> None:
        for i in range(25):
            obj = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm-{who}-{i}", "namespace": NS},
                "data": {"i": str(i)},
            }
            versions.append(kube.apply(obj)["metadata"]["resourceVersion"])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(versions)) == 150
    assert len(kube.list_objects("v1", "ConfigMap", namespace=NS)) == 150
    assert kube.get(ObjectRef("v1", "ConfigMap", NS, "cm-5-24")) is not None
