"""Backups on the local cluster: on demand, on a cron schedule, pruned to retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.lifecycle.backup import request_backup
from weavefn.local.kube import ManualClock
from weavefn.local.weaviate.connector import edit_sim
from weavefn.local.weaviate.state import BackupFailure

from tests.functional.test_upgrade import KEY, NAME, NS, Run, running_cluster


def now(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def with_schedule(run: Run, schedule: dict[str, Any]) -> None:
    raw = run.kube.get_cluster(NS, NAME)
    run.kube.patch_cluster_spec(
        NS, NAME, {"backup": schedule}, resource_version=raw["metadata"]["resourceVersion"]
    )


def test_on_demand_backup_is_recorded_then_tracked_to_success(clock: ManualClock):
    run = running_cluster(clock)

    backup_id = request_backup(run.kube, namespace=NS, name=NAME, now=now(clock))
    (pending,) = run.status()["backups"]
    assert pending == {
        "id": backup_id,
        "backend": "s3",
        "status": "PENDING",
        "startedAt": pending["startedAt"],
        "reason": "on-demand",
        "version": "1.26.5",
    }
    assert backup_id.startswith("weavefn-on-demand-v1-26-5-")
    started = run.invoke()["backups"][0]["status"]
    clock.advance(30)
    finished = run.invoke()

    assert started == "STARTED"
    assert finished["backups"][0]["status"] == "SUCCESS"
    assert {c["type"]: c["status"] for c in finished["conditions"]}["BackupSucceeded"] == "True"
    assert [e for e in run.kube.list_events(NS) if e["reason"] == "BackupSucceeded"]


def test_failed_backup_is_reported(clock: ManualClock):
    run = running_cluster(clock)
    with edit_sim(run.kube, KEY) as sim:
        sim.fail_next_backup(BackupFailure.FAILED)
    request_backup(run.kube, namespace=NS, name=NAME, now=now(clock))

    run.invoke()
    clock.advance(30)
    final = run.invoke()

    assert final["backups"][0]["status"] == "FAILED"
    condition = {c["type"]: c for c in final["conditions"]}["BackupSucceeded"]
    assert condition["status"] == "False" and "FAILED" in condition["message"]


def test_backup_request_without_a_target_names_the_field(clock: ManualClock):
    run = running_cluster(clock, backup=False)

    with pytest.raises(InvalidInputError) as caught:
        request_backup(run.kube, namespace=NS, name=NAME, now=now(clock))

    assert caught.value.errors[0].path == "spec.cloudProvider"
    assert run.status().get("backups", []) == []


def test_azure_backups_without_a_credential_are_refused_not_attempted(clock: ManualClock):
    run = running_cluster(clock, backup=False, azure_backup={})

    with pytest.raises(InvalidInputError) as caught:
        request_backup(run.kube, namespace=NS, name=NAME, now=now(clock))
    assert caught.value.errors[0].path == "spec.cloudProvider.azure.backup"

    with_schedule(run, {"schedule": "* * * * *", "retention": 3})
    clock.advance(120)
    status = run.invoke()
    assert status.get("backups", []) == []
    condition = {c["type"]: c for c in status["conditions"]}["BackupSucceeded"]
    assert (condition["status"], condition["reason"]) == ("False", "BackupCredentialsMissing")


def test_schedule_takes_one_backup_per_slot_and_keeps_the_retention(clock: ManualClock):
    run = running_cluster(clock)
    with_schedule(run, {"schedule": "0 * * * *", "retention": 2})  # hourly

    for _ in range(5 * 6):  # five hours, a trigger every ten minutes
        clock.advance(600)
        run.invoke()
    clock.advance(30)
    run.invoke()  # lets the last slot's backup finish

    backups = run.status()["backups"]
    assert [b["reason"] for b in backups] == ["scheduled", "scheduled"]
    assert all(b["status"] == "SUCCESS" for b in backups)
    assert backups[0]["startedAt"] < backups[1]["startedAt"]
    started = sum(
        1
        for e in run.kube.list_events(NS)
        if e["reason"] == "BackupStarted" and "scheduled" in e["note"]
    )
    assert started == 5  # one per hourly slot, never twice for the same slot


def test_no_scheduled_backup_while_an_upgrade_runs(clock: ManualClock):
    run = running_cluster(clock)
    with_schedule(run, {"schedule": "* * * * *", "retention": 3})  # every minute
    run.request("1.27.3")

    final = run.until_done()

    assert final["lastOperation"]["phase"] == "Succeeded"
    during = [seen["status"] for seen in run.passes if "operation" in seen["status"]]
    assert len(during) >= 3
    for status in during:
        assert [b["reason"] for b in status["backups"]] == ["pre-upgrade"]
    clock.advance(60)
    assert "scheduled" in [b["reason"] for b in run.invoke()["backups"]]  # resumes after
