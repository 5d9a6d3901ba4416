"""What a pod shows, read from its status as the kubelet writes it (pure): PodView.

Readiness, the version its image names, the template revision it was made from, why its container waits (ErrImagePull,
CrashLoopBackOff, ...), how often it restarted and when it started: the facts a rollout and
the fail-fast rules (lifecycle/upgrade/unhealable.py) decide on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Obj = dict[str, Any]
CONTAINER = "weaviate"
REVISION_LABEL = "controller-revision-hash"
"""The StatefulSet controller's label: which revision of the template made the pod."""


def pod_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions", [])
    )


def pod_version(pod: Obj) -> str | None:
    for container in pod.get("spec", {}).get("containers", []):
        if container.get("name") == CONTAINER:
            return str(container.get("image", "")).rpartition(":")[2] or None
    return None


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class PodView:
    """One Weaviate pod as a rollout sees it."""

    ordinal: int
    name: str
    ready: bool
    version: str | None
    revision: str | None = None
    """The StatefulSet revision the pod was made from (its controller-revision-hash label)."""
    waiting: str | None = None
    """The reason its Weaviate container waits (``ImagePullBackOff``), if it does."""
    detail: str = ""
    """The kubelet's message with that reason (``Back-off pulling image ...``)."""
    restarts: int = 0
    started: datetime | None = None
    """When its Weaviate container last started (else when the pod did)."""


def pod_view(pod: Obj, *, ordinal: int) -> PodView:
    status = pod.get("status") or {}
    found: Obj = next(
        (c for c in status.get("containerStatuses") or [] if c.get("name") == CONTAINER), {}
    )
    state = found.get("state") or {}
    waiting = state.get("waiting") or {}
    running = state.get("running") or {}
    return PodView(
        ordinal=ordinal,
        name=str(pod["metadata"]["name"]),
        ready=pod_ready(pod),
        version=pod_version(pod),
        revision=(pod["metadata"].get("labels") or {}).get(REVISION_LABEL),
        waiting=str(waiting["reason"]) if waiting.get("reason") else None,
        detail=str(waiting.get("message") or ""),
        restarts=int(found.get("restartCount") or 0),
        started=_time(running.get("startedAt")) or _time(status.get("startTime")),
    )


def pod_views(pods: Iterable[Obj], statefulset: str) -> list[PodView]:
    """The StatefulSet's pods (``<name>-<ordinal>``), by ordinal."""
    prefix = statefulset + "-"
    views = []
    for pod in pods:
        suffix = str(pod["metadata"]["name"]).removeprefix(prefix)
        if suffix.isdigit() and str(pod["metadata"]["name"]).startswith(prefix):
            views.append(pod_view(pod, ordinal=int(suffix)))
    return sorted(views, key=lambda p: p.ordinal)
