"""Upgrades on the local cluster: backup first, one pod at a time, rollback, refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.errors import InvalidInputError, NotFoundError
from weavefn.invocation import fixed_runtime
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.kube.pods import PodFailure
from weavefn.local.weaviate.connector import LocalWeaviateConnector, edit_sim
from weavefn.local.weaviate.state import BackupFailure
from weavefn.running import Runner
from weavefn.runtime import build_runtime
from weavefn.service import Service
from weavefn.triggers.model import UpgradeRequest

NS, NAME = "weaviate", "search"
KEY = f"{NS}/{NAME}"
OLD, NEW = "1.26.5", "1.27.3"
RESTART = 60.0  # seconds a Weaviate pod takes to become Ready after (re)starting


def manifest(
    *,
    replicas: int = 3,
    version: str = OLD,
    backup: bool = True,
    inference: bool = False,
    azure_backup: dict[str, Any] | None = None,
    **annotations: str,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": version,
        "replicas": replicas,
        "storage": {"size": "10Gi"},
        "replication": {"factor": 2},
        "modules": [],
    }
    if backup:
        # Weaviate refuses the filesystem backend on more than one node: a bucket it is
        spec["cloudProvider"] = {
            "type": "aws",
            "region": "us-east-1",
            "aws": {"backup": {"bucket": "weavefn-backups"}},
        }
    if inference:
        spec["modules"].append({"name": "qna-transformers"})
    if azure_backup is not None:
        target = {"storageAccount": "acct1", "container": "backups", **azure_backup}
        spec["cloudProvider"] = {"type": "azure", "azure": {"backup": target}}
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": NAME, "namespace": NS, "annotations": annotations},
        "spec": spec,
    }


@dataclass
class Run:
    """A cluster on the local cluster and the service invoked on a schedule against it."""

    kube: LocalKube
    clock: ManualClock
    every: float = 60.0
    invocations: int = 0
    passes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def service(self) -> Service:
        now: Callable[[], datetime] = lambda: datetime.fromtimestamp(self.clock(), UTC)  # noqa: E731
        return Service(self.kube, clock=now, workers=1, weaviate=LocalWeaviateConnector(self.kube))

    def invoke(self) -> dict[str, Any]:
        self.service.reconcile(name=NAME, namespace=NS)
        self.invocations += 1
        status = self.status()
        self.passes.append({"status": status, "pods": self.pods()})
        return status

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = self.kube.get_cluster(NS, NAME).get("status", {})
        return found

    def pods(self) -> dict[str, tuple[str, bool]]:
        """pod name -> (image tag, Ready)."""
        out = {}
        for pod in self.kube.list_pods(NS, {"app.kubernetes.io/instance": NAME}):
            image = pod["spec"]["containers"][0]["image"].rpartition(":")[2]
            ready = any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in pod.get("status", {}).get("conditions", [])
            )
            out[pod["metadata"]["name"]] = (image, ready)
        return out

    def until_done(self, *, limit: int = 100) -> dict[str, Any]:
        """Invoke every ``every`` seconds until no operation is in flight (after one began)."""
        began = False
        for _ in range(limit):
            status = self.invoke()
            began = began or "operation" in status
            if began and "operation" not in status:
                return status
            self.clock.advance(self.every)
        raise AssertionError(f"no end after {limit} invocations: {self.status().get('operation')}")

    def request(self, version: str) -> str:
        return start_upgrade(self.kube, UpgradeRequest(KEY, version, "test"))

    def with_follow_ups(self, *, limit: int = 200, delivery: float = 0.0) -> dict[str, Any]:
        """As deployed: a tick every minute and each follow-up delivered ``delivery`` s after
        it is due (the local queue), the clock moved on to the next; until no operation is in
        flight."""
        runtime = build_runtime(local_backend(self.kube))
        runner = Runner(lambda: fixed_runtime(runtime), period=self.every, delivery=delivery)
        began = False
        for _ in range(limit):
            turn, _ = runner.round()
            self.invocations += len(turn.fired)
            status = self.status()
            at = turn.now.timestamp()  # the round's time (the clock has moved on to the next)
            self.passes.append({"status": status, "pods": self.pods(), "at": at})
            began = began or "operation" in status
            if began and "operation" not in status:
                return status
        raise AssertionError(f"no end after {limit} rounds: {self.status().get('operation')}")


def running_cluster(clock: ManualClock, *, ready_delay: float = RESTART, **kwargs: Any) -> Run:
    kube = LocalKube(clock=clock, ready_delay=ready_delay)
    kube.apply_cluster(manifest(**kwargs))
    run = Run(kube, clock)
    for _ in range(3):
        run.invoke()
        clock.advance(ready_delay + 1)
    assert run.status()["currentVersion"] == kwargs.get("version", OLD)
    run.passes.clear()
    run.invocations = 0
    return run


def events(kube: LocalKube) -> list[str]:
    return [e["reason"] for e in kube.list_events(NS)]


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status.get("conditions", [])}


def test_rolls_three_replicas_one_pod_at_a_time_after_a_backup(clock: ManualClock):
    run = running_cluster(clock)
    run.request(NEW)

    final = run.until_done()

    assert final["lastOperation"]["phase"] == "Succeeded"
    assert final["currentVersion"] == NEW and final["phase"] == "Running"
    assert run.pods() == {f"{NAME}-{i}": (NEW, True) for i in range(3)}
    (backup,) = final["backups"]
    assert backup["id"].startswith("weavefn-pre-1-27-3-") and backup["status"] == "SUCCESS"
    assert conditions(final)["UpgradeSucceeded"]["status"] == "True"
    assert {"UpgradeStarted", "BackupSucceeded", "UpgradeSucceeded"} <= set(events(run.kube))
    assert run.invocations > 3  # no invocation waited for pods
    for seen in run.passes:
        down = [name for name, (_, ready) in seen["pods"].items() if not ready]
        assert len(down) <= 1, seen["pods"]
        operation = seen["status"].get("operation") or {}
        if operation.get("phase") in ("Pending", "BackingUp"):
            assert {image for image, _ in seen["pods"].values()} == {OLD}


def _labelled_versions(kube: LocalKube) -> dict[str, str]:
    """kind/name -> app.kubernetes.io/version of every namespaced object of the cluster."""
    kinds = [
        ("v1", "ServiceAccount"),
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("policy/v1", "PodDisruptionBudget"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
    ]
    return {
        f"{kind}/{obj['metadata']['name']}": obj["metadata"]["labels"]["app.kubernetes.io/version"]
        for api_version, kind in kinds
        for obj in kube.list(api_version, kind, NS)
    }


def test_only_the_statefulset_moves_at_the_upgrades_pace(clock: ManualClock):
    # The inference Deployment runs no Weaviate image: an upgrade must not roll its pods, and
    # no object may claim the new version while the backup runs and no pod has changed.
    run = running_cluster(clock, inference=True)
    deployment = f"{NAME}-qna-transformers"
    (before,) = [d for d in run.kube.list("apps/v1", "Deployment", NS)]
    assert before["metadata"]["name"] == deployment
    run.request(NEW)

    status = run.invoke()

    assert status["operation"]["phase"] in ("Pending", "BackingUp")
    (during,) = run.kube.list("apps/v1", "Deployment", NS)
    assert during["spec"]["template"] == before["spec"]["template"]
    assert set(_labelled_versions(run.kube).values()) == {OLD}
    assert "app.kubernetes.io/version" not in during["spec"]["template"]["metadata"]["labels"]

    final = run.until_done()

    assert final["currentVersion"] == NEW
    (after,) = run.kube.list("apps/v1", "Deployment", NS)
    assert after["spec"]["template"] == before["spec"]["template"]
    assert set(_labelled_versions(run.kube).values()) == {NEW}


def test_status_shows_rollout_progress(clock: ManualClock):
    run = running_cluster(clock)
    run.request(NEW)

    messages = []
    while True:
        operation = run.invoke().get("operation")
        if operation is None:
            break
        messages.append(f"{operation['phase']} {operation['message']}")
        clock.advance(run.every)

    assert any(m.startswith("RollingOut 1/3 pods on 1.27.3, backup weavefn-pre-") for m in messages)
    assert any(m.startswith("RollingOut 2/3 pods") and m.endswith("SUCCESS") for m in messages)


@pytest.mark.parametrize(
    ("failure", "every"),
    [
        pytest.param(BackupFailure.FAILED, 60.0, id="backup-failed"),
        pytest.param(BackupFailure.STUCK, 600.0, id="backup-stuck-in-started-past-deadline"),
    ],
)
def test_backup_failure_aborts_without_touching_the_image(
    clock: ManualClock, failure: BackupFailure, every: float
):
    run = running_cluster(clock)
    with edit_sim(run.kube, KEY) as sim:
        sim.fail_next_backup(failure)
    run.every = every
    run.request(NEW)

    final = run.until_done()

    assert final["lastOperation"]["phase"] == "Failed"
    assert "image unchanged" in final["lastOperation"]["details"]["error"]
    assert run.pods() == {f"{NAME}-{i}": (OLD, True) for i in range(3)}
    assert final["currentVersion"] == OLD
    assert conditions(final)["UpgradeSucceeded"]["status"] == "False"
    assert "UpgradeFailed" in events(run.kube)
    run.clock.advance(60)
    assert "operation" not in run.invoke()  # the same version is not retried by itself


def test_pod_that_never_becomes_ready_is_rolled_back_at_the_step_timeout(clock: ManualClock):
    run = running_cluster(clock)
    run.kube.fail_image(NEW, PodFailure.NOT_READY)  # runs, but its readiness probe never passes
    run.request(NEW)

    final = run.until_done()

    assert final["lastOperation"]["phase"] == "RolledBack"
    assert "not healthy on 1.27.3 after 10m" in final["lastOperation"]["details"]["error"]
    assert run.pods() == {f"{NAME}-{i}": (OLD, True) for i in range(3)}
    assert final["currentVersion"] == OLD and final["phase"] == "Running"
    assert {"RollbackStarted", "RolledBack"} <= set(events(run.kube))
    assert conditions(final)["UpgradeSucceeded"]["reason"] == "RolledBack"
    for _ in range(3):
        clock.advance(60)
        assert "operation" not in run.invoke()
    assert run.pods() == {f"{NAME}-{i}": (OLD, True) for i in range(3)}


def _stuck_at(run: Run) -> float:
    """When the top pod was first seen on the new image, not Ready."""
    for seen in run.passes:
        image, ready = seen["pods"].get(f"{NAME}-2", ("", True))
        if image == NEW and not ready:
            return float(seen["at"])
    raise AssertionError(f"{NAME}-2 never ran {NEW}")


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        pytest.param(PodFailure.IMAGE_PULL, "ImagePullBackOff", id="image-cannot-be-pulled"),
        pytest.param(PodFailure.CRASH_LOOP, "CrashLoopBackOff after 3 restarts", id="crash-loop"),
    ],
)
def test_a_failure_that_cannot_heal_rolls_back_at_once(
    clock: ManualClock, failure: PodFailure, reason: str
):
    run = running_cluster(clock)
    run.kube.fail_image(NEW, failure)
    run.request(NEW)

    final = run.with_follow_ups()

    assert final["lastOperation"]["phase"] == "RolledBack"
    error = final["lastOperation"]["details"]["error"]
    assert f"{NAME}-2 cannot start: {reason}" in error
    assert run.pods() == {f"{NAME}-{i}": (OLD, True) for i in range(3)}
    rollback = next(
        p["at"]
        for p in run.passes
        if (p["status"].get("operation") or {}).get("phase") == "RollingBack"
    )
    # the rollback starts within a poll of the failure showing, not at the step timeout, and
    # ends one restart (60 s) and a poll later: well inside RFC 0016's 3 minutes
    assert rollback - _stuck_at(run) <= (80 if failure is PodFailure.CRASH_LOOP else 20)
    assert run.passes[-1]["at"] - _stuck_at(run) <= 150


def test_a_node_unhealthy_on_two_checks_in_a_row_rolls_back(clock: ManualClock):
    run = running_cluster(clock)
    run.request(NEW)
    while (run.invoke().get("operation") or {}).get("phase") != "RollingOut":
        clock.advance(60)
    clock.advance(10)
    with edit_sim(run.kube, KEY) as sim:
        sim.set_node_healthy(f"{NAME}-0", False)  # a node the rollout has not touched yet

    first = run.invoke()

    assert first["operation"]["phase"] == "RollingOut", "one UNHEALTHY report may be a blip"
    assert first["operation"]["details"]["unhealthyChecks"] == {f"{NAME}-0": 1}
    clock.advance(10)
    status = run.invoke()
    assert status["operation"]["phase"] == "RollingBack"
    with edit_sim(run.kube, KEY) as sim:
        sim.set_node_healthy(f"{NAME}-0", True)

    final = run.until_done()

    assert final["lastOperation"]["phase"] == "RolledBack"
    assert "UNHEALTHY (2 checks in a row)" in final["lastOperation"]["details"]["error"]
    assert {image for image, _ in run.pods().values()} == {OLD}


def test_an_unhealthy_blip_is_forgotten_when_the_node_recovers(clock: ManualClock):
    run = running_cluster(clock)
    run.request(NEW)
    while (run.invoke().get("operation") or {}).get("phase") != "RollingOut":
        clock.advance(60)
    with edit_sim(run.kube, KEY) as sim:
        sim.set_node_healthy(f"{NAME}-0", False)
    clock.advance(10)
    assert run.invoke()["operation"]["details"]["unhealthyChecks"] == {f"{NAME}-0": 1}
    with edit_sim(run.kube, KEY) as sim:
        sim.set_node_healthy(f"{NAME}-0", True)

    final = run.until_done()

    assert final["lastOperation"]["phase"] == "Succeeded"


@pytest.mark.parametrize(
    ("backup", "annotations", "starts"),
    [
        pytest.param(False, {}, False, id="no-backup-target-refused"),
        pytest.param(False, {"weaviate.io/skip-backup": "true"}, True, id="skip-acknowledged"),
    ],
)
def test_upgrade_without_a_backup_target(
    clock: ManualClock, backup: bool, annotations: dict[str, str], starts: bool
):
    run = running_cluster(clock, backup=backup, **annotations)
    run.request(NEW)

    status = run.invoke()

    if starts:
        final = run.until_done()
        assert final["lastOperation"]["phase"] == "Succeeded"
        assert final.get("backups", []) == []
    else:
        assert "operation" not in status
        refused = conditions(status)["UpgradeSucceeded"]
        assert refused["reason"] == "BackupNotConfigured"
        assert "weaviate.io/skip-backup" in refused["message"]
        assert {image for image, _ in run.pods().values()} == {OLD}


@pytest.mark.parametrize(
    ("credential", "annotations", "outcome"),
    [
        pytest.param({}, {}, "refused", id="no-credential-refused"),
        pytest.param({}, {"weaviate.io/skip-backup": "true"}, "no-backup", id="skip-acknowledged"),
        pytest.param(
            {"accountKey": {"secretKeyRef": {"name": "blob", "key": "key"}}},
            {},
            "backed-up",
            id="account-key",
        ),
    ],
)
def test_azure_backup_without_a_credential_refuses_the_upgrade(
    clock: ManualClock, credential: dict[str, Any], annotations: dict[str, str], outcome: str
):
    # backup-azure has no workload identity (modules/backup-azure/client.go): without a key or
    # a connection string the pre-upgrade backup could never be written.
    run = running_cluster(clock, backup=False, azure_backup=credential, **annotations)
    if outcome == "refused":
        with pytest.raises(InvalidInputError) as caught:  # the CLI and CI/CD request
            run.request(NEW)
        assert caught.value.errors[0].path == "spec.cloudProvider.azure.backup"
        raw = run.kube.get_cluster(NS, NAME)
        run.kube.patch_cluster_spec(  # as if admission were bypassed
            NS, NAME, {"version": NEW}, resource_version=raw["metadata"]["resourceVersion"]
        )
    else:
        run.request(NEW)

    status = run.invoke()

    if outcome == "refused":
        assert "operation" not in status
        refused = conditions(status)["UpgradeSucceeded"]
        assert refused["reason"] == "BackupCredentialsMissing"
        assert "accountKey or connectionString" in refused["message"]
        assert "weaviate.io/skip-backup" in refused["message"]
        assert {image for image, _ in run.pods().values()} == {OLD}
        assert "UpgradeFailed" in events(run.kube)
        return
    final = run.until_done()
    assert final["lastOperation"]["phase"] == "Succeeded"
    backups = [b["backend"] for b in final.get("backups", [])]
    assert backups == (["azure"] if outcome == "backed-up" else [])


def test_version_jump_in_spec_is_refused_with_a_condition(clock: ManualClock):
    run = running_cluster(clock)
    raw = run.kube.get_cluster(NS, NAME)
    run.kube.patch_cluster_spec(  # as if admission were bypassed
        NS, NAME, {"version": "1.28.1"}, resource_version=raw["metadata"]["resourceVersion"]
    )

    status = run.invoke()

    assert "operation" not in status
    assert "skips minor versions" in conditions(status)["UpgradeSucceeded"]["message"]
    assert {image for image, _ in run.pods().values()} == {OLD}


@pytest.mark.parametrize(
    ("cluster", "version", "error"),
    [
        pytest.param("weaviate/missing", NEW, NotFoundError, id="unknown-cluster"),
        pytest.param(KEY, "1.28.0", InvalidInputError, id="skips-a-minor"),
        pytest.param(KEY, "1.25.9", InvalidInputError, id="downgrade-across-minors"),
    ],
)
def test_start_upgrade_refuses_and_changes_nothing(
    clock: ManualClock, cluster: str, version: str, error: type[Exception]
):
    run = running_cluster(clock)
    before = run.kube.get_cluster(NS, NAME)["metadata"]["resourceVersion"]

    with pytest.raises(error) as caught:
        start_upgrade(run.kube, UpgradeRequest(cluster, version, "test"))

    if isinstance(caught.value, InvalidInputError):
        assert caught.value.errors[0].path == "spec.version"
    assert run.kube.get_cluster(NS, NAME)["metadata"]["resourceVersion"] == before
