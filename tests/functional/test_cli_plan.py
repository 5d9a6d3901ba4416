"""``weavefn plan`` shows the operation in flight and the operations a pass would start or queue
(an upgrade, a backup, a drain), as well as the object changes, and writes nothing."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.cli.main import main
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.weaviate.connector import LocalWeaviateConnector
from weavefn.service import Service

from tests.functional.conftest import example

NS, NAME = "weaviate", "production"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cluster.json"
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{path}")
    return path


def _manifest(tmp_path: Path, *, version: str, **spec: Any) -> str:
    manifest = example("production-aws.yaml")
    manifest["spec"].update(version=version, **spec)
    path = tmp_path / f"production-{version}-{len(spec)}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return str(path)


def _plan(capsys: pytest.CaptureFixture[str], state: Path) -> list[str]:
    before = state.read_bytes()
    out = run(capsys, "plan", NAME)
    assert state.read_bytes() == before, "plan must write nothing"
    return [line.strip() for line in out.splitlines()]


def test_plan_of_a_converged_cluster_says_no_change(state: Path, tmp_path: Path, capsys) -> None:
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0"))
    run(capsys, "reconcile")

    assert _plan(capsys, state)[1:] == [
        "replicas: 3 (autoscaling, spec 3 is the start)",
        "no change",
    ]


def test_plan_shows_the_upgrade_a_pass_would_start(state: Path, tmp_path: Path, capsys) -> None:
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0"))
    run(capsys, "reconcile")
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.28.0"))

    lines = _plan(capsys, state)

    assert "+ upgrade 1.27.0 -> 1.28.0: backup to s3 first, then 3 pods one at a time" in lines
    assert run(capsys, "reconcile").splitlines()[1].strip().startswith("UpgradeStarted:")


def test_plan_shows_the_upgrade_in_flight_and_one_queued_behind_it(
    state: Path, tmp_path: Path, capsys
) -> None:
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0"))
    run(capsys, "reconcile")
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.28.0"))
    run(capsys, "reconcile")  # the upgrade starts: its backup first
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.28.2"))

    lines = _plan(capsys, state)

    (in_flight,) = [line for line in lines if line.startswith("= Upgrade ")]
    assert re.fullmatch(
        r"= Upgrade BackingUp in flight since \S+Z: 1\.27\.0 -> 1\.28\.0, "
        r"backup weavefn-pre-1-28-0-[\w-]+ STARTED",
        in_flight,
    ), in_flight
    assert (
        "* upgrade to 1.28.2 queued: starts once the upgrade 1.27.0 -> 1.28.0 in flight ends"
        in (lines)
    )
    assert any(
        line.startswith("= backup weavefn-pre-1-28-0-") and "(pre-upgrade, s3)" in line
        for line in lines
    )


def test_plan_shows_an_upgrade_waiting_for_a_backup(state: Path, tmp_path: Path, capsys) -> None:
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0"))
    run(capsys, "reconcile")
    backup = run(capsys, "backup", NAME).split()[1]
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.28.0"))

    lines = _plan(capsys, state)

    assert f"* upgrade 1.27.0 -> 1.28.0 queued: starts once backup {backup} ends" in lines
    assert any(line.startswith(f"= backup {backup} (on-demand, s3) STARTED") for line in lines)


def test_plan_shows_an_upgrade_the_rules_refuse(state: Path, tmp_path: Path, capsys) -> None:
    no_backup = {"cloudProvider": {"type": "aws", "region": "us-east-1"}}
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0", **no_backup))
    run(capsys, "reconcile")
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.28.0", **no_backup))

    lines = _plan(capsys, state)

    assert any(
        line.startswith("! upgrade 1.27.0 -> 1.28.0 refused: no backup target is configured")
        for line in lines
    ), lines


def test_plan_shows_the_drain_a_scale_in_starts(state: Path, tmp_path: Path, capsys) -> None:
    manual = {"autoScaling": {"enabled": False}, "replication": {"factor": 2,
              "replicaMovement": True}}  # fmt: skip
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.32.5", replicas=5, **manual))
    run(capsys, "reconcile")
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.32.5", replicas=3, **manual))

    lines = _plan(capsys, state)

    assert (
        "+ drain production-3, production-4: every shard replica moved off, then scale-in "
        "StatefulSet weaviate/production: 5 -> 3 (spec.replicas)"
    ) in lines


# -- the scheduled backup, on a clock the test moves --------------------------------------------


def _service(kube: LocalKube, clock: ManualClock) -> Service:
    return Service(
        kube,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
        weaviate=LocalWeaviateConnector(kube),
        pause=clock.advance,
    )


def test_plan_shows_a_scheduled_backup_that_is_due_and_one_an_upgrade_holds_back(
    kube: LocalKube, clock: ManualClock
) -> None:
    manifest = example("production-aws.yaml")
    manifest["spec"]["backup"] = {"schedule": "0 3 * * *"}
    kube.apply_cluster(manifest)
    service = _service(kube, clock)
    service.reconcile()
    assert not [line for line in service.plan()[f"{NS}/{NAME}"] if "backup" in line]

    created = datetime.fromtimestamp(clock(), UTC)
    slot = (created + timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)
    clock.advance((slot - created).total_seconds() + 3600)  # an hour after the next 03:00

    due = f"scheduled backup for {slot:%Y-%m-%d} 03:00 UTC"
    assert f"+ {due} to s3" in service.plan()[f"{NS}/{NAME}"]
    edited = copy.deepcopy(kube.get_cluster(NS, NAME))
    edited["spec"]["version"] = "1.28.0"
    kube.apply_cluster({k: edited[k] for k in ("apiVersion", "kind", "metadata", "spec")})
    service.reconcile()  # the upgrade starts first; the scheduler stays idle behind it
    lines = service.plan()[f"{NS}/{NAME}"]
    assert f"* {due}: waits for the Upgrade in flight" in lines


def test_plan_shows_the_pod_template_rollout_a_spec_change_starts(
    state: Path, tmp_path: Path, capsys
) -> None:
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0"))
    run(capsys, "reconcile")
    env = [{"name": "LOG_LEVEL", "value": "debug"}]
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0", env=env))

    (line,) = [line for line in _plan(capsys, state) if "pod-template" in line]

    assert re.fullmatch(
        r"\+ pod-template rollout \w+ \(SpecChanged: env LOG_LEVEL added\): pods restart one at "
        r"a time, top ordinal first",
        line,
    ), line
    run(capsys, "reconcile")  # the pass does what plan said
    assert "PodTemplateRollout RollingOut" in run(capsys, "status")


def test_plan_shows_a_pod_template_change_waiting_for_the_upgrade(
    state: Path, tmp_path: Path, capsys
) -> None:
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.27.0"))
    run(capsys, "reconcile")
    env = [{"name": "LOG_LEVEL", "value": "debug"}]
    run(capsys, "apply", "-f", _manifest(tmp_path, version="1.28.0", env=env))

    lines = _plan(capsys, state)
    assert "+ upgrade 1.27.0 -> 1.28.0: backup to s3 first, then 3 pods one at a time" in lines
    assert "* pod template change (env LOG_LEVEL added) waits for the Upgrade this pass starts" in (
        lines
    )
    run(capsys, "reconcile")
    lines = _plan(capsys, state)
    assert "* pod template change (env LOG_LEVEL added) waits for the Upgrade in flight" in lines
