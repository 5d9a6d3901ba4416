"""Server-side apply: field ownership per manager, conflicts, force, removal, the scaler."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.errors import ConflictError
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import SCALER, LocalKube

from tests.unit.local.kube.manifests import NS, statefulset

REF = ObjectRef("v1", "ConfigMap", NS, "settings")


def configmap(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": NS},
        "data": data,
    }


def owners(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e["fieldsV1"] for e in obj["metadata"].get("managedFields", [])}


def live(kube: LocalKube) -> dict[str, Any]:
    found = kube.get(REF)
    assert found is not None
    return found


def test_conflicting_value_from_another_manager_is_refused(kube: LocalKube) -> None:
    kube.apply(configmap(mode="fast"), field_manager="weavefn")
    with pytest.raises(ConflictError, match=r'conflict with "weavefn".*\.data\.mode'):
        kube.apply(configmap(mode="safe"), field_manager="ops", force=False)
    assert live(kube)["data"] == {"mode": "fast"}


def test_forced_apply_takes_ownership(kube: LocalKube) -> None:
    kube.apply(configmap(mode="fast", level="1"), field_manager="weavefn")
    kube.apply(configmap(mode="safe"), field_manager="ops", force=True)
    after = live(kube)
    assert after["data"] == {"mode": "safe", "level": "1"}
    assert owners(after) == {
        "weavefn": {"f:data": {"f:level": {}}},
        "ops": {"f:data": {"f:mode": {}}},
    }


def test_same_value_is_shared_without_conflict(kube: LocalKube) -> None:
    kube.apply(configmap(mode="fast"), field_manager="weavefn")
    kube.apply(configmap(mode="fast"), field_manager="ops", force=False)
    # The first manager drops the field; the second still owns it, so it stays.
    kube.apply(configmap(), field_manager="weavefn")
    assert live(kube)["data"] == {"mode": "fast"}


@pytest.mark.parametrize(
    ("second_apply", "expected"),
    [
        pytest.param(configmap(a="1"), {"a": "1"}, id="omitted-field-removed"),
        pytest.param(configmap(a="1", b="2"), {"a": "1", "b": "2"}, id="nothing-omitted"),
        pytest.param(configmap(), {}, id="all-omitted"),
    ],
)
def test_fields_a_manager_stops_applying_are_removed(
    kube: LocalKube, second_apply: dict[str, Any], expected: dict[str, str]
) -> None:
    kube.apply(configmap(a="1", b="2"))
    kube.apply(second_apply)
    assert live(kube).get("data", {}) == expected


def test_omitted_field_owned_by_another_manager_stays(kube: LocalKube) -> None:
    kube.apply(configmap(a="1", b="2"), field_manager="weavefn")
    kube.apply(configmap(b="2", c="3"), field_manager="ops")
    kube.apply(configmap(a="1"), field_manager="weavefn")
    assert live(kube)["data"] == {"a": "1", "b": "2", "c": "3"}


def test_scale_subresource_takes_replicas_from_the_applier(kube: LocalKube) -> None:
    ref = ObjectRef("apps/v1", "StatefulSet", NS, "docs")
    kube.apply(statefulset(replicas=3))
    kube.patch_scale(NS, "docs", 5)
    sts = kube.get(ref)
    assert sts is not None
    scaler = [e for e in sts["metadata"]["managedFields"] if e["manager"] == SCALER]
    assert scaler[0]["operation"] == "Update"
    assert scaler[0]["subresource"] == "scale"
    assert scaler[0]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in owners(sts)["weavefn"]["f:spec"]
    # The reconcile path re-applies without replicas: the scaler's value must survive.
    kube.apply(statefulset(replicas=None))
    assert kube.get_scale(NS, "docs").replicas == 5
    with pytest.raises(ConflictError, match=SCALER):
        kube.apply(statefulset(replicas=3), force=False)
    assert kube.get_scale(NS, "docs").replicas == 5


def test_removed_replicas_default_back_to_one(kube: LocalKube) -> None:
    kube.apply(statefulset(replicas=3))
    kube.apply(statefulset(replicas=None))
    assert kube.get_scale(NS, "docs").replicas == 1


def test_noop_apply_does_not_bump_resource_version(kube: LocalKube) -> None:
    kube.apply(statefulset())
    before = kube.get(ObjectRef("apps/v1", "StatefulSet", NS, "docs"))
    assert before is not None and before["status"]["readyReplicas"] == 3
    again = kube.apply(statefulset())
    assert again["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_apply_with_stale_resource_version_is_a_conflict(kube: LocalKube) -> None:
    first = kube.apply(configmap(a="1"))
    kube.apply(configmap(a="2"))
    stale = configmap(a="3")
    stale["metadata"]["resourceVersion"] = first["metadata"]["resourceVersion"]
    with pytest.raises(ConflictError):
        kube.apply(stale)
