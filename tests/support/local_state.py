"""A local cluster state file as weavefn writes it, for the tests of loading one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from weavefn.lifecycle.backup import request_backup
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.metrics import LoadModel
from weavefn.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]
EPOCH = 1_795_000_000.0


@cache
def _saved() -> str:
    clock = ManualClock(EPOCH)
    kube = LocalKube(clock=clock)
    kube.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast-ssd"},
            "provisioner": "ebs.csi.aws.com",
            "allowVolumeExpansion": True,
        }
    )
    kube.apply_cluster(yaml.safe_load((ROOT / "examples/production-aws.yaml").read_text()))
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    assert runtime.service.reconcile().ok
    LoadModel(kube.extras).set("weaviate/production", cpu=55.0, qps=900.0)
    request_backup(kube, namespace="weaviate", name="production", now=runtime.service.clock())
    assert runtime.service.reconcile().ok
    return json.dumps(kube.to_json())


def saved_state() -> dict[str, Any]:
    """A fresh copy of a saved state: a reconciled production cluster with its pods, claims
    and Events, its embedded Weaviate with a backup in flight, a load set, a StorageClass."""
    state: dict[str, Any] = json.loads(_saved())
    assert state["extras"]["weaviate"], "the embedded Weaviate must be part of the sample"
    return state
