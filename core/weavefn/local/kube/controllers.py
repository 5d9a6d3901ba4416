"""The simulated StatefulSet and Deployment controllers: pods, PVCs, rollouts and status.

No threads: the server calls ``tick(now)`` on every API call and the simulation catches up,
placing each step at the time it would have happened. Only workloads that changed or that
wait for a pod to become Ready are looked at, so large fleets stay cheap.
Simplifications: pod management is always Parallel, pods start and stop instantly,
minReadySeconds is ignored, Deployments are Available as soon as they are written.
"""

from __future__ import annotations

from typing import Any

from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.pods import (
    REVISION_LABEL,
    SimState,
    failure_of,
    new_claim,
    new_pod,
    next_change,
    owner_reference,
    pod_status,
    revision_name,
)
from weavefn.local.kube.store import Store
from weavefn.local.kube.workloads import APPS, DEPLOYMENT, STATEFULSET

Obj = dict[str, Any]
WorkKey = tuple[str, str, str]  # kind, namespace, name


def _key(pod: Obj) -> str:
    return f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"


def _controller_uid(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences", []) or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


class Simulation:
    """Drives workloads in ``store`` towards their spec, lazily, from a clock reading."""

    def __init__(self, store: Store, state: SimState, *, ready_delay: float) -> None:
        self.store = store
        self.state = state
        self.ready_delay = ready_delay
        self._dirty: set[WorkKey] = set()
        self._wake: dict[WorkKey, float] = {}
        self.touch_all()

    def touch(self, kind: str, namespace: str, name: str) -> None:
        self._dirty.add((kind, namespace, name))

    def touch_all(self) -> None:
        for kind in (STATEFULSET, DEPLOYMENT):
            for obj in self.store.list(APPS, kind):
                self.touch(kind, obj["metadata"]["namespace"], obj["metadata"]["name"])

    def pod_changed(self, pod: Obj) -> None:
        """A pod was deleted or changed by a client: its StatefulSet must look again."""
        meta = pod["metadata"]
        self.state.started.pop(_key(pod), None)
        owner = meta.get("name", "").rsplit("-", 1)[0]
        self.touch(STATEFULSET, meta.get("namespace", ""), owner)

    def tick(self, now: float) -> None:
        due = self._dirty | {k for k, at in self._wake.items() if at <= now}
        self._dirty = set()
        for key in due:
            self._wake.pop(key, None)
        for kind, namespace, name in sorted(due):
            obj = self.store.get(APPS, kind, namespace, name)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                continue  # a workload being deleted creates and removes no pods
            if kind == STATEFULSET:
                self._statefulset(obj, now)
            else:
                self._deployment(obj, now)

    # -- pods -----------------------------------------------------------------------------

    def ready_at(self, pod: Obj) -> float | None:
        if failure_of(pod, self.state) is not None:
            return None
        return self.state.started.get(_key(pod), 0.0) + self.ready_delay

    def _refresh(self, pod: Obj, now: float) -> Obj:
        started = self.state.started.setdefault(_key(pod), now)
        status = pod_status(
            pod,
            started=started,
            ready_at=self.ready_at(pod),
            now=now,
            failure=failure_of(pod, self.state),
        )
        if pod.get("status") == status:
            return pod
        updated = copy_obj(pod)
        updated["status"] = status
        return self.store.put(updated, now=now)

    def _start(self, sts: Obj, ordinal: int, revision: str, at: float) -> Obj:
        ns = sts["metadata"]["namespace"]
        template = self.state.revisions.get(f"{ns}/{revision}", sts["spec"].get("template", {}))
        pod = new_pod(sts, ordinal=ordinal, revision=revision, template=template)
        self.state.started[_key(pod)] = at
        for claim in sts["spec"].get("volumeClaimTemplates", []):
            pvc = new_claim(sts, claim=claim, ordinal=ordinal)
            if self.store.get("v1", "PersistentVolumeClaim", ns, pvc["metadata"]["name"]) is None:
                self.store.put(pvc, now=at)
        return self.store.put(pod, now=at)

    def _stop(self, pod: Obj) -> None:
        meta = pod["metadata"]
        self.store.remove("v1", "Pod", meta["namespace"], meta["name"])
        self.state.started.pop(_key(pod), None)

    def _members(self, sts: Obj, now: float) -> dict[int, Obj]:
        """Pods ``<sts>-<n>`` this StatefulSet owns, adopting orphans its selector matches."""
        meta = sts["metadata"]
        uid, prefix = meta["uid"], meta["name"] + "-"
        selector = sts["spec"].get("selector", {}).get("matchLabels") or {}
        members: dict[int, Obj] = {}
        for found in self.store.list("v1", "Pod", meta["namespace"], selector or None):
            pod = found
            suffix = pod["metadata"]["name"].removeprefix(prefix)
            if not pod["metadata"]["name"].startswith(prefix) or not suffix.isdigit():
                continue
            owner = _controller_uid(pod)
            if owner is None:
                adopted = copy_obj(pod)
                refs = adopted["metadata"].setdefault("ownerReferences", [])
                refs.append(owner_reference(sts))
                pod = self.store.put(adopted, now=now)
            elif owner != uid:
                continue
            members[int(suffix)] = pod
        return members

    # -- StatefulSet ----------------------------------------------------------------------

    def _statefulset(self, sts: Obj, now: float) -> None:
        spec, meta = sts["spec"], sts["metadata"]
        ns, name = meta["namespace"], meta["name"]
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template", {})
        update_rev = revision_name(name, template)
        self.state.revisions.setdefault(f"{ns}/{update_rev}", copy_obj(template))
        current_rev = (sts.get("status") or {}).get("currentRevision") or update_rev
        strategy = spec.get("updateStrategy") or {}
        rolling = strategy.get("type", "RollingUpdate") == "RollingUpdate"
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0)) if rolling else 0

        pods = self._members(sts, now)
        for ordinal in [o for o in pods if o >= replicas]:
            self._stop(pods.pop(ordinal))
            self._release_claims(sts, ordinal)
        for ordinal in range(replicas):
            if ordinal not in pods:
                revision = current_rev if rolling and ordinal < partition else update_rev
                pods[ordinal] = self._start(sts, ordinal, revision, now)
        if rolling:
            self._roll(sts, pods, update_rev=update_rev, partition=partition, now=now)

        pending = []
        for ordinal, pod in pods.items():
            pods[ordinal] = self._refresh(pod, now)
            ready_at = self.ready_at(pod)
            if ready_at is not None and ready_at > now:
                pending.append(ready_at)
            started = self.state.started.get(_key(pod), now)
            change = next_change(failure_of(pod, self.state), started=started, now=now)
            if change is not None:
                pending.append(change)  # a failing pod's status moves on: ErrImagePull, restarts
        if pending:
            self._wake[(STATEFULSET, ns, name)] = min(pending)
        self._write_status(sts, pods, current_rev=current_rev, update_rev=update_rev, now=now)

    def _roll(
        self, sts: Obj, pods: dict[int, Obj], *, update_rev: str, partition: int, now: float
    ) -> None:
        """Replace outdated pods from the highest ordinal, each after the one above is Ready."""
        ready_above: list[float] = []
        for ordinal in sorted((o for o in pods if o >= partition), reverse=True):
            pod = pods[ordinal]
            if pod["metadata"]["labels"].get(REVISION_LABEL) != update_rev:
                self._stop(pod)
                pod = pods[ordinal] = self._start(
                    sts, ordinal, update_rev, max(ready_above, default=now)
                )
            ready_at = self.ready_at(pod)
            if ready_at is None or ready_at > now:
                return
            ready_above.append(ready_at)

    def _release_claims(self, sts: Obj, ordinal: int) -> None:
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenScaled") != "Delete":
            return  # Retain: the data waits for the ordinal to come back
        for claim in sts["spec"].get("volumeClaimTemplates", []):
            pvc = new_claim(sts, claim=claim, ordinal=ordinal)
            self.store.remove(
                "v1", "PersistentVolumeClaim", sts["metadata"]["namespace"], pvc["metadata"]["name"]
            )

    def _write_status(
        self, sts: Obj, pods: dict[int, Obj], *, current_rev: str, update_rev: str, now: float
    ) -> None:
        replicas = int(sts["spec"].get("replicas", 1))
        revisions = [p["metadata"]["labels"].get(REVISION_LABEL) for p in pods.values()]
        ready = sum(1 for p in pods.values() if (r := self.ready_at(p)) is not None and r <= now)
        updated = revisions.count(update_rev)
        rolling = (sts["spec"].get("updateStrategy") or {}).get(
            "type", "RollingUpdate"
        ) == "RollingUpdate"
        if rolling and updated == len(pods) == replicas == ready:
            current_rev = update_rev  # the rollout is complete
        status = {
            "observedGeneration": sts["metadata"]["generation"],
            "replicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": revisions.count(current_rev),
            "updatedReplicas": updated,
            "currentRevision": current_rev,
            "updateRevision": update_rev,
            "collisionCount": 0,
        }
        if sts.get("status") != status:
            updated_sts = copy_obj(sts)
            updated_sts["status"] = status
            self.store.put(updated_sts, now=now)

    # -- Deployment -----------------------------------------------------------------------

    def _deployment(self, deployment: Obj, now: float) -> None:
        replicas = int(deployment["spec"].get("replicas", 1))
        status = {
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}
            ],
        }
        if deployment.get("status") != status:
            updated = copy_obj(deployment)
            updated["status"] = status
            self.store.put(updated, now=now)
