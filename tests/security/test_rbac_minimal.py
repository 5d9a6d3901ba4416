"""The ClusterRole grants exactly what the code uses: no more, no less, no wildcards.

What the code uses is measured, not listed by hand: the service runs a fleet through scaling,
drains, upgrades, backups and a volume expansion on the local cluster, which records every port
call (verb and kind); each distinct call is then replayed through RealKube against a recording
HTTP server, and each HTTP request becomes the (apiGroup, resource, verb) RBAC checks. Weaviate
calls through the service proxy and the metrics.k8s.io read are measured the same way.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient, Configuration
from weavefn.autoscale.metrics.kubernetes import CustomObjectsPodMetrics
from weavefn.kube.port import ObjectRef
from weavefn.kube.real import RealKube
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock, Verb
from weavefn.model.resource import parse_cluster
from weavefn.runtime import build_runtime
from weavefn.weaviate.connect import read_api_key
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.weaviate.port import ReplicationKind

from tests.adapters.kube.apiserver import ApiServer, Recorded, running_api_server
from tests.soak.fleet import build_fleet
from tests.soak.soak import SoakConfig, run_soak

ROOT = Path(__file__).resolve().parents[2]
Grant = tuple[str, str, str]
"""(apiGroup, resource, verb)"""


def granted() -> set[Grant]:
    role = next(
        d
        for d in yaml.safe_load_all((ROOT / "infra/k8s/rbac.yaml").read_text())
        if d["kind"] == "ClusterRole"
    )
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def rbac_of(request: Recorded) -> set[Grant]:
    """The RBAC check(s) the API server makes for one request."""
    parts = request.path.strip("/").split("/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    if rest[:1] == ["namespaces"] and len(rest) > 2:
        rest = rest[2:]
    resource, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2:3]
    if sub:
        resource = f"{resource}/{sub[0]}"
    verb = {
        "GET": "get" if name else "list",
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete",
    }[request.method]
    checks = {(group, resource, verb)}
    if request.headers.get("content-type", "").startswith("application/apply-patch"):
        checks.add((group, resource, "create"))  # server-side apply creates what is missing
    return checks


@pytest.fixture(scope="module")
def local_calls() -> set[tuple[Verb, str]]:
    """Every (verb, kind) the code asks of the port over a soak and the lifecycle paths."""
    calls: set[tuple[Verb, str]] = set()
    report = run_soak(SoakConfig(seed=5, events=300, clusters=12), on_kube=kubes.append)
    assert not report.violations
    for kube in kubes:
        calls |= {(c.verb, c.kind) for c in kube.calls}
    calls |= _expansion_and_secret_calls()
    return calls


kubes: list[LocalKube] = []


def _expansion_and_secret_calls() -> set[tuple[Verb, str]]:
    clock = ManualClock(1_795_000_000.0)
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
    manifest: dict[str, Any] = yaml.safe_load((ROOT / "examples/production-aws.yaml").read_text())
    manifest["spec"]["storage"]["provisionStorageClass"] = True  # weavefn renders the class
    kube.apply_cluster(manifest)
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    kube.reset_calls()
    runtime.service.reconcile()
    calls = {(c.verb, c.kind) for c in kube.calls}
    manifest["spec"]["storage"]["size"] = "200Gi"  # volume expansion: PVC patch, orphan delete
    kube.apply_cluster(manifest)  # the user's change (kubectl), not the functions'
    kube.reset_calls()
    for _ in range(3):
        runtime.service.reconcile()
        clock.advance(60.0)
    calls |= {(c.verb, c.kind) for c in kube.calls}
    build_fleet(kube, count=1, rng=random.Random(0))  # a Secret the API key is read from
    cluster = parse_cluster(kube.get_cluster("search", "mover-000"))
    kube.reset_calls()
    assert read_api_key(kube, cluster)
    return calls | {(c.verb, c.kind) for c in kube.calls}


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    with running_api_server() as api:
        yield api


def _replay(kube: RealKube, verb: Verb, kind: str) -> None:
    """The RealKube method behind one local port call, with a representative object."""
    api = {
        "Pod": "v1",
        "PersistentVolumeClaim": "v1",
        "Service": "v1",
        "ConfigMap": "v1",
        "ServiceAccount": "v1",
        "Secret": "v1",
        "Event": "events.k8s.io/v1",
    }
    ns = "search"
    if kind == "WeaviateCluster":
        body = {
            "apiVersion": "weaviate.io/v1",
            "kind": kind,
            "metadata": {"name": "c", "namespace": ns, "resourceVersion": "1"},
            "spec": {},
        }
        {
            Verb.LIST: lambda: kube.list_clusters(ns),
            Verb.GET: lambda: kube.get_cluster(ns, "c"),
            Verb.UPDATE: lambda: kube.replace_cluster_status(body),
            Verb.PATCH: lambda: kube.patch_cluster_spec(
                ns, "c", {"version": "1.27.3"}, resource_version="1"
            ),
            Verb.APPLY: lambda: kube.apply_cluster(body),
        }[verb]()
        return
    if kind == "Scale":
        kube.get_scale(ns, "c") if verb is Verb.GET else kube.patch_scale(
            ns, "c", 3, resource_version="1"
        )
        return
    if kind == "Event":
        kube.create_event({"metadata": {"namespace": ns}, "regarding": {"namespace": ns}})
        return
    if verb is Verb.PATCH and kind == "PersistentVolumeClaim":
        kube.patch_pvc_size(ns, "data-c-0", "200Gi")
        return
    version = api.get(kind) or _api_version(kind)
    scoped = None if kind == "StorageClass" else ns
    ref = ObjectRef(version, kind, scoped, "c")
    obj = {
        "apiVersion": version,
        "kind": kind,
        "metadata": {"name": "c", **({"namespace": ns} if scoped else {})},
    }
    {
        Verb.GET: lambda: kube.get(ref),
        Verb.LIST: lambda: kube.list_objects(version, kind, namespace=scoped, selector={"a": "b"}),
        Verb.APPLY: lambda: kube.apply(obj),
        Verb.CREATE: lambda: kube.create(obj),
        Verb.DELETE: lambda: kube.delete(ref, propagation="Orphan"),
    }[verb]()


def _api_version(kind: str) -> str:
    return {
        "StatefulSet": "apps/v1",
        "Deployment": "apps/v1",
        "PodDisruptionBudget": "policy/v1",
        "StorageClass": "storage.k8s.io/v1",
        "PeerAuthentication": "security.istio.io/v1",
        "DestinationRule": "networking.istio.io/v1",
    }[kind]


@pytest.fixture(scope="module")
def used(local_calls: set[tuple[Verb, str]], server: ApiServer) -> set[Grant]:
    configuration = Configuration(host=server.url)
    configuration.retries = False
    with ApiClient(configuration) as client:
        kube = RealKube(client, timeout=2.0)
        for verb, kind in sorted(local_calls):
            # the recording server answers reads with 404: the request was made all the same
            with contextlib.suppress(Exception):
                _replay(kube, verb, kind)
        with contextlib.suppress(Exception):
            CustomObjectsPodMetrics(client).list_pod_metrics("search", "a=b")
        _weaviate_through_proxy(kube)
    found: set[Grant] = set()
    for request in server.requests:
        found |= rbac_of(request)
    return found


def _weaviate_through_proxy(kube: RealKube) -> None:
    access = kube.service_proxy("search", "c", 8080)
    api = WeaviateHttpApi(access.base_url, headers=access.headers, timeout=2.0)
    calls = [
        api.nodes,
        api.cluster_statistics,
        api.collections,
        lambda: api.create_backup("s3", "b"),
        lambda: api.backup_status("s3", "b"),
        lambda: api.list_backups("s3"),
        lambda: api.restore_backup("s3", "b"),
        lambda: api.restore_status("s3", "b"),
        lambda: api.cancel_restore("s3", "b"),
        lambda: api.sharding_state("C"),
        lambda: api.replication_operation("op"),
        lambda: api.replicate(
            collection="C", shard="s", source_node="a", target_node="b", kind=ReplicationKind.MOVE
        ),
        lambda: api.set_shard_ready("C", "s"),
    ]
    for call in calls:
        with contextlib.suppress(Exception):
            call()


def test_every_grant_is_used_and_every_use_is_granted(used: set[Grant]) -> None:
    role = granted()
    assert sorted(used - role) == [], f"the role lacks what the code uses: {sorted(used - role)}"
    assert sorted(role - used) == [], f"the role grants what no code uses: {sorted(role - used)}"


def test_no_wildcards_and_no_secret_listing() -> None:
    role = granted()
    assert not any("*" in part for grant in role for part in grant)
    secrets = {verb for group, resource, verb in role if resource == "secrets"}
    # the Weaviate API key is read by name (weaviate.connect.read_api_key) and each cluster's
    # internal-auth Secret created once (lifecycle/cluster_auth.py): never listed, watched,
    # updated, patched or deleted
    assert secrets <= {"get", "create"}
    assert not any(verb == "watch" for _, _, verb in role)
