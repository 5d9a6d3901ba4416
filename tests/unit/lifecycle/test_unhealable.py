"""Fail-fast rules, pure: which observed pod or node states waiting cannot cure."""

from __future__ import annotations

import pytest
from weavefn.lifecycle.upgrade.unhealable import (
    StuckReason,
    pod_unhealable,
    unhealable,
    unhealthy_streaks,
)
from weavefn.reconcile.pods import PodView, pod_view
from weavefn.weaviate.port import NodeStatus

HEALTHY, UNHEALTHY, DOWN = NodeStatus.HEALTHY, NodeStatus.UNHEALTHY, NodeStatus.UNAVAILABLE


def pod(waiting: str | None, restarts: int = 0, *, ready: bool = False) -> PodView:
    return PodView(2, "w-2", ready, "1.27.3", waiting=waiting, restarts=restarts)


@pytest.mark.parametrize(
    ("seen", "reason"),
    [
        pytest.param(pod("ErrImagePull"), StuckReason.ERR_IMAGE_PULL, id="err-image-pull"),
        pytest.param(pod("ImagePullBackOff"), StuckReason.IMAGE_PULL_BACK_OFF, id="image-pull-back-off"),
        pytest.param(pod("InvalidImageName"), StuckReason.INVALID_IMAGE_NAME, id="invalid-image-name"),
        pytest.param(pod("CreateContainerConfigError"), StuckReason.CREATE_CONTAINER_CONFIG_ERROR, id="config-error"),
        pytest.param(pod("CreateContainerError"), StuckReason.CREATE_CONTAINER_ERROR, id="create-error"),
        pytest.param(pod("CrashLoopBackOff", 3), StuckReason.CRASH_LOOP_BACK_OFF, id="crash-loop-3"),
        pytest.param(pod("CrashLoopBackOff", 2), None, id="crash-loop-2-may-be-a-slow-start"),
        pytest.param(pod("ContainerCreating"), None, id="container-creating"),
        pytest.param(pod(None), None, id="running-not-ready"),
        pytest.param(pod("ImagePullBackOff", ready=True), None, id="ready-wins"),
    ],
)  # fmt: skip
def test_pod_unhealable(seen: PodView, reason: StuckReason | None) -> None:
    found = pod_unhealable(seen)

    assert (found.reason if found else None) == reason
    if found is not None:
        assert found.subject == "w-2" and found.message.startswith("w-2 cannot start: ")


@pytest.mark.parametrize(
    ("previous", "nodes", "expected"),
    [
        pytest.param({}, {"a": UNHEALTHY, "b": HEALTHY}, {"a": 1}, id="first-report"),
        pytest.param({"a": 1}, {"a": UNHEALTHY}, {"a": 2}, id="second-in-a-row"),
        pytest.param({"a": 1}, {"a": HEALTHY}, {}, id="recovered-resets"),
        pytest.param({"a": 1}, {"a": DOWN}, {}, id="down-is-not-unhealthy"),
        pytest.param({"a": 1}, None, {"a": 1}, id="no-answer-is-no-check"),
    ],
)  # fmt: skip
def test_unhealthy_streaks(
    previous: dict[str, int], nodes: dict[str, NodeStatus] | None, expected: dict[str, int]
) -> None:
    assert unhealthy_streaks(previous, nodes) == expected


def test_unhealable_names_the_pod_first_then_a_node_on_its_second_report() -> None:
    assert unhealable([pod(None)], {"w-0": 1}) is None
    node = unhealable([pod(None)], {"w-0": 2})
    assert node is not None and node.reason is StuckReason.NODE_UNHEALTHY
    assert "w-0 is UNHEALTHY (2 checks in a row)" in node.message
    first = unhealable([pod("ImagePullBackOff")], {"w-0": 2})
    assert first is not None and first.subject == "w-2"


def test_pod_view_reads_what_the_kubelet_writes() -> None:
    raw = {
        "metadata": {"name": "w-2"},
        "spec": {"containers": [{"name": "weaviate", "image": "weaviate:1.27.3"}]},
        "status": {
            "startTime": "2026-11-25T10:00:00Z",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {"name": "sidecar", "restartCount": 9},
                {
                    "name": "weaviate",
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                },
            ],
        },
    }

    view = pod_view(raw, ordinal=2)

    assert (view.version, view.ready, view.waiting, view.restarts) == (
        "1.27.3",
        False,
        "CrashLoopBackOff",
        4,
    )
    assert view.detail == "back-off 40s" and view.started is not None
