"""Fixtures for rendering tests: the shipped examples and a small cluster builder."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.model.resource import WeaviateCluster, parse_cluster

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))

BASE: dict[str, Any] = {
    "apiVersion": "weaviate.io/v1",
    "kind": "WeaviateCluster",
    "metadata": {"name": "demo", "namespace": "search"},
    "spec": {"version": "1.32.5", "replicas": 3, "storage": {"size": "10Gi"}},
}


def load_example(name: str) -> WeaviateCluster:
    return parse_cluster(yaml.safe_load((EXAMPLES / name).read_text()))


def build(spec: dict[str, Any] | None = None, **metadata: Any) -> WeaviateCluster:
    raw = copy.deepcopy(BASE)
    raw["spec"].update(spec or {})
    raw["metadata"].update(metadata)
    return parse_cluster(raw)


def env_of(statefulset: dict[str, Any]) -> dict[str, Any]:
    """The Weaviate container's env as name -> value (or valueFrom)."""
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.fixture
def cluster_builder() -> Callable[..., WeaviateCluster]:
    return build
