"""What the API server does to Secrets and ConfigMaps on a write: stringData folded into data,
and the data of an immutable one kept as it is."""

from __future__ import annotations

import base64
from typing import Any

from weavefn.errors import FieldError, InvalidInputError

Obj = dict[str, Any]

_IMMUTABLE = "Forbidden: field is immutable when `immutable` is set"


def _is(obj: Obj, *kinds: str) -> bool:
    return obj.get("apiVersion") == "v1" and obj.get("kind") in kinds


def fold_string_data(obj: Obj) -> None:
    """A Secret's stringData is write-only: the server encodes it into data (winning over a
    key given in both) and never stores it."""
    if not _is(obj, "Secret") or "stringData" not in obj:
        return
    plain = obj.pop("stringData") or {}
    if plain:
        data = obj.setdefault("data", {}) or {}
        obj["data"] = data
        for key, value in plain.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def check_immutable_data(old: Obj, new: Obj) -> None:
    """422 like the API server: an immutable Secret or ConfigMap keeps its data and stays
    immutable (only deletion replaces it). Runs after ``fold_string_data``."""
    if not _is(old, "Secret", "ConfigMap") or old.get("immutable") is not True:
        return
    fields = ("data",) if old["kind"] == "Secret" else ("data", "binaryData")
    changed = [f for f in fields if (old.get(f) or {}) != (new.get(f) or {})]
    if new.get("immutable") is not True:
        changed.insert(0, "immutable")
    if changed:
        raise InvalidInputError(
            [FieldError(field, _IMMUTABLE) for field in changed],
            what=f'{old["kind"]} "{old["metadata"]["name"]}"',
        )
