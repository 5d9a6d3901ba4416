"""An operation in status that cannot be read is ended by the step that owns its kind, cleanly.

Such an operation comes from a hand edit or another weavefn version. The status still parses
(the cluster is not marked invalid), the pass does not fail, nothing irreversible happens,
and what was found stays in lastOperation for a human to read.
"""

from __future__ import annotations

from typing import Any

from weavefn.kube.port import ObjectRef
from weavefn.local.kube import ManualClock

from tests.functional.test_upgrade import (
    NAME,
    NEW,
    NS,
    OLD,
    Run,
    conditions,
    manifest,
    running_cluster,
)

T = "2026-01-01T00:00:00Z"


def put_operation(run: Run, operation: dict[str, Any]) -> None:
    raw = run.kube.get_cluster(NS, NAME)
    raw["status"]["operation"] = operation
    run.kube.replace_cluster_status(raw)


def replicas(run: Run) -> int:
    sts = run.kube.get(ObjectRef("apps/v1", "StatefulSet", NS, NAME))
    assert sts is not None
    return int(sts["spec"]["replicas"])


def test_a_drain_with_unreadable_details_fails_without_shrinking(clock: ManualClock):
    run = running_cluster(clock)
    # The scale-in the drain was for: without autoscaling, spec.replicas asks for it (a spec
    # that asks for none would clear ScaleInBlocked in the same pass: nothing is blocked).
    run.kube.apply_cluster(manifest(replicas=2))
    broken = {
        "kind": "ScaleInDrain",
        "phase": "Shrinking",
        "startedAt": T,
        "phaseStartedAt": T,
        "details": {"toReplicas": 2, "departing": ["search-2"]},  # fromReplicas is missing
    }
    put_operation(run, broken)

    report = run.service.reconcile(name=NAME, namespace=NS)

    status = run.status()
    assert report.ok
    assert "operation" not in status
    assert status["lastOperation"]["phase"] == "Failed"
    assert "unreadable status.operation.details" in status["lastOperation"]["message"]
    assert "fromReplicas" in status["lastOperation"]["message"]
    assert replicas(run) == 3, "no shrink on a state that cannot be read"
    assert conditions(status)["ScaleInBlocked"]["reason"] == "DrainFailed"


def test_an_upgrade_with_unreadable_details_is_abandoned_and_kept_for_reading(clock: ManualClock):
    run = running_cluster(clock)
    broken = {
        "kind": "Upgrade",
        "phase": "RollingOut",
        "startedAt": T,
        "phaseStartedAt": T,
        "details": {"from": OLD, "to": NEW},  # replicas is missing
    }
    put_operation(run, broken)

    report = run.service.reconcile(name=NAME, namespace=NS)

    status = run.status()
    assert report.ok, report.clusters
    assert "operation" not in status
    assert status["lastOperation"] == broken, "what was found stays readable"
    upgrade = conditions(status)["UpgradeSucceeded"]
    assert upgrade["status"] == "False"
    assert "unreadable status.operation" in upgrade["message"]
    assert set(run.pods().values()) == {(OLD, True)}, "no pod changed"


def test_an_operation_of_an_unknown_kind_is_left_to_whoever_wrote_it(clock: ManualClock):
    run = running_cluster(clock)
    foreign = {"kind": "Reshard", "phase": "Splitting", "startedAt": T, "phaseStartedAt": T}
    put_operation(run, foreign)

    report = run.service.reconcile(name=NAME, namespace=NS)

    assert report.ok
    assert run.status()["operation"] == foreign
    assert run.status()["phase"] == "Running"


def test_a_restore_with_unreadable_details_is_ended_and_said_so(clock: ManualClock):
    run = running_cluster(clock)
    broken = {"kind": "Restore", "phase": "Restoring", "startedAt": T, "phaseStartedAt": T}
    put_operation(run, broken)

    report = run.service.reconcile(name=NAME, namespace=NS)

    status = run.status()
    assert report.ok, report.clusters
    assert "operation" not in status
    assert status["lastOperation"] == broken
    restore = conditions(status)["RestoreSucceeded"]
    assert restore["status"] == "False" and "unreadable status.operation" in restore["message"]
