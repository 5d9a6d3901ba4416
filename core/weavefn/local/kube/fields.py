"""Field paths inside JSON-shaped objects: leaves, lookups, edits and the FieldsV1 encoding.

Simplification: lists are atomic (one leaf each, as for ``x-kubernetes-list-type: atomic``);
the real API server merges some lists by key (e.g. containers by name). Empty maps are leaves.
"""

from __future__ import annotations

from typing import Any

FieldPath = tuple[str, ...]
MISSING: Any = object()

# Set by the server, never owned by a field manager.
_SERVER_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
        "selfLink",
    }
)
_UNMANAGED_TOP = frozenset({"apiVersion", "kind", "status"})


def clone(value: Any) -> Any:
    """Deep copy of JSON data; faster than copy.deepcopy for dicts, lists and scalars."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def copy_obj(obj: dict[str, Any]) -> dict[str, Any]:
    """Deep copy of one object, typed."""
    return {k: clone(v) for k, v in obj.items()}


def leaves(value: Any, prefix: FieldPath = ()) -> dict[FieldPath, Any]:
    """Every leaf path of ``value`` with its value: scalars, lists and empty maps."""
    if isinstance(value, dict) and value:
        found: dict[FieldPath, Any] = {}
        for key, item in value.items():
            found.update(leaves(item, (*prefix, str(key))))
        return found
    return {prefix: value}


def managed_leaves(obj: dict[str, Any]) -> dict[FieldPath, Any]:
    """The leaves a field manager can own: everything but identity, server fields and status."""
    view = {k: v for k, v in obj.items() if k not in _UNMANAGED_TOP}
    meta = view.pop("metadata", None)
    found = {p: v for p, v in leaves(view).items() if p}
    if isinstance(meta, dict):
        own = {k: v for k, v in meta.items() if k not in _SERVER_META}
        if own:
            found.update(leaves(own, ("metadata",)))
    return found


def get_path(obj: Any, path: FieldPath) -> Any:
    """The value at ``path``, or MISSING."""
    current = obj
    for key in path:
        if not isinstance(current, dict) or key not in current:
            return MISSING
        current = current[key]
    return current


def set_path(obj: dict[str, Any], path: FieldPath, value: Any) -> None:
    """Set ``value`` at ``path``, creating maps on the way; an empty map merges, never wipes."""
    current = obj
    for key in path[:-1]:
        child = current.get(key)
        if not isinstance(child, dict):
            child = current[key] = {}
        current = child
    last = path[-1]
    if value == {} and isinstance(current.get(last), dict):
        return
    current[last] = clone(value)


def remove_path(obj: dict[str, Any], path: FieldPath, *, keep: set[FieldPath]) -> None:
    """Delete the leaf at ``path``, then parents left empty unless they are in ``keep``."""
    parents: list[dict[str, Any]] = []
    current: Any = obj
    for key in path[:-1]:
        if not isinstance(current, dict) or key not in current:
            return
        parents.append(current)
        current = current[key]
    if not isinstance(current, dict) or path[-1] not in current:
        return
    if isinstance(current[path[-1]], dict) and current[path[-1]]:
        return  # someone else has since put fields under it
    del current[path[-1]]
    # Top-level sections (spec, metadata) stay even when empty.
    for depth in range(len(path) - 1, 1, -1):
        parent_path = path[:depth]
        container = parents[depth - 1]
        if container.get(path[depth - 1]) == {} and parent_path not in keep:
            del container[path[depth - 1]]
        else:
            break


def encode_fields(paths: set[FieldPath]) -> dict[str, Any]:
    """FieldsV1 as the API server writes it: ``{"f:spec": {"f:replicas": {}}}``."""
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


def decode_fields(tree: dict[str, Any], prefix: FieldPath = ()) -> set[FieldPath]:
    """The leaf paths of a FieldsV1 tree (a node without children is a leaf)."""
    found: set[FieldPath] = set()
    for key, child in tree.items():
        if not key.startswith("f:"):
            continue
        path = (*prefix, key[2:])
        if isinstance(child, dict) and any(k.startswith("f:") for k in child):
            found |= decode_fields(child, path)
        else:
            found.add(path)
    return found


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, ``None`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
