"""Keeping the local cluster in a file: round trips, atomic saves, locking, clear errors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from weavefn.errors import InvalidInputError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import open_local

from tests.unit.local.kube.manifests import NS, SELECTOR, cluster, ready, statefulset


def test_state_survives_between_two_opens(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    with open_local(path) as kube:
        kube.apply(statefulset())
        live = kube.apply_cluster(cluster())
        kube.replace_cluster_status(live | {"status": {"phase": "Running"}})
        kube.extras["another-simulator"] = {"docs": {"objects": 42}}
        pods_before = {
            p["metadata"]["name"]: p["metadata"]["uid"] for p in kube.list_pods(NS, SELECTOR)
        }
    with open_local(path) as kube:
        restored = kube.get_cluster(NS, "docs")
        assert restored["status"] == {"phase": "Running"}
        assert restored["metadata"]["uid"] == live["metadata"]["uid"]
        assert kube.extras == {"another-simulator": {"docs": {"objects": 42}}}
        pods = kube.list_pods(NS, SELECTOR)
        assert {p["metadata"]["name"]: p["metadata"]["uid"] for p in pods} == pods_before
        assert all(ready(p) for p in pods)
        # Versions keep counting up from where the last process stopped.
        assert int(kube.apply_cluster(cluster(replicas=5))["metadata"]["resourceVersion"]) > int(
            restored["metadata"]["resourceVersion"]
        )


def test_pods_become_ready_by_wall_clock_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    with open_local(path, ready_delay=0.2) as kube:
        kube.apply(statefulset(replicas=1))
        assert not ready(kube.list_pods(NS, SELECTOR)[0])
    time.sleep(0.25)
    with open_local(path, ready_delay=0.2) as kube:
        assert ready(kube.list_pods(NS, SELECTOR)[0])


def test_missing_file_is_created_and_failed_block_saves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "cluster.json"
    with open_local(path) as kube:
        kube.apply_cluster(cluster())
    saved = path.read_text()
    with pytest.raises(RuntimeError), open_local(path) as kube:
        kube.apply_cluster(cluster(name="other"))
        raise RuntimeError("command failed")
    assert path.read_text() == saved
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    path.write_text("{not json")
    with pytest.raises(InvalidInputError, match="not JSON: key must be a string") as caught:
        open_local(path).__enter__()
    assert caught.value.errors[0].path == str(path)
    assert caught.value.hint is not None and "delete it" in caught.value.hint
    assert path.read_text() == "{not json", "a refused file is left as it was"


def test_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with open_local(path) as kube:
            order.append(f"second saw {len(kube.list_clusters())}")

    thread = threading.Thread(target=second)
    thread.start()
    with open_local(path) as kube:
        inside.set()
        time.sleep(0.2)
        kube.apply_cluster(cluster())
        order.append("first saved")
    thread.join()
    assert order == ["first saved", "second saw 1"]
    assert json.loads(path.read_text())["format"] == 1


def test_a_delete_the_collector_has_not_finished_resumes_in_the_next_process(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cluster.json"
    with open_local(path) as kube:
        kube.apply(statefulset())
        frozen = time.time()
        kube.clock = lambda: frozen  # type: ignore[method-assign]  # no collector round yet
        left = kube.delete(ObjectRef("apps/v1", "StatefulSet", NS, "docs"), propagation="Orphan")
        assert left is not None and left["metadata"]["finalizers"] == ["orphan"]
    with open_local(path) as kube:  # a later process, on the wall clock
        assert kube.get(ObjectRef("apps/v1", "StatefulSet", NS, "docs")) is None
        pods = kube.list_pods(NS, SELECTOR)
        assert len(pods) == 3 and all("ownerReferences" not in p["metadata"] for p in pods)
