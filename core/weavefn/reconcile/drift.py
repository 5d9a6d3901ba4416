"""Compare a desired object with the live one on the fields weavefn sets (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weavefn.model.units import parse_quantity

_MISSING = object()


@dataclass(frozen=True)
class Drift:
    """One field whose live value differs from what weavefn renders."""

    path: str
    desired: Any
    live: Any

    def __str__(self) -> str:
        live = "<absent>" if self.live is _MISSING else _short(self.live)
        return f"{self.path}: {live} -> {_short(self.desired)}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same_scalar(desired: Any, live: Any) -> bool:
    if desired == live:
        return True
    # The API server canonicalises quantities ("2000m" comes back as "2").
    if isinstance(desired, str | int) and isinstance(live, str | int):
        try:
            return parse_quantity(desired) == parse_quantity(live)
        except ValueError:
            return False
    return False


def _walk(desired: Any, live: Any, path: str, out: list[Drift]) -> None:
    if desired == live:
        return  # a whole subtree at once, in C: most of a steady fleet's objects end here
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            out.append(Drift(path, desired, live))
            return
        for key, value in desired.items():
            _walk(value, live.get(key, _MISSING), f"{path}.{key}" if path else key, out)
    elif isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            out.append(Drift(path, desired, live))
            return
        for index, (want, have) in enumerate(zip(desired, live, strict=True)):
            _walk(want, have, f"{path}[{index}]", out)
    elif live is _MISSING or not _same_scalar(desired, live):
        out.append(Drift(path, desired, live))


def compare(desired: Any, live: Any, path: str = "") -> list[Drift]:
    """Every field of ``desired`` (any value, at ``path``) whose live value differs."""
    drifts: list[Drift] = []
    _walk(desired, live, path, drifts)
    return drifts


# Server-managed or informational metadata never counts as drift.
_IGNORED_METADATA = ("resourceVersion", "uid", "generation", "creationTimestamp", "managedFields")


def diff(desired: dict[str, Any], live: dict[str, Any]) -> list[Drift]:
    """Every field set in ``desired`` whose live value differs; live-only fields are ignored."""
    wanted = dict(desired)
    metadata = {k: v for k, v in wanted.get("metadata", {}).items() if k not in _IGNORED_METADATA}
    wanted["metadata"] = metadata
    wanted.pop("status", None)
    drifts: list[Drift] = []
    _walk(wanted, live, "", drifts)
    return drifts
