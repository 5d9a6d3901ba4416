"""Fail fast, pure: a failure a rollout cannot outwait, from the observed pods and nodes.

Waiting out the step timeout only makes sense for what may still heal. Some states never do
on their own, and a rollout that meets one rolls back (or, rolling back, gives up) at once:

- a rolling pod whose container waits with ErrImagePull, ImagePullBackOff, InvalidImageName,
  CreateContainerConfigError or CreateContainerError (the image or the pod's configuration
  is wrong; the kubelet retries with backoff, the answer stays the same);
- CrashLoopBackOff after at least three restarts (one or two may be a slow start meeting
  its probe; three is a process that does not come up);
- a node that /v1/nodes reports UNHEALTHY on two checks in a row (one may be a blip while
  memberlist converges). The count lives in the caller's state (the upgrade's typed status).

Any rollout calls ``unhealable`` with the pods it moved and the node streaks it keeps: the
upgrade (decide_rollout, decide_rollback), a pod-template rollout, and the scale-out watch
for pods that cannot start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from weavefn.reconcile.pods import PodView
from weavefn.weaviate.port import NodeStatus

CRASH_LOOP_RESTARTS = 3
UNHEALTHY_CHECKS = 2


class StuckReason(StrEnum):
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
    INVALID_IMAGE_NAME = "InvalidImageName"
    CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"
    CREATE_CONTAINER_ERROR = "CreateContainerError"
    CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
    NODE_UNHEALTHY = "NodeUnhealthy"


NEVER_HEALS = frozenset(
    {
        StuckReason.ERR_IMAGE_PULL,
        StuckReason.IMAGE_PULL_BACK_OFF,
        StuckReason.INVALID_IMAGE_NAME,
        StuckReason.CREATE_CONTAINER_CONFIG_ERROR,
        StuckReason.CREATE_CONTAINER_ERROR,
    }
)


@dataclass(frozen=True)
class Unhealable:
    """Which pod or node is stuck, the reason, and a line for status and Events."""

    subject: str
    reason: StuckReason
    message: str


def pod_unhealable(pod: PodView) -> Unhealable | None:
    """Why this pod will not become Ready by waiting, or None."""
    if pod.ready or pod.waiting is None:
        return None
    try:
        reason = StuckReason(pod.waiting)
    except ValueError:
        return None  # ContainerCreating, PodInitializing: on their way
    detail = f" ({pod.detail})" if pod.detail else ""
    if reason in NEVER_HEALS:
        return Unhealable(pod.name, reason, f"{pod.name} cannot start: {reason}{detail}")
    if reason is StuckReason.CRASH_LOOP_BACK_OFF and pod.restarts >= CRASH_LOOP_RESTARTS:
        return Unhealable(
            pod.name,
            reason,
            f"{pod.name} cannot start: {reason} after {pod.restarts} restarts{detail}",
        )
    return None


def unhealthy_streaks(
    previous: Mapping[str, int], nodes: Mapping[str, NodeStatus] | None
) -> dict[str, int]:
    """Checks in a row each node was UNHEALTHY, after one more look (``nodes``: what
    /v1/nodes reported; None when Weaviate did not answer, which counts as no check)."""
    if nodes is None:
        return dict(previous)
    return {
        name: previous.get(name, 0) + 1
        for name, status in sorted(nodes.items())
        if status is NodeStatus.UNHEALTHY
    }


def unhealable(pods: Iterable[PodView], streaks: Mapping[str, int]) -> Unhealable | None:
    """The first failure among ``pods`` (the ones the rollout moved) and the node streaks that
    waiting cannot cure; None when everything may still come good."""
    for pod in pods:
        found = pod_unhealable(pod)
        if found is not None:
            return found
    for node, checks in sorted(streaks.items()):
        if checks >= UNHEALTHY_CHECKS:
            return Unhealable(
                node,
                StuckReason.NODE_UNHEALTHY,
                f"node {node} is UNHEALTHY ({checks} checks in a row)",
            )
    return None
