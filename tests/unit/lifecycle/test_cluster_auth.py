"""The internal-auth Secret weavefn generates, and telling that a pod lost it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from weavefn.lifecycle.cluster_auth import _missing, cluster_auth_secret
from weavefn.local.kube import LocalKube
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.live import LiveState

from tests.unit.render.conftest import build


def context(pods: list[dict] | None = None) -> ClusterContext:  # type: ignore[type-arg]
    cluster = build(uid="u-1")
    raw = cluster.to_dict()
    return ClusterContext(
        LocalKube(), raw, cluster, LiveState(pods=pods or []), datetime.now(UTC), cluster.status
    )


def test_each_secret_has_its_own_random_immutable_credentials() -> None:
    ctx = context()
    one, two = (cluster_auth_secret(ctx, "demo-cluster-auth") for _ in range(2))
    assert one["immutable"] is True and one["type"] == "Opaque"
    assert one["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert one["metadata"]["labels"]["app.kubernetes.io/instance"] == "demo"
    values = {k: base64.b64decode(v).decode() for k, v in one["data"].items()}
    assert set(values) == {"username", "password"}
    assert len(values["password"]) >= 40
    assert one["data"] != two["data"]


def _pod(reason: str, message: str) -> dict:  # type: ignore[type-arg]
    waiting = {"reason": reason, "message": message}
    return {
        "metadata": {"name": "demo-1"},
        "status": {"containerStatuses": [{"name": "weaviate", "state": {"waiting": waiting}}]},
    }


def test_a_pod_that_cannot_start_for_want_of_the_secret_is_named() -> None:
    gone = _pod("CreateContainerConfigError", 'secret "demo-cluster-auth" not found')
    assert _missing(context([gone]), "demo-cluster-auth") == "demo-1"
    other = _pod("CreateContainerConfigError", 'secret "openai" not found')
    assert _missing(context([other]), "demo-cluster-auth") is None
    pulling = _pod("ImagePullBackOff", 'secret "demo-cluster-auth"')
    assert _missing(context([pulling]), "demo-cluster-auth") is None
