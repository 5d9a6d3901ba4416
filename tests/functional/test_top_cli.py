"""``weavefn top`` and ``status NAME --watch``: the decision metrics on a terminal, on the local
cluster, refreshed until Ctrl-C (which exits 0)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from weavefn.cli.main import main
from weavefn.runtime import open_runtime_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def target(tmp_path: Path) -> str:
    setting = f"local:{tmp_path / 'cluster.json'}"
    assert (
        main(["apply", "-f", str(ROOT / "examples/production-aws.yaml"), "--cluster", setting]) == 0
    )
    assert main(["reconcile", "--cluster", setting]) == 0
    return setting


def test_top_shows_replicas_targets_and_the_decision(
    target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["top", "--cluster", target, "--iterations", "2", "--interval", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("weavefn top") == 2, "two refreshes"
    row = next(line for line in out.splitlines() if line.startswith("weaviate/production"))
    assert row.split()[1:5] == ["Running", "3/3", "3", "NoChange"]
    assert "(PartialData)" in row
    assert "cpu      30% / 70%  [kubernetes]" in out
    assert "qps      - (NoData)  [cloudwatch]" in out


def test_status_watch_follows_one_cluster_and_its_operation(
    target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_runtime_for(target) as runtime:
        raw = runtime.kube.get_cluster("weaviate", "production")
        runtime.kube.patch_cluster_spec(
            "weaviate",
            "production",
            {"version": "1.27.3"},
            resource_version=raw["metadata"]["resourceVersion"],
        )
        runtime.service.reconcile()
    capsys.readouterr()
    assert main(["status", "production", "--watch", "--cluster", target, "--iterations", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 cluster(s)" in out
    assert "Upgrade BackingUp (" in out and "in phase)" in out


def test_ctrl_c_ends_the_refresh_cleanly(
    target: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupted)
    assert main(["top", "--cluster", target]) == 0
    captured = capsys.readouterr()
    assert "weaviate/production" in captured.out and captured.err == ""
