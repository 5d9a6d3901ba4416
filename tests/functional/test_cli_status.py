"""``weavefn status`` says what happened: the last scale, backups in flight, and every blocking
condition with its reason, whatever its type; a cluster with an invalid spec still gets a row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.cli.main import main
from weavefn.local.kube import open_local

from tests.functional.conftest import ROOT

PRODUCTION = ROOT / "examples" / "production-aws.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cluster.json"
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{path}")
    return path


def _apply(capsys, tmp_path: Path, manifest: dict[str, Any]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(manifest))
    assert run(capsys, "apply", "-f", str(path))[0] == 0
    assert run(capsys, "reconcile")[0] == 0


def _lines(out: str) -> tuple[list[str], list[str]]:
    """The header's columns and the lines after it."""
    header, *rest = out.splitlines()
    return header.split("  "), rest


def test_the_last_scale_and_a_backup_in_flight(state: Path, capsys) -> None:
    assert run(capsys, "apply", "-f", str(PRODUCTION))[0] == 0
    assert run(capsys, "reconcile")[0] == 0
    assert run(capsys, "invoke", str(ROOT / "events/aws/cloudwatch-alarm-sns.json"))[0] == 0
    code, out, _ = run(capsys, "backup", "production")
    backup_id = out.split()[1]

    code, out, _ = run(capsys, "status")

    assert code == 0
    _, lines = _lines(out)
    assert "LAST SCALE" in out and "3 -> 5, " in lines[0] and " ago" in lines[0]
    assert any(
        line.startswith(f"  backup {backup_id} ") and "(on-demand, s3, started " in line
        for line in lines[1:]
    ), out


def test_blocking_conditions_are_listed_with_their_reason(
    state: Path, tmp_path: Path, capsys
) -> None:
    manifest = yaml.safe_load(PRODUCTION.read_text())
    manifest["spec"]["autoScaling"]["enabled"] = False
    manifest["spec"]["replicas"] = 5
    _apply(capsys, tmp_path, manifest)
    with open_local(state) as kube:  # as kubectl would, past weavefn's own apply checks
        live = kube.get_cluster("weaviate", "production")
        kube.patch_cluster_spec(
            "weaviate",
            "production",
            {"replicas": 4, "version": "1.26.5"},
            resource_version=live["metadata"]["resourceVersion"],
        )
    assert run(capsys, "reconcile")[0] == 0
    code, out, _ = run(capsys, "reconcile")  # a later pass, which starts nothing new
    assert code == 0
    assert "  blocked: UpgradeSucceeded=False VersionRefused: upgrade refused: " in out, out
    assert "  blocked: ScaleInBlocked=True ReplicaMovementUnsupported: " in out, out

    code, out, _ = run(capsys, "status")

    assert code == 0
    _, lines = _lines(out)
    row, details = lines[0], lines[1:]
    assert "ScaleInBlocked=True" in row and "UpgradeSucceeded=False" in row
    assert "NotReady" not in row
    assert any(
        d.startswith("  ScaleInBlocked=True ReplicaMovementUnsupported: scale-in 5 -> 4 refused")
        for d in details
    ), out
    assert any(
        d.startswith("  UpgradeSucceeded=False VersionRefused: upgrade refused: spec.version: ")
        and "downgrade 1.27.0 -> 1.26.5 crosses minor versions" in d
        for d in details
    ), out


def test_any_condition_and_operation_a_newer_weavefn_writes_shows(state: Path, capsys) -> None:
    assert run(capsys, "apply", "-f", str(PRODUCTION))[0] == 0
    assert run(capsys, "reconcile")[0] == 0
    with open_local(state) as kube:
        live = kube.get_cluster("weaviate", "production")
        status = live["status"]
        status["conditions"].append(
            {
                "type": "ClusterAuthReady",
                "status": "False",
                "reason": "SecretMissing",
                "message": "the cluster API has no credentials yet",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        )
        status["operation"] = {
            "kind": "Restore",
            "phase": "Restoring",
            "startedAt": "2026-01-01T00:00:00Z",
            "phaseStartedAt": "2026-01-01T00:00:00Z",
            "message": "restoring weavefn-on-demand-1 from s3",
            "details": {"backupId": "weavefn-on-demand-1"},
        }
        kube.replace_cluster_status(live)

    code, out, _ = run(capsys, "status")

    assert code == 0
    _, lines = _lines(out)
    assert lines[0].endswith(
        "Ready,ClusterAuthReady=False  Restore Restoring: restoring weavefn-on-demand-1 from s3"
    )
    assert "  ClusterAuthReady=False SecretMissing: the cluster API has no credentials yet" in lines


def test_a_cluster_with_an_invalid_spec_still_gets_its_row(
    state: Path, tmp_path: Path, capsys
) -> None:
    assert run(capsys, "apply", "-f", str(PRODUCTION))[0] == 0
    with open_local(state) as kube:  # stored as an API server without the webhook would
        broken = yaml.safe_load(PRODUCTION.read_text())
        broken["metadata"]["name"] = "broken"
        broken["spec"]["replicas"] = "many"
        kube.apply_cluster(broken)
    assert run(capsys, "reconcile")[0] == 1  # the broken one failed its pass

    code, out, _ = run(capsys, "status")

    assert code == 0
    _, lines = _lines(out)
    broken_row = next(line for line in lines if line.startswith("weaviate/broken"))
    assert "Invalid" in broken_row and "? (invalid spec)" in broken_row
    assert any(line.startswith("  InvalidSpec=True InvalidSpec: spec.replicas: ") for line in lines)
    assert any(line.startswith("weaviate/production") for line in lines)
