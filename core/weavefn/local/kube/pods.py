"""What the simulated kubelet shows: pod and PVC objects built from a StatefulSet, pod status.

Injected failures show as a real kubelet reports them (pkg/kubelet/images, kuberuntime):

- IMAGE_PULL: the pod stays Pending; its container waits with ErrImagePull for the first
  pull attempt (PULL_ATTEMPT_SECONDS), then ImagePullBackOff.
- CRASH_LOOP: the container runs CRASH_AFTER_SECONDS and exits with an error; the kubelet
  restarts it at once the first time, then after a back-off of 10 s doubling to 300 s, each
  wait shown as CrashLoopBackOff. restartCount counts the restarts, lastState the exit.
- NOT_READY: the container runs, but its readiness probe never passes (no waiting reason).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from weavefn.local.kube.clock import rfc3339
from weavefn.local.kube.fields import clone

Obj = dict[str, Any]
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"


class PodFailure(StrEnum):
    """Why a simulated pod never becomes Ready."""

    CRASH_LOOP = "CrashLoopBackOff"
    IMAGE_PULL = "ImagePullBackOff"
    NOT_READY = "NotReady"


PULL_ATTEMPT_SECONDS = 5.0
CRASH_AFTER_SECONDS = 5.0
BACK_OFF_SECONDS = 10.0
BACK_OFF_CAP_SECONDS = 300.0


def _failures(found: object, default: PodFailure) -> dict[str, PodFailure]:
    """A saved failure map; a list (the format before failure kinds) gets ``default``."""
    if isinstance(found, dict):
        return {str(k): PodFailure(v) for k, v in found.items()}
    listed: list[Any] = list(found) if isinstance(found, list) else []
    return dict.fromkeys((str(k) for k in listed), default)


@dataclass
class SimState:
    """Simulation facts that objects do not carry; persisted with the store."""

    started: dict[str, float] = field(default_factory=dict)
    """``namespace/pod`` -> when its containers (re)started."""
    failed_pods: dict[str, PodFailure] = field(default_factory=dict)
    failed_images: dict[str, PodFailure] = field(default_factory=dict)
    """Image substring -> how a pod running it fails."""
    revisions: dict[str, Obj] = field(default_factory=dict)
    """``namespace/revision`` -> pod template, like ControllerRevisions."""

    def to_json(self) -> Obj:
        return {
            "started": self.started,
            "failedPods": {k: str(v) for k, v in sorted(self.failed_pods.items())},
            "failedImages": {k: str(v) for k, v in sorted(self.failed_images.items())},
            "revisions": self.revisions,
        }

    @classmethod
    def from_json(cls, data: Obj) -> SimState:
        return cls(
            started={k: float(v) for k, v in data.get("started", {}).items()},
            failed_pods=_failures(data.get("failedPods"), PodFailure.CRASH_LOOP),
            failed_images=_failures(data.get("failedImages"), PodFailure.IMAGE_PULL),
            revisions=dict(data.get("revisions", {})),
        )


def revision_name(statefulset: str, template: Obj) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return f"{statefulset}-{digest[:10]}"


def claim_name(template_name: str, statefulset: str, ordinal: int) -> str:
    return f"{template_name}-{statefulset}-{ordinal}"


def owner_reference(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def new_pod(sts: Obj, *, ordinal: int, revision: str, template: Obj) -> Obj:
    """The pod the StatefulSet controller creates for ``ordinal`` at ``revision``."""
    meta, spec = sts["metadata"], sts.get("spec", {})
    name = f"{meta['name']}-{ordinal}"
    tmeta = template.get("metadata", {})
    labels = {
        **(tmeta.get("labels") or {}),
        POD_NAME_LABEL: name,
        POD_INDEX_LABEL: str(ordinal),
        REVISION_LABEL: revision,
    }
    pod_spec = clone(template.get("spec", {}))
    pod_spec["hostname"] = name
    if spec.get("serviceName"):
        pod_spec["subdomain"] = spec["serviceName"]
    volumes = pod_spec.setdefault("volumes", [])
    for claim in spec.get("volumeClaimTemplates", []):
        claim_template = claim["metadata"]["name"]
        volumes.append(
            {
                "name": claim_template,
                "persistentVolumeClaim": {
                    "claimName": claim_name(claim_template, meta["name"], ordinal)
                },
            }
        )
    pod_meta: Obj = {
        "name": name,
        "namespace": meta["namespace"],
        "labels": labels,
        "ownerReferences": [owner_reference(sts)],
    }
    if tmeta.get("annotations"):
        pod_meta["annotations"] = clone(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}


def new_claim(sts: Obj, *, claim: Obj, ordinal: int) -> Obj:
    """The PVC for one volumeClaimTemplate and ordinal; Bound at the requested size."""
    meta = sts["metadata"]
    selector = sts.get("spec", {}).get("selector", {}).get("matchLabels") or {}
    labels = {**selector, **(claim.get("metadata", {}).get("labels") or {})}
    spec = clone(claim.get("spec", {}))
    size = spec.get("resources", {}).get("requests", {}).get("storage")
    status: Obj = {"phase": "Bound", "accessModes": spec.get("accessModes", ["ReadWriteOnce"])}
    if size is not None:
        status["capacity"] = {"storage": size}
    pvc_meta: Obj = {
        "name": claim_name(claim["metadata"]["name"], meta["name"], ordinal),
        "namespace": meta["namespace"],
        "labels": labels,
    }
    policy = sts.get("spec", {}).get("persistentVolumeClaimRetentionPolicy") or {}
    if policy.get("whenDeleted") == "Delete":
        pvc_meta["ownerReferences"] = [owner_reference(sts)]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": pvc_meta,
        "spec": spec,
        "status": status,
    }


def failure_of(pod: Obj, state: SimState) -> PodFailure | None:
    """Why this pod cannot become Ready, given the injected failures."""
    images = [c.get("image", "") for c in pod.get("spec", {}).get("containers", [])]
    for bad, failure in sorted(state.failed_images.items()):
        if any(bad in image for image in images):
            return failure
    meta = pod["metadata"]
    return state.failed_pods.get(f"{meta['namespace']}/{meta['name']}")


@dataclass(frozen=True)
class CrashLoop:
    """Where a crash-looping container stands at a moment."""

    restarts: int
    running_since: float | None
    """When its current run began; None while it waits out a back-off."""
    last_exit: float | None
    next_change: float


def crash_loop(started: float, now: float) -> CrashLoop:
    """The kubelet's restart schedule for a container that exits CRASH_AFTER_SECONDS after
    each start: the first restart at once, then back-offs of 10 s doubling to 300 s."""
    run_start, restarts, last_exit = started, 0, None
    while True:
        exit_at = run_start + CRASH_AFTER_SECONDS
        if now < exit_at:
            return CrashLoop(restarts, run_start, last_exit, exit_at)
        wait = (
            0.0
            if restarts == 0
            else min(BACK_OFF_SECONDS * 2 ** (restarts - 1), BACK_OFF_CAP_SECONDS)
        )
        restart_at = exit_at + wait
        if now < restart_at:
            return CrashLoop(restarts, None, exit_at, restart_at)
        run_start, restarts, last_exit = restart_at, restarts + 1, exit_at


def next_change(failure: PodFailure | None, *, started: float, now: float) -> float | None:
    """When a failing pod's status next changes (its controller must look again then)."""
    if failure is PodFailure.IMAGE_PULL and now < started + PULL_ATTEMPT_SECONDS:
        return started + PULL_ATTEMPT_SECONDS
    if failure is PodFailure.CRASH_LOOP:
        return crash_loop(started, now).next_change
    return None


def _failing_container(image: str, failure: PodFailure, *, started: float, now: float) -> Obj:
    if failure is PodFailure.IMAGE_PULL:
        if now < started + PULL_ATTEMPT_SECONDS:
            waiting = {
                "reason": "ErrImagePull",
                "message": f'failed to pull image "{image}": not found',
            }
        else:
            waiting = {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
        return {"restartCount": 0, "state": {"waiting": waiting}, "started": False}
    if failure is PodFailure.NOT_READY:
        return {
            "restartCount": 0,
            "state": {"running": {"startedAt": rfc3339(started)}},
            "started": True,
        }
    loop = crash_loop(started, now)
    found: Obj = {"restartCount": loop.restarts, "started": loop.running_since is not None}
    if loop.running_since is not None:
        found["state"] = {"running": {"startedAt": rfc3339(loop.running_since)}}
    else:
        back_off = loop.next_change - (loop.last_exit or started)
        found["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {back_off:.0f}s restarting failed container",
            }
        }
    if loop.last_exit is not None:
        found["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": rfc3339(loop.last_exit)}
        }
    return found


def pod_status(
    pod: Obj, *, started: float, ready_at: float | None, now: float, failure: PodFailure | None
) -> Obj:
    """Status the kubelet would report; ``ready_at`` is None when the pod never gets Ready."""
    ready = ready_at is not None and ready_at <= now
    since = rfc3339(ready_at if ready and ready_at is not None else started)
    flag = "True" if ready else "False"
    containers = []
    for container in pod.get("spec", {}).get("containers", []):
        image = container.get("image", "")
        found: Obj = {
            "restartCount": 0,
            "state": {"running": {"startedAt": rfc3339(started)}},
            "started": True,
        }
        if failure is not None:
            found = _failing_container(image, failure, started=started, now=now)
        containers.append(
            {"name": container.get("name", ""), "image": image, "ready": ready, **found}
        )
    conditions = [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": rfc3339(started)},
        {"type": "Initialized", "status": "True", "lastTransitionTime": rfc3339(started)},
        {"type": "ContainersReady", "status": flag, "lastTransitionTime": since},
        {"type": "Ready", "status": flag, "lastTransitionTime": since},
    ]
    phase = "Pending" if failure is PodFailure.IMAGE_PULL else "Running"
    return {
        "phase": phase,
        "conditions": conditions,
        "containerStatuses": containers,
        "startTime": rfc3339(started),
    }
