"""Validation and defaulting the API server applies to workloads (StatefulSet, Deployment)."""

from __future__ import annotations

from typing import Any

from weavefn.errors import FieldError, InvalidInputError

Obj = dict[str, Any]

APPS = "apps/v1"
STATEFULSET = "StatefulSet"
DEPLOYMENT = "Deployment"
MUTABLE_STATEFULSET_FIELDS = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than "
    + ", ".join(f"'{f}'" for f in MUTABLE_STATEFULSET_FIELDS[:-1])
    + f" and '{MUTABLE_STATEFULSET_FIELDS[-1]}' are forbidden"
)


def is_workload(obj: Obj) -> bool:
    return obj.get("apiVersion") == APPS and obj.get("kind") in (STATEFULSET, DEPLOYMENT)


def default_and_validate(obj: Obj) -> None:
    """Fill ``spec.replicas`` (1 when omitted, also after an apply removed it) and check it."""
    if not is_workload(obj):
        return
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    replicas = spec["replicas"]
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise InvalidInputError(
            [FieldError("spec.replicas", f"must be a non-negative integer, got {replicas!r}")],
            what=f"{obj['kind']} {obj['metadata'].get('name')}",
        )


def check_statefulset_update(old: Obj, new: Obj) -> None:
    """422 like the API server: only a few StatefulSet spec fields may change after creation.

    The API server reports one error on ``spec`` (not one per field) with this exact text.
    """
    if old.get("kind") != STATEFULSET or old.get("apiVersion") != APPS:
        return
    old_spec, new_spec = old.get("spec", {}), new.get("spec", {})
    changed = sorted(
        key
        for key in old_spec.keys() | new_spec.keys()
        if key not in MUTABLE_STATEFULSET_FIELDS and old_spec.get(key) != new_spec.get(key)
    )
    if changed:
        raise InvalidInputError(
            [FieldError("spec", _FORBIDDEN)], what=f'StatefulSet.apps "{old["metadata"]["name"]}"'
        )
