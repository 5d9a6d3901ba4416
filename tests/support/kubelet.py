"""The kubelet's part on a real control plane that has none: bind pods, report them, stop them.

The controllers create pods; without a kubelet they stay Pending forever. ``Kubelet.sync`` does
what a node would: bind each pod to its Node (``pods/binding``), write its status (Running with
Ready/ContainersReady, a podIP, containerStatuses with the image; or, for an image set to fail,
waiting with ErrImagePull on the first pull attempt and ImagePullBackOff after it), and delete
terminating pods with grace 0 once they have "stopped". Pod IPs come from one loopback /24 per test session, so a fake Weaviate can
listen on each pod's own address and the API server's service proxy reaches it there.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException

Obj = dict[str, Any]
NODE = "node-1"


def random_pod_subnet() -> str:
    """``127.X.Y``: two test runs on one machine pick different /24s for their pod IPs."""
    rng = random.SystemRandom()
    return f"127.{rng.randint(2, 254)}.{rng.randint(0, 255)}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


@dataclass
class Kubelet:
    """Acts as the one node's kubelet for the pods of the namespaces it is told about."""

    client: ApiClient
    subnet: str
    failing_images: set[str] = field(default_factory=set)
    """Image substrings that cannot be pulled: such pods wait in ImagePullBackOff."""
    pull_attempt_seconds: float = 1.0
    """How long the first pull of a failing image shows ErrImagePull before the back-off."""
    _ips: dict[str, str] = field(default_factory=dict)
    _pulls: dict[str, float] = field(default_factory=dict)

    @property
    def core(self) -> CoreV1Api:
        return CoreV1Api(self.client)

    def ensure_node(self) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": NODE, "labels": {"kubernetes.io/hostname": NODE}},
        }
        try:
            self.core.create_node(body)
        except ApiException as exc:
            if exc.status != 409:
                raise
        status = {
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "lastHeartbeatTime": _now(),
                        "lastTransitionTime": _now(),
                    }
                ],
                "addresses": [{"type": "InternalIP", "address": f"{self.subnet}.1"}],
            }
        }
        self.core.patch_node_status(NODE, status)

    def ip_of(self, namespace: str, name: str) -> str:
        """A stable address per pod name: a restarted pod comes back where it was."""
        key = f"{namespace}/{name}"
        if key not in self._ips:
            if len(self._ips) >= 250:
                raise RuntimeError("the pod subnet is full")
            self._ips[key] = f"{self.subnet}.{len(self._ips) + 2}"
        return self._ips[key]

    def pods(self, namespace: str) -> list[Obj]:
        answer = self.client.sanitize_for_serialization(self.core.list_namespaced_pod(namespace))
        items: list[Obj] = answer.get("items") or []
        return items

    def sync(self, namespace: str) -> list[Obj]:
        """One round over the namespace's pods; returns the pods as they now stand."""
        now_live = []
        for found in self.pods(namespace):
            pod, meta = found, found["metadata"]
            if meta.get("deletionTimestamp"):
                self._stop(namespace, meta)
                continue
            if not (pod.get("spec") or {}).get("nodeName"):
                self._bind(namespace, meta["name"])
            status = self._status(namespace, pod)
            if _differs(pod.get("status") or {}, status):
                pod = self.client.sanitize_for_serialization(
                    self.core.patch_namespaced_pod_status(
                        meta["name"], namespace, {"status": status}
                    )
                )
            now_live.append(pod)
        return now_live

    def run_until(
        self,
        namespaces: Iterable[str],
        check: Callable[[], bool],
        *,
        timeout: float = 30.0,
        what: str = "the cluster to settle",
        interval: float = 0.1,
    ) -> None:
        """Keep acting as the kubelet until ``check()`` holds."""
        end = time.monotonic() + timeout
        while True:
            for namespace in namespaces:
                self.sync(namespace)
            if check():
                return
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(interval)

    def _bind(self, namespace: str, name: str) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": NODE},
        }
        try:
            # The generated client cannot read a Binding's answer back; the call is what counts.
            self.core.create_namespaced_binding(namespace, body, _preload_content=False)
        except ApiException as exc:
            if exc.status != 409:  # already bound by an earlier round
                raise

    def _stop(self, namespace: str, meta: Obj) -> None:
        # Grace 0 in the body: a body without it would override the query parameter.
        body = {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}}
        try:
            self.core.delete_namespaced_pod(meta["name"], namespace, body=body)
        except ApiException as exc:
            if exc.status not in (404, 409):
                raise

    def _status(self, namespace: str, pod: Obj) -> Obj:
        name = pod["metadata"]["name"]
        containers = (pod.get("spec") or {}).get("containers") or []
        failing = any(
            bad in str(c.get("image", "")) for c in containers for bad in self.failing_images
        )
        previous = pod.get("status") or {}
        started = previous.get("startTime") or _now()
        flag = "False" if failing else "True"
        first_pull = self._pulls.setdefault(pod["metadata"]["uid"], time.monotonic())
        pulling = time.monotonic() - first_pull < self.pull_attempt_seconds
        waiting = (
            {"reason": "ErrImagePull", "message": "failed to pull image: not found"}
            if pulling
            else {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}
        )
        statuses = []
        for container in containers:
            state: Obj = (
                {"waiting": dict(waiting)} if failing else {"running": {"startedAt": started}}
            )
            statuses.append(
                {
                    "name": container["name"],
                    "image": container.get("image", ""),
                    "imageID": "",
                    "ready": not failing,
                    "started": not failing,
                    "restartCount": 0,
                    "state": state,
                }
            )
        ip = self.ip_of(namespace, name)
        return {
            "phase": "Pending" if failing else "Running",
            "hostIP": f"{self.subnet}.1",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": started,
            "conditions": [
                _condition("PodScheduled", "True", started),
                _condition("Initialized", "True", started),
                _condition("ContainersReady", flag, started),
                _condition("Ready", flag, started),
            ],
            "containerStatuses": statuses,
        }


def _condition(kind: str, status: str, since: str) -> Obj:
    return {"type": kind, "status": status, "lastTransitionTime": since}


def _differs(live: Obj, wanted: Obj) -> bool:
    """Only what the kubelet decides: phase, IP, readiness and the images it reports."""

    def key(status: Obj) -> tuple[Any, ...]:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        images = [
            (
                c.get("image"),
                sorted((c.get("state") or {}).keys()),
                ((c.get("state") or {}).get("waiting") or {}).get("reason"),
            )
            for c in status.get("containerStatuses") or []
        ]
        return (status.get("phase"), status.get("podIP"), conditions.get("Ready"), images)

    return key(live) != key(wanted)
