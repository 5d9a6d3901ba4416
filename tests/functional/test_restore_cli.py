"""``weavefn restore`` on a local cluster file, as a user runs it: back up, lose, restore, refuse."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from weavefn.local.kube import ManualClock, open_local
from weavefn.local.weaviate.connector import edit_sim

from tests.functional.conftest import EPOCH, ROOT
from tests.functional.test_cli_cluster import run

PRODUCTION = str(ROOT / "examples" / "production-aws.yaml")
KEY = "weaviate/production"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """The local cluster's time and the functions' time, moved by the test."""
    manual = ManualClock(EPOCH)
    monkeypatch.setattr("weavefn.local.kube.persist.wall_clock", manual)
    monkeypatch.setattr("weavefn.runtime.utcnow", lambda: datetime.fromtimestamp(manual(), UTC))
    return manual


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> Path:
    target = tmp_path / "cluster.json"
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{target}")
    return target


def backed_up(capsys: pytest.CaptureFixture[str], clock: ManualClock) -> str:
    assert run(capsys, "apply", "-f", PRODUCTION)[0] == 0
    assert run(capsys, "reconcile")[0] == 0
    code, out, _ = run(capsys, "backup", "production")
    assert code == 0, out
    match = re.search(r"backup (weavefn-on-demand-v1-27-0-\S+)", out)
    assert match, out
    clock.advance(30)
    run(capsys, "reconcile")
    return match[1]


def drop(path: Path, collection: str) -> None:
    with open_local(path) as kube, edit_sim(kube, KEY) as sim:
        sim.drop_collection(collection)


def collections(path: Path) -> dict[str, int]:
    with open_local(path) as kube, edit_sim(kube, KEY) as sim:
        return {c.name: sum(s.objects for s in c.shards) for c in sim.state.collections}


def test_restore_brings_a_dropped_collection_back(
    path: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = backed_up(capsys, clock)
    before = collections(path)
    drop(path, "Collection2")

    code, out, err = run(
        capsys, "restore", "production", "--backup", backup, "--include", "Collection2"
    )
    assert code == 0, err
    assert "recorded" in out and "Restore Restoring: restoring backup" in out
    code, out, _ = run(capsys, "status", "production")
    assert "Restoring" in out and "Restore Restoring" in out

    clock.advance(30)
    code, out, _ = run(capsys, "reconcile", "production")

    assert code == 0 and "RestoreSucceeded: restored Collection2 from backup" in out
    assert collections(path) == before, "every collection back, with its objects"


def test_a_refused_restore_names_the_option_and_changes_nothing(
    path: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = backed_up(capsys, clock)
    _, before, _ = run(capsys, "status", "-o", "json")

    cases = [
        (["--backup", backup], "--backup: collections already in the cluster: Collection1"),
        (["--backup", backup, "--include", "Nope"], "--include: backup"),
        (["--backup", "nightly"], "--version: the Weaviate version backup nightly"),
        (["--backup", backup, "--backend", "gcs"], "--backend: gcs is not the backup backend"),
        (["--backup", backup, "--node-mapping", "old-0"], "--node-mapping: 'old-0' is not"),
        (["--backup", backup, "--include", "A", "--exclude", "B"], "not allowed with argument"),
        (["--backup", backup, "--version", "0"], "--version: '0' is not a Weaviate version"),
        (["--backup", "BAD ID"], "--backup: 'BAD ID' is not a backup id"),
        (["--backup", backup, "--include", "articles"], "--include: 'articles': not a Weaviate"),
    ]
    for argv, message in cases:
        code, _, err = run(capsys, "restore", "production", *argv)
        assert (code, message in err) == (2, True), (argv, err)

    _, after, _ = run(capsys, "status", "-o", "json")
    assert json.loads(after) == json.loads(before), "nothing changed"


def test_validate_refuses_a_restore_from_newer_than_the_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = yaml.safe_load(Path(PRODUCTION).read_text())
    manifest["spec"]["restoreFrom"] = {
        "backend": "s3",
        "id": "weavefn-scheduled-v1-28-2-20261118t030000z",
    }
    target = tmp_path / "from-backup.yaml"
    target.write_text(yaml.safe_dump(manifest))

    code, _, err = run(capsys, "validate", "-f", str(target))

    assert code == 2
    assert "spec.restoreFrom.version: backup weavefn-scheduled-v1-28-2" in err
    assert "newer than the cluster's 1.27.0" in err
