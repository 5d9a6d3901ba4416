"""Server-side apply and update bookkeeping: which field manager owns which leaf field.

Ownership lives in ``metadata.managedFields`` (FieldsV1, one entry per manager and operation),
so it survives persistence. Lists are owned atomically (see fields.py). Pure: no store access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from weavefn.errors import ConflictError
from weavefn.local.kube.clock import rfc3339
from weavefn.local.kube.fields import (
    MISSING,
    FieldPath,
    copy_obj,
    decode_fields,
    encode_fields,
    get_path,
    managed_leaves,
    remove_path,
    set_path,
)

Obj = dict[str, Any]


class ManagedFieldsOperation(StrEnum):
    APPLY = "Apply"
    UPDATE = "Update"


@dataclass(frozen=True)
class Manager:
    """One managedFields entry's identity."""

    name: str
    operation: ManagedFieldsOperation
    subresource: str = ""


Owners = dict[Manager, set[FieldPath]]


def ownership(obj: Obj) -> Owners:
    """Decode ``metadata.managedFields`` into leaf-path sets."""
    owners: Owners = {}
    for entry in obj.get("metadata", {}).get("managedFields", []) or []:
        key = Manager(
            entry.get("manager", ""),
            ManagedFieldsOperation(entry.get("operation", ManagedFieldsOperation.UPDATE)),
            entry.get("subresource", ""),
        )
        owners[key] = decode_fields(entry.get("fieldsV1", {}))
    return owners


def _write_owners(obj: Obj, owners: Owners, *, before: Owners, now: float) -> None:
    previous = {
        Manager(
            e.get("manager", ""),
            ManagedFieldsOperation(e.get("operation")),
            e.get("subresource", ""),
        ): e
        for e in obj.get("metadata", {}).get("managedFields", []) or []
    }
    entries = []
    for key, paths in owners.items():
        if not paths:
            continue
        if key in previous and before.get(key) == paths:
            entries.append(previous[key])  # unchanged ownership keeps its timestamp
            continue
        entry: Obj = {
            "manager": key.name,
            "operation": str(key.operation),
            "apiVersion": obj.get("apiVersion", ""),
            "time": rfc3339(now),
            "fieldsType": "FieldsV1",
            "fieldsV1": encode_fields(paths),
        }
        if key.subresource:
            entry["subresource"] = key.subresource
        entries.append(entry)
    meta = obj.setdefault("metadata", {})
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)


def _conflicts(base: Obj, applied: dict[FieldPath, Any], owned: set[FieldPath]) -> set[FieldPath]:
    """Paths of ``owned`` that the applied values would change."""
    hits: set[FieldPath] = set()
    for path, value in applied.items():
        if path in owned:
            if get_path(base, path) != value:
                hits.add(path)
            continue
        # Another manager owns something below this leaf: replacing it takes their fields.
        if value != {}:
            hits |= {q for q in owned if len(q) > len(path) and q[: len(path)] == path}
        # Another manager owns a scalar or list above this leaf.
        for depth in range(1, len(path)):
            if path[:depth] in owned and not isinstance(get_path(base, path[:depth]), dict):
                hits.add(path[:depth])
    return hits


def _manager_text(manager: Manager, obj: Obj) -> str:
    """How the API server names a manager in a conflict (its printManager)."""
    text = f'"{manager.name}"'
    if manager.subresource:
        text += f' with subresource "{manager.subresource}"'
    if manager.operation is ManagedFieldsOperation.UPDATE:
        entry: Obj = next(
            (
                e
                for e in obj.get("metadata", {}).get("managedFields", []) or []
                if e.get("manager") == manager.name
                and e.get("operation") == ManagedFieldsOperation.UPDATE
                and e.get("subresource", "") == manager.subresource
            ),
            {},
        )
        text += f" using {entry.get('apiVersion') or obj.get('apiVersion', '')}"
        if entry.get("time"):
            text += f" at {entry['time']}"
    return text


def _path_text(path: FieldPath) -> str:
    return "." + ".".join(path)


def conflict_message(conflicts: dict[Manager, set[FieldPath]], obj: Obj) -> str:
    """The API server's words: one conflict on one line, several grouped by manager."""
    count = sum(len(paths) for paths in conflicts.values())
    if count == 1:
        ((manager, paths),) = conflicts.items()
        return (
            f"Apply failed with 1 conflict: conflict with {_manager_text(manager, obj)}: "
            f"{_path_text(next(iter(paths)))}"
        )
    lines = []
    for manager in sorted(conflicts, key=lambda m: _manager_text(m, obj)):
        lines.append(f"conflicts with {_manager_text(manager, obj)}:")
        lines.extend(f"- {_path_text(p)}" for p in sorted(conflicts[manager]))
    return f"Apply failed with {count} conflicts: " + "\n".join(lines)


def server_side_apply(
    live: Obj | None, config: Obj, *, manager: str, force: bool, now: float
) -> Obj:
    """The object after ``manager`` applies ``config`` (not stored; identity set by the caller).

    Raises ConflictError when another manager owns a field with a different value, unless
    ``force`` moves ownership. Fields this manager applied before and now omits are removed
    when no other manager owns them.
    """
    base: Obj = copy_obj(live) if live is not None else {"metadata": {}}
    base["apiVersion"], base["kind"] = config["apiVersion"], config["kind"]
    before = ownership(base)
    owners: Owners = {k: set(v) for k, v in before.items()}
    mine = Manager(manager, ManagedFieldsOperation.APPLY)
    applied = managed_leaves(config)

    conflicts: dict[Manager, set[FieldPath]] = {}
    for key, owned in owners.items():
        if key == mine:
            continue
        hits = _conflicts(base, applied, owned)
        if hits and force:
            owned.difference_update(hits)
        elif hits:
            conflicts[key] = hits
    if conflicts:
        raise ConflictError(conflict_message(conflicts, base))

    others: set[FieldPath] = set().union(*(v for k, v in owners.items() if k != mine))
    for path in owners.get(mine, set()) - applied.keys():
        if path not in others:
            remove_path(base, path, keep=others | applied.keys())
    for path, value in applied.items():
        set_path(base, path, value)
    owners[mine] = set(applied)
    _write_owners(base, owners, before=before, now=now)
    return base


def record_update(
    old: Obj | None, new: Obj, *, manager: str, now: float, subresource: str = ""
) -> None:
    """Give ``manager`` (an Update) the fields it changed, taking them from everyone else."""
    before_values = managed_leaves(old) if old is not None else {}
    after_values = managed_leaves(new)
    changed = {p for p, v in after_values.items() if before_values.get(p, MISSING) != v}
    removed = before_values.keys() - after_values.keys()
    if not changed and not removed:
        return
    before = ownership(new)
    owners: Owners = {k: v - changed - removed for k, v in before.items()}
    key = Manager(manager, ManagedFieldsOperation.UPDATE, subresource)
    owners[key] = owners.get(key, set()) | changed
    _write_owners(new, owners, before=before, now=now)
