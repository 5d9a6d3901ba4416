"""The cluster commands end to end on a local cluster file: apply, reconcile, plan, status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from weavefn.cli.main import main

from tests.functional.conftest import ROOT

PRODUCTION = str(ROOT / "examples" / "production-aws.yaml")


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    setting = f"local:{tmp_path / 'cluster.json'}"
    monkeypatch.setenv("WEAVEFN_CLUSTER", setting)
    return setting


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own usage errors
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_apply_reconcile_status_shows_a_running_cluster(target: str, capsys) -> None:
    assert run(capsys, "apply", "-f", PRODUCTION)[0] == 0
    code, out, _ = run(capsys, "reconcile")
    assert code == 0 and "weaviate/production: Running" in out

    code, out, _ = run(capsys, "reconcile")
    assert code == 0 and "no change" in out

    code, out, _ = run(capsys, "status")
    header, row = out.splitlines()[:2]
    assert header.split()[:4] == ["NAME", "VERSION", "READY", "PHASE"]
    assert row.split()[:4] == ["weaviate/production", "1.27.0", "3/3", "Running"]


def test_plan_shows_changes_without_writing(target: str, capsys) -> None:
    run(capsys, "apply", "-f", PRODUCTION)

    code, out, _ = run(capsys, "plan", "production")

    assert code == 0
    assert "+ create StatefulSet weaviate/production" in out
    code, out, _ = run(capsys, "status", "-o", "json")
    (item,) = json.loads(out)["items"]
    assert "phase" not in item.get("status", {}), "plan must not have written anything"


def test_status_json_prints_the_custom_resources(target: str, capsys) -> None:
    run(capsys, "apply", "-f", PRODUCTION)
    run(capsys, "reconcile")

    code, out, _ = run(capsys, "status", "-n", "weaviate", "production", "-o", "json")

    assert code == 0
    (item,) = json.loads(out)["items"]
    assert item["kind"] == "WeaviateCluster" and item["status"]["readyReplicas"] == 3


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        pytest.param(
            ["status", "nope"], 1, "no WeaviateCluster named 'nope'", id="unknown-cluster"
        ),
        pytest.param(["apply", "-f", "/no/such/file.yaml"], 2, "cannot read file", id="no-file"),
        pytest.param(["reconcile", "--cluster", "nowhere:x"], 2, "nowhere:x", id="bad-setting"),
        pytest.param(["status", "-o", "xml"], 2, "invalid choice", id="bad-output"),
    ],
)
def test_errors_exit_with_a_message_and_no_traceback(target, capsys, argv, code, message) -> None:
    run(capsys, "apply", "-f", PRODUCTION)
    result, _, err = run(capsys, *argv)

    assert result == code
    assert message in err and "Traceback" not in err
