"""Holding the pod template (pure): what changed, and what is applied with or without a pin."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from weavefn.reconcile.template import (
    Pin,
    describe_changes,
    hold,
    live_partition,
    template_hash,
)
from weavefn.render import Rollout, render_statefulset

from tests.unit.render.conftest import build

VOTERS = ["demo-0", "demo-1", "demo-2"]


def rendered(**spec: Any) -> dict[str, Any]:
    return render_statefulset(build(spec), voters=VOTERS, include_replicas=False)


def live_of(sts: dict[str, Any], *, partition: int = 0, updated: int = 3) -> dict[str, Any]:
    """As the API server returns it: server defaults added, a status, a creationTimestamp."""
    live = copy.deepcopy(sts)
    live["metadata"]["generation"] = 2
    template = live["spec"]["template"]
    template["metadata"]["creationTimestamp"] = None
    template["spec"]["dnsPolicy"] = "ClusterFirst"
    template["spec"]["containers"][0]["terminationMessagePath"] = "/dev/termination-log"
    live["spec"]["updateStrategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": partition},
    }
    live["status"] = {"observedGeneration": 2, "replicas": 3, "updatedReplicas": updated}
    return live


def test_server_defaults_are_no_change() -> None:
    sts = rendered()
    assert describe_changes(sts, live_of(sts)) == []


def test_changes_name_env_variables_and_fields_never_values() -> None:
    old = rendered(replication={"factor": 1, "asyncEnabled": False})
    new = rendered(
        replication={"factor": 2},
        resources={"limits": {"cpu": "2"}},
        vmMaxMapCount={"setBy": "InitContainer"},
    )
    changes = describe_changes(new, live_of(old))
    assert "env ASYNC_REPLICATION_DISABLED removed" in changes
    assert "env GOMAXPROCS added" in changes
    assert "env REPLICATION_MINIMUM_FACTOR changed" in changes
    assert "initContainers" in changes
    assert "topologySpreadConstraints" in changes
    assert not [c for c in changes if "true" in c or c == "2"]
    # and a key weavefn stops rendering counts too
    assert "initContainers removed" in describe_changes(old, live_of(new))


def test_the_hash_is_the_rendered_template_s() -> None:
    sts = rendered()
    assert template_hash(sts) == template_hash(copy.deepcopy(sts))
    assert template_hash(sts) != template_hash(rendered(terminationGracePeriodSeconds=900))
    # the partition is not part of the template
    assert template_hash(sts) == template_hash(
        render_statefulset(build(), voters=VOTERS, rollout=Rollout("1.32.5", 2))
    )


def _template(sts: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = sts["spec"]["template"]
    return found


def _partition(sts: dict[str, Any]) -> int:
    return int(sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"])


def test_without_a_pin_a_changed_template_and_the_partition_are_held() -> None:
    old, new = rendered(), rendered(resources={"limits": {"memory": "8Gi"}})
    live = live_of(old, partition=1, updated=2)
    applied = hold(new, live, None)
    assert _template(applied)["spec"]["containers"][0].get("resources") is None
    assert "creationTimestamp" not in _template(applied)["metadata"]
    assert _partition(applied) == 1, "pods left below a partition are not rolled by the controller"


def test_an_unchanged_template_is_applied_as_rendered() -> None:
    sts = rendered()
    assert hold(sts, live_of(sts), None) is sts
    assert hold(sts, None, None) is sts, "a new StatefulSet is created as rendered"


def test_a_partition_that_holds_nothing_back_is_let_go() -> None:
    sts = rendered()
    live = live_of(sts, partition=2, updated=3)  # a rollback to an identical template
    assert live_partition(live) == 0
    assert hold(sts, live, None) is sts


@pytest.mark.parametrize(
    ("owned", "applies_rendered"),
    [
        pytest.param(True, True, id="pin-owns-the-rendering"),
        pytest.param(False, False, id="pin-rolls-another-template"),
    ],
)
def test_a_stepping_pin_applies_only_the_template_it_owns(
    owned: bool, applies_rendered: bool
) -> None:
    old = rendered()
    new = render_statefulset(
        build({"resources": {"limits": {"memory": "8Gi"}}}),
        voters=VOTERS,
        include_replicas=False,
        rollout=Rollout("1.32.5", 2),
    )
    pin = Pin(Rollout("1.32.5", 2), template=template_hash(new) if owned else "0123456789")
    applied = hold(new, live_of(old), pin)
    assert ("resources" in _template(applied)["spec"]["containers"][0]) is applies_rendered
    assert _partition(applied) == 2, "the pin's partition steps either way"


def test_a_pin_that_restarts_nothing_yet_holds_like_none() -> None:
    old, new = rendered(), rendered(resources={"limits": {"memory": "8Gi"}})
    pin = Pin(Rollout("1.32.5", 0), template=template_hash(new), stepping=False)
    applied = hold(new, live_of(old), pin)
    assert "resources" not in _template(applied)["spec"]["containers"][0]
