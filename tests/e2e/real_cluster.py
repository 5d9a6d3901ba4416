"""weavefn against a real API server, as a ServiceAccount bound to infra/k8s/rbac.yaml.

``service_account_kubeconfig`` applies the ClusterRole of rbac.yaml, binds it to a
ServiceAccount, asks the TokenRequest API for a token and writes a kubeconfig holding only that
token: whatever the role lacks fails the pass with a 403. ``Scenario`` runs passes through
``kubeconfig:PATH`` and acts as the kubelet (and as each pod's Weaviate) between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import CoreV1Api
from weavefn.kube.port import ObjectRef
from weavefn.kube.real import RealKube
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.local.weaviate.state import SimTiming
from weavefn.reconcile.reconciler import ClusterReport
from weavefn.runtime import build_runtime, open_backend
from weavefn.service import Service

from tests.support.kubelet import Kubelet, ready
from tests.support.realk8s import ROOT, ControlPlane
from tests.support.weaviate_pods import WeaviatePods

Obj = dict[str, Any]
SYSTEM_NAMESPACE = "weavefn-system"
ACCOUNT = "weavefn"
NAME = "search"
FAST = SimTiming(
    backup_started_s=0.2,
    backup_transferring_s=0.3,
    restore_started_s=0.2,
    restore_transferring_s=0.3,
    replication_registered_s=0.1,
    replication_hydrating_s=0.3,
    replication_finalizing_s=0.1,
    replication_dehydrating_s=0.1,
)


def service_account_kubeconfig(plane: ControlPlane, admin: RealKube, target: Path) -> Path:
    """A kubeconfig for ServiceAccount weavefn, bound to the ClusterRole of rbac.yaml."""
    role = next(
        doc
        for doc in yaml.safe_load_all((ROOT / "infra/k8s/rbac.yaml").read_text())
        if doc["kind"] == "ClusterRole"
    )
    admin.apply(role)
    admin.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NAMESPACE}})
    admin.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": ACCOUNT, "namespace": SYSTEM_NAMESPACE},
        }
    )
    admin.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "weavefn-service-account"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role["metadata"]["name"],
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": ACCOUNT, "namespace": SYSTEM_NAMESPACE}
            ],
        }
    )
    answer = CoreV1Api(admin.api_client).create_namespaced_service_account_token(
        ACCOUNT, SYSTEM_NAMESPACE, {"spec": {"expirationSeconds": 3600}}
    )
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "real",
                "cluster": {"server": plane.server, "certificate-authority": str(plane.ca_file)},
            }
        ],
        "users": [{"name": ACCOUNT, "user": {"token": answer.status.token}}],
        "contexts": [{"name": "real", "context": {"cluster": "real", "user": ACCOUNT}}],
        "current-context": "real",
    }
    target.write_text(yaml.safe_dump(config))
    target.chmod(0o600)
    return target


@dataclass
class Clock:
    """The functions' clock: real time plus whatever a test skips ahead."""

    skipped: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.skipped


@dataclass
class Scenario:
    """One WeaviateCluster on the real API server, its pods, and a fake Weaviate per pod."""

    admin: RealKube
    kubelet: Kubelet
    namespace: str
    name: str
    sim: EmbeddedWeaviate
    kubeconfig: Path
    clock: Clock = field(default_factory=Clock)
    weaviate: WeaviatePods = field(init=False)

    def __post_init__(self) -> None:
        self.weaviate = WeaviatePods(self.sim, self.name)
        self.admin.apply(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        )

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def stop(self) -> None:
        self.weaviate.stop()

    def act(self) -> list[Obj]:
        """The kubelet's round, then each pod's Weaviate follows its pod."""
        pods = self.kubelet.sync(self.namespace)
        self.weaviate.sync(self.kubelet.pods(self.namespace))
        return pods

    def apply(self, manifest: Obj) -> None:
        """The user's change (kubectl apply), made as the admin, not as weavefn."""
        self.admin.apply_cluster(manifest)

    def reconcile(self) -> ClusterReport:
        """One pass, exactly as a function runs it: through ``kubeconfig:PATH``."""
        self.act()
        with open_backend(f"kubeconfig:{self.kubeconfig}") as backend:
            service: Service = build_runtime(backend, clock=self.clock).service
            report = service.reconcile(namespace=self.namespace, name=self.name)
        self.act()
        return report.clusters[self.key]

    def settle(self, check: Callable[[], bool], *, what: str, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            self.act()
            time.sleep(0.05)

    def passes_until(
        self, check: Callable[[], bool], *, what: str, passes: int = 30, interval: float = 0.3
    ) -> list[ClusterReport]:
        """Reconcile, act as the kubelet, repeat, until ``check()``; every report, in order."""
        reports = []
        for _ in range(passes):
            reports.append(self.reconcile())
            assert reports[-1].ok, reports[-1]
            if check():
                return reports
            end = time.monotonic() + interval
            while time.monotonic() < end:
                self.act()
                time.sleep(0.05)
        raise AssertionError(f"{what} after {passes} passes: {reports[-1]}")

    # what the cluster looks like

    def cluster(self) -> Obj:
        return self.admin.get_cluster(self.namespace, self.name)

    def status(self) -> Obj:
        found: Obj = self.cluster().get("status") or {}
        return found

    def statefulset(self) -> Obj:
        found = self.admin.get(ObjectRef("apps/v1", "StatefulSet", self.namespace, self.name))
        assert found is not None
        return found

    def pods(self) -> dict[str, Obj]:
        return {
            p["metadata"]["name"]: p
            for p in self.kubelet.pods(self.namespace)
            if p["metadata"]["name"].rpartition("-")[0] == self.name
            and not p["metadata"].get("deletionTimestamp")
        }

    def ready_images(self) -> dict[str, str]:
        return {
            name: p["spec"]["containers"][0]["image"].rpartition(":")[2]
            for name, p in self.pods().items()
            if ready(p)
        }

    def running(self, replicas: int, version: str) -> bool:
        status = self.status()
        return (
            status.get("phase") == "Running"
            and status.get("readyReplicas") == replicas
            and status.get("replicas") == replicas
            and status.get("currentVersion") == version
            and self.ready_images() == {f"{self.name}-{i}": version for i in range(replicas)}
        )
