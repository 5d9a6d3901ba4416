"""spec.replicas without autoscaling is the desired count; with it, the starting count."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.autoscale.spec_replicas import ReplicaSource, desired_replicas
from weavefn.cli.main import main
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.weaviate.connector import LocalWeaviateConnector
from weavefn.model.resource import parse_cluster
from weavefn.service import Service

from tests.functional.conftest import ROOT, example

NS, NAME = "weaviate", "production"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)


def manual(replicas: int, *, version: str = "1.27.0") -> dict[str, Any]:
    manifest = example("production-aws.yaml")
    manifest["spec"]["replicas"] = replicas
    manifest["spec"]["version"] = version
    manifest["spec"]["autoScaling"] = {"enabled": False}
    manifest["spec"]["replication"] = {"factor": 2, "replicaMovement": True}
    return manifest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_apply_of_more_replicas_then_reconcile_scales_out_without_autoscaling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reproduction, through the CLI on the local cluster.
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{tmp_path / 'cluster.json'}")
    three, five = tmp_path / "three.yaml", tmp_path / "five.yaml"
    three.write_text(yaml.safe_dump(manual(3)))
    five.write_text(yaml.safe_dump(manual(5)))
    assert run(capsys, "apply", "-f", str(three))[0] == 0
    assert run(capsys, "reconcile")[0] == 0
    assert run(capsys, "apply", "-f", str(five))[0] == 0

    code, out = run(capsys, "plan", "production")
    assert code == 0
    assert "replicas: 5 (spec)" in out
    assert "~ scale StatefulSet weaviate/production: 3 -> 5 (spec.replicas)" in out

    code, out = run(capsys, "reconcile")
    assert code == 0, out
    assert "ScaledUp: scaled 3 -> 5: spec.replicas is 5" in out
    run(capsys, "reconcile")  # the new pods are Ready: status catches up
    code, out = run(capsys, "status")
    row = out.splitlines()[1]
    assert row.split()[:6] == ["weaviate/production", "1.27.0", "5/5", "Running", "5", "(spec)"]

    _, out = run(capsys, "reconcile")
    assert "no change" in out, "the count holds once reached"


def _service(kube: LocalKube, clock: ManualClock) -> Service:
    from datetime import UTC, datetime

    return Service(
        kube,
        clock=lambda: datetime.fromtimestamp(clock(), UTC),
        weaviate=LocalWeaviateConnector(kube),
        pause=clock.advance,
    )


def _shrink(kube: LocalKube, replicas: int) -> None:
    edited = copy.deepcopy(kube.get_cluster(NS, NAME))
    edited["spec"]["replicas"] = replicas
    kube.apply_cluster({k: edited[k] for k in ("apiVersion", "kind", "metadata", "spec")})


def _condition(kube: LocalKube, kind: str) -> dict[str, Any]:
    conditions = kube.get_cluster(NS, NAME)["status"]["conditions"]
    return next(c for c in conditions if c["type"] == kind)


def test_fewer_replicas_drain_the_departing_nodes_before_the_statefulset_shrinks(
    kube: LocalKube, clock: ManualClock
) -> None:
    kube.apply_cluster(manual(5, version="1.32.5"))
    service = _service(kube, clock)
    service.reconcile()
    _shrink(kube, 3)

    seen_drain = False
    for _ in range(20):
        service.reconcile()
        status = kube.get_cluster(NS, NAME)["status"]
        operation = status.get("operation") or {}
        seen_drain |= operation.get("kind") == "ScaleInDrain"
        if kube.get(STS)["spec"]["replicas"] == 3:  # type: ignore[index]
            break
        clock.advance(10)
    assert seen_drain, "the scale-in went through the drain"
    assert kube.get(STS)["spec"]["replicas"] == 3  # type: ignore[index]
    assert status["lastOperation"]["kind"] == "ScaleInDrain"
    assert status["lastOperation"]["phase"] == "Succeeded"
    with LocalWeaviateConnector(kube).edit(f"{NS}/{NAME}") as sim:
        assert sim.lost_replicas() == [], "no node left holding a shard replica"


def test_fewer_replicas_are_refused_with_a_condition_when_weaviate_cannot_move_data(
    kube: LocalKube, clock: ManualClock
) -> None:
    kube.apply_cluster(manual(5, version="1.27.0"))  # before replica movement (1.32)
    service = _service(kube, clock)
    service.reconcile()
    _shrink(kube, 3)

    service.reconcile()
    clock.advance(60)
    service.reconcile()

    blocked = _condition(kube, "ScaleInBlocked")
    assert blocked["status"] == "True" and blocked["reason"] == "ReplicaMovementUnsupported"
    assert "5 -> 3 refused" in blocked["message"]
    assert kube.get(STS)["spec"]["replicas"] == 5  # type: ignore[index]
    refusals = [e for e in kube.list_events(NS) if e["reason"] == "ScaleInBlocked"]
    assert len(refusals) == 1, "one Event, not one a pass"

    _shrink(kube, 5)  # the user takes the request back
    service.reconcile()
    assert _condition(kube, "ScaleInBlocked")["status"] == "False"


def test_autoscaling_starts_from_spec_replicas_and_status_says_who_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{tmp_path / 'cluster.json'}")
    production = str(ROOT / "examples" / "production-aws.yaml")
    run(capsys, "apply", "-f", production)
    _, out = run(capsys, "plan", "production")
    assert "replicas: 3 (autoscaling, spec 3 is the start)" in out
    run(capsys, "reconcile")
    _, out = run(capsys, "status")
    assert "3 (autoscaling, spec 3 is the start)" in out.splitlines()[1]


@pytest.mark.parametrize(
    ("scaling", "replicas", "source", "text"),
    [
        pytest.param(None, 4, ReplicaSource.SPEC, "4 (spec)", id="no-autoscaling"),
        pytest.param({"enabled": False}, 4, ReplicaSource.SPEC, "4 (spec)", id="disabled"),
        pytest.param(
            {"enabled": True, "minReplicas": 3, "maxReplicas": 6, "targetCPU": 70},
            5,
            ReplicaSource.AUTOSCALING,
            "5 (autoscaling, spec 5 is the start)",
            id="within-bounds",
        ),
    ],
)
def test_who_decides_the_replica_count(
    scaling: dict[str, Any] | None, replicas: int, source: ReplicaSource, text: str
) -> None:
    manifest = manual(replicas)
    manifest["spec"].pop("autoScaling")
    if scaling is not None:
        manifest["spec"]["autoScaling"] = scaling
    desired = desired_replicas(parse_cluster(manifest).spec)
    assert (desired.source, desired.spec) == (source, replicas)
    assert desired.describe(None) == text
