"""How a cluster is named across weavefn: ``namespace/name`` (alarms, queues, requests, logs)."""

from __future__ import annotations

from typing import Any


def object_key(raw: dict[str, Any]) -> str:
    """``namespace/name`` of a raw object, tolerant of missing metadata (for reports)."""
    meta = raw.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"


def split_key(key: str) -> tuple[str, str]:
    """Split ``namespace/name``; a bare name means the default namespace."""
    namespace, _, name = key.rpartition("/")
    return namespace or "default", name
