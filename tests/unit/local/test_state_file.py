"""The local cluster's state file is checked whole: each part, by its field path, and nothing
on disk changes for a command that only looks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from weavefn.backend import Access
from weavefn.errors import InvalidInputError, NotFoundError
from weavefn.local.kube import open_local
from weavefn.local.state_file import state_problems

from tests.support.local_state import saved_state

Edit = Callable[[dict[str, Any]], None]


def _first(state: dict[str, Any], kind: str) -> tuple[int, dict[str, Any]]:
    return next((i, o) for i, o in enumerate(state["store"]["objects"]) if o["kind"] == kind)


def _set_replicas(state: dict[str, Any]) -> None:
    _first(state, "StatefulSet")[1]["spec"]["replicas"] = "three"


def _label_list(state: dict[str, Any]) -> None:
    _first(state, "Pod")[1]["metadata"]["labels"]["app"] = ["x"]


def _no_store(state: dict[str, Any]) -> None:
    del state["store"]


def _no_name(state: dict[str, Any]) -> None:
    del _first(state, "Service")[1]["metadata"]["name"]


def _bad_node(state: dict[str, Any]) -> None:
    state["extras"]["weaviate"]["weaviate/production"]["nodes"][0]["ready"] = "yes"


def _bad_backup(state: dict[str, Any]) -> None:
    state["extras"]["weaviate"]["weaviate/production"]["backups"][0]["final"] = "DONE"


def _bad_load(state: dict[str, Any]) -> None:
    state["extras"]["load"]["weaviate/production"]["cpu"] = "high"


def _started_text(state: dict[str, Any]) -> None:
    key = next(iter(state["simulation"]["started"]))
    state["simulation"]["started"][key] = "now"


def _bad_status(state: dict[str, Any]) -> None:
    _first(state, "WeaviateCluster")[1]["status"]["conditions"] = "Ready"


def _unknown_extras_list(state: dict[str, Any]) -> None:
    state["extras"]["followups"] = [1, 2]


def _cluster_without_namespace(state: dict[str, Any]) -> None:
    del _first(state, "WeaviateCluster")[1]["metadata"]["namespace"]


def _storage_class_with_namespace(state: dict[str, Any]) -> None:
    _first(state, "StorageClass")[1]["metadata"]["namespace"] = "default"


def _claim_template_without_size(state: dict[str, Any]) -> None:
    del _first(state, "StatefulSet")[1]["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]


def _revision_behind(state: dict[str, Any]) -> None:
    state["store"]["revision"] = 1


CORRUPTIONS = [
    pytest.param(_set_replicas, "store.objects[{i}].spec.replicas", "valid integer (found text)",
                 "StatefulSet", id="replicas-as-text"),
    pytest.param(_label_list, "store.objects[{i}].metadata.labels.app",
                 "valid string (found a list)", "Pod", id="label-a-list"),
    pytest.param(_no_store, "store", "Field required", None, id="missing-store"),
    pytest.param(_no_name, "store.objects[{i}].metadata.name", "Field required", "Service",
                 id="object-without-name"),
    pytest.param(_bad_node, "extras.weaviate['weaviate/production'].nodes[0].ready",
                 "valid boolean (found text)", None, id="embedded-weaviate-node"),
    pytest.param(_bad_backup, "extras.weaviate['weaviate/production'].backups[0].final",
                 "'SUCCESS'", None, id="embedded-weaviate-backup-state"),
    pytest.param(_bad_load, "extras.load['weaviate/production'].cpu", "valid number",
                 None, id="load-model"),
    pytest.param(_started_text, "simulation.started", "valid number", None,
                 id="pod-simulation"),
    pytest.param(_bad_status, "store.objects[{i}].status.conditions", "valid array",
                 "WeaviateCluster", id="cluster-status"),
    pytest.param(_unknown_extras_list, "extras.followups", "object (found a list)", None,
                 id="unknown-extras-not-an-object"),
    pytest.param(_cluster_without_namespace, "store.objects[{i}]", "a WeaviateCluster is "
                 "namespaced: metadata.namespace is missing", "WeaviateCluster",
                 id="namespaced-object-without-namespace"),
    pytest.param(_storage_class_with_namespace, "store.objects[{i}]", "a StorageClass is "
                 "cluster-scoped", "StorageClass", id="cluster-scoped-object-with-namespace"),
    pytest.param(_claim_template_without_size,  # found by the long fuzz run: a KeyError
                 "store.objects[{i}].spec.volumeClaimTemplates[0].spec.resources",
                 "Field required", "StatefulSet", id="claim-template-without-size"),
    pytest.param(_revision_behind, "store", "below an object's resourceVersion", None,
                 id="revision-behind-objects"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "path", "message", "kind"), CORRUPTIONS)
def test_each_part_is_checked_with_its_field_path(
    edit: Edit, path: str, message: str, kind: str | None
) -> None:
    state = saved_state()
    edit(state)
    index = _first(state, kind)[0] if kind else 0

    problems = state_problems(json.dumps(state))

    assert any(
        p.path.startswith(path.format(i=index)) and message in p.message for p in problems
    ), problems


def test_a_saved_state_passes_and_unknown_extras_objects_are_kept(tmp_path: Path) -> None:
    state = saved_state()
    state["extras"]["followups"] = {"weaviate/production": {"due": 1.0}}
    state["written-by-a-newer-weavefn"] = True
    assert state_problems(json.dumps(state)) == []
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(state))
    with open_local(path) as kube:
        assert kube.extras["followups"] == {"weaviate/production": {"due": 1.0}}
    assert json.loads(path.read_text())["extras"]["followups"] == {
        "weaviate/production": {"due": 1.0}
    }


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", id="random-bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[1, 2]", id="a-list"),
        pytest.param(b'{"format": 2}', id="other-format"),
    ],
)
def test_unusable_files_are_refused_naming_the_file_and_the_way_out(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "cluster.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as refused, open_local(path):
        pass
    assert all(e.path.startswith(str(path)) for e in refused.value.errors)
    assert refused.value.hint is not None
    assert f"move {path} away or delete it" in refused.value.hint
    assert path.read_bytes() == content


def test_reading_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "cluster.json"
    with (
        pytest.raises(NotFoundError, match=f"no local cluster at {path}"),
        open_local(path, access=Access.READ),
    ):
        pass
    assert not path.parent.exists()


def test_reading_leaves_the_file_and_its_directory_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(saved_state()))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with open_local(path, access=Access.READ) as kube:
        assert kube.list_clusters()  # the simulation runs in memory: pods may change there
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cluster.json"], "no lock, no temp"
