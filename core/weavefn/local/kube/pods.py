"""What the simulated kubelet shows: pod and PVC objects built from a StatefulSet, pod status."""

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


@dataclass
class SimState:
    """Simulation facts that objects do not carry; persisted with the store."""

    started: dict[str, float] = field(default_factory=dict)
    """``namespace/pod`` -> when its containers (re)started."""
    failed_pods: set[str] = field(default_factory=set)
    failed_images: set[str] = field(default_factory=set)
    revisions: dict[str, Obj] = field(default_factory=dict)
    """``namespace/revision`` -> pod template, like ControllerRevisions."""

    def to_json(self) -> Obj:
        return {
            "started": self.started,
            "failedPods": sorted(self.failed_pods),
            "failedImages": sorted(self.failed_images),
            "revisions": self.revisions,
        }

    @classmethod
    def from_json(cls, data: Obj) -> SimState:
        return cls(
            started={k: float(v) for k, v in data.get("started", {}).items()},
            failed_pods=set(data.get("failedPods", [])),
            failed_images=set(data.get("failedImages", [])),
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
    if any(bad in image for bad in state.failed_images for image in images):
        return PodFailure.IMAGE_PULL
    meta = pod["metadata"]
    if f"{meta['namespace']}/{meta['name']}" in state.failed_pods:
        return PodFailure.CRASH_LOOP
    return None


def pod_status(
    pod: Obj, *, started: float, ready_at: float | None, now: float, failure: PodFailure | None
) -> Obj:
    """Status the kubelet would report; ``ready_at`` is None when the pod never gets Ready."""
    ready = ready_at is not None and ready_at <= now
    since = rfc3339(ready_at if ready and ready_at is not None else started)
    flag = "True" if ready else "False"
    containers = []
    for container in pod.get("spec", {}).get("containers", []):
        state: Obj = {"running": {"startedAt": rfc3339(started)}}
        if failure:
            state = {"waiting": {"reason": str(failure)}}
        containers.append(
            {
                "name": container.get("name", ""),
                "image": container.get("image", ""),
                "ready": ready,
                "started": failure is None,
                "restartCount": 0,
                "state": state,
            }
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
