"""The pod template as weavefn holds it (pure): its hash, what changed, and what to apply.

A changed pod template restarts pods. weavefn never leaves that to the StatefulSet controller:
unless the operation in flight rolls the rendered template (a pin that owns it), the live
template and update strategy are applied as they are, so a spec change or a new weavefn
release restarts nothing until an operation says so.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from weavefn.reconcile.drift import compare
from weavefn.render import Rollout

Obj = dict[str, Any]
HASH_LENGTH = 10
_POD_SPEC_KEYS = (
    "initContainers",
    "topologySpreadConstraints",
    "volumes",
    "nodeSelector",
    "tolerations",
    "imagePullSecrets",
    "affinity",
)
"""Pod spec keys weavefn renders only sometimes: their removal is a change too."""


@dataclass(frozen=True)
class Pin:
    """What the operation in flight holds the StatefulSet to."""

    rollout: Rollout
    template: str | None = None
    """The hash of the pod template it rolls; None: whatever renders (statuses written before
    templates were held)."""
    stepping: bool = True
    """False: it restarts nothing yet (an upgrade before its backup is done)."""


def pod_template(statefulset: Obj) -> Obj:
    found: Obj = statefulset.get("spec", {}).get("template", {})
    return found


def template_hash(statefulset: Obj) -> str:
    """The rendered pod template's hash: the revision a rollout names and an approval quotes."""
    text = json.dumps(pod_template(statefulset), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def _env(template: Obj) -> dict[str, Any]:
    for container in template.get("spec", {}).get("containers", []):
        if container.get("name") == "weaviate":
            return {e.get("name"): e for e in container.get("env", []) or []}
    return {}


def _without_env(template: Obj) -> Obj:
    """The template with its containers' env left out. Shallow copies of the path to them:
    a steady pass compares every cluster's template, and a deep copy of two templates was
    most of its CPU (the template itself is never changed)."""
    spec = template.get("spec")
    if not isinstance(spec, dict) or "containers" not in spec:
        return template
    containers = [
        {k: v for k, v in c.items() if k != "env"} if isinstance(c, dict) else c
        for c in spec["containers"]
    ]
    return {**template, "spec": {**spec, "containers": containers}}


def _env_changes(rendered: Obj, live: Obj) -> list[str]:
    want, have = _env(rendered), _env(live)
    changes = [f"env {name} added" for name in sorted(want.keys() - have.keys())]
    changes += [f"env {name} removed" for name in sorted(have.keys() - want.keys())]
    changes += [
        f"env {name} changed"
        for name in sorted(want.keys() & have.keys())
        if compare(want[name], have[name])
    ]
    return changes


def _path(path: str) -> str:
    """``spec.containers[0].resources.requests.x`` -> ``containers[0].resources``: enough to say
    what changed, short enough for a condition."""
    parts = path.removeprefix("spec.").split(".")
    if parts[0] == "metadata" and len(parts) > 2:
        return ".".join(parts[:2]) + "." + ".".join(parts[2:])
    return ".".join(parts[:2])


def describe_changes(rendered: Obj, live: Obj) -> list[str]:
    """What differs between the rendered and the live pod template: env variables by name and
    field paths, never values (a value may be a credential's reference)."""
    want, have = pod_template(rendered), pod_template(live)
    changes = _env_changes(want, have)
    paths = [_path(d.path) for d in compare(_without_env(want), _without_env(have))]
    live_spec, want_spec = have.get("spec", {}), want.get("spec", {})
    paths += [
        f"{key} removed" for key in _POD_SPEC_KEYS if key in live_spec and key not in want_spec
    ]
    for path in paths:
        if path not in changes:
            changes.append(path)
    return changes


def same_template(rendered: Obj, live: Obj) -> bool:
    return not describe_changes(rendered, live)


def _partition(statefulset: Obj) -> int:
    strategy = statefulset.get("spec", {}).get("updateStrategy") or {}
    return int((strategy.get("rollingUpdate") or {}).get("partition") or 0)


def _all_updated(statefulset: Obj) -> bool:
    """Whether every pod runs the update revision, as the controller last counted."""
    status = statefulset.get("status") or {}
    seen = int(status.get("observedGeneration") or 0)
    if seen < int(statefulset.get("metadata", {}).get("generation") or 0):
        return False
    replicas = status.get("replicas")
    return replicas is not None and status.get("updatedReplicas") == replicas


def live_partition(statefulset: Obj | None) -> int:
    """The partition that still holds pods back: 0 once every pod runs the update revision
    (a partition left over by a rollback to an identical template holds nothing)."""
    if statefulset is None or _all_updated(statefulset):
        return 0
    return _partition(statefulset)


def hold(desired: Obj, live: Obj | None, pin: Pin | None) -> Obj:
    """The StatefulSet to apply: the rendered one, or with the live template kept.

    A stepping pin that owns the rendered template gets it; one that rolls another keeps the
    live template and steps its own partition. Without one, a changed template is not applied
    and neither is a partition: the live update strategy stays, so pods left below a partition
    are not rolled by the controller either.
    """
    if live is None:
        return desired
    if pin is not None and pin.stepping:
        if pin.template is None or pin.template == template_hash(desired):
            return desired
        return _with_live(desired, live, keep_strategy=False)
    if same_template(desired, live) and live_partition(live) == _partition(desired):
        return desired
    return _with_live(desired, live, keep_strategy=True)


def _with_live(desired: Obj, live: Obj, *, keep_strategy: bool) -> Obj:
    held = copy.deepcopy(desired)
    held["spec"]["template"] = _applied_form(pod_template(live))
    if keep_strategy and live.get("spec", {}).get("updateStrategy"):
        held["spec"]["updateStrategy"] = copy.deepcopy(live["spec"]["updateStrategy"])
    return held


def _applied_form(template: Obj) -> Obj:
    """The live template as an apply may send it back: no creationTimestamp (the server adds
    ``metadata.creationTimestamp: null`` to templates, which apply rejects as a null)."""
    found = copy.deepcopy(template)
    meta = found.get("metadata") or {}
    if meta.get("creationTimestamp") is None:
        meta.pop("creationTimestamp", None)
    return found
