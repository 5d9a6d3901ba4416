"""``weavefn apply`` holds a change to the admission webhook's rules against the live object:
a refused change exits 2 naming the rule, and nothing is written."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.cli.main import main
from weavefn.lifecycle.admission import check_change
from weavefn.local.kube import open_local

from tests.functional.conftest import ROOT

Manifest = dict[str, Any]
PRODUCTION: Manifest = yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text())
AZURE: Manifest = yaml.safe_load((ROOT / "examples" / "azure.yaml").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _write(tmp_path: Path, manifest: Manifest, name: str = "cluster.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(manifest))
    return str(path)


def _version(value: str) -> Callable[[Manifest], None]:
    def edit(m: Manifest) -> None:
        m["spec"]["version"] = value

    return edit


def _storage_size(m: Manifest) -> None:
    m["spec"]["storage"]["size"] = "50Gi"


def _storage_class(m: Manifest) -> None:
    m["spec"]["storage"]["storageClassName"] = "slow-hdd"


def _voters(m: Manifest) -> None:
    m["spec"]["voters"] = 1


def _azure_upgrade_without_credentials(m: Manifest) -> None:
    del m["spec"]["cloudProvider"]["azure"]["backup"]["accountKey"]
    m["spec"]["version"] = "1.34.0"


REFUSED = [
    pytest.param(PRODUCTION, _version("1.26.5"), "spec.version: downgrade 1.27.0 -> 1.26.5 "
                 "crosses minor versions: restore a backup instead", id="cross-minor-downgrade"),
    pytest.param(PRODUCTION, _version("1.29.2"), "spec.version: 1.27.0 -> 1.29.2 skips minor "
                 "versions", id="skipped-minor"),
    pytest.param(PRODUCTION, _storage_size, "spec.storage.size: cannot shrink: volumes can only "
                 "grow", id="storage-shrink"),
    pytest.param(PRODUCTION, _storage_class, "spec.storage.storageClassName: cannot change after "
                 "creation", id="storage-class"),
    pytest.param(PRODUCTION, _voters, "spec.voters: cannot change after creation: the Raft voter "
                 "set is fixed (3 in effect)", id="voters"),
    pytest.param(AZURE, _azure_upgrade_without_credentials, "spec.cloudProvider.azure.backup: "
                 "moving spec.version to 1.34.0 starts an upgrade with a backup, which cannot be "
                 "written", id="upgrade-backup"),
]  # fmt: skip


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cluster.json"
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{path}")
    return path


@pytest.mark.parametrize(("base", "edit", "rule"), REFUSED)
def test_a_refused_change_exits_2_naming_the_rule_and_writes_nothing(
    state: Path,
    capsys: pytest.CaptureFixture[str],
    base: Manifest,
    edit: Callable[[Manifest], None],
    rule: str,
) -> None:
    tmp_path = state.parent
    assert run(capsys, "apply", "-f", _write(tmp_path, base))[0] == 0
    assert run(capsys, "reconcile")[0] == 0
    saved = state.read_bytes()
    changed = copy.deepcopy(base)
    edit(changed)
    path = _write(tmp_path, changed, "changed.yaml")

    code, out, err = run(capsys, "apply", "-f", path)

    assert code == 2 and out == ""
    assert f"{path}: {rule}" in err
    assert "nothing was applied (the admission webhook refuses the same change)" in err
    assert state.read_bytes() == saved
    with open_local(state) as kube:  # the webhook, asked about the same change, agrees
        meta = base["metadata"]
        live = kube.get_cluster(meta.get("namespace", "default"), meta["name"])
        verdict = check_change(changed, old=live)
    assert not verdict.allowed and any(rule in str(e) for e in verdict.errors)


def test_an_allowed_change_is_applied_with_the_webhooks_warnings(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path = state.parent
    assert run(capsys, "apply", "-f", _write(tmp_path, PRODUCTION))[0] == 0
    changed = copy.deepcopy(PRODUCTION)
    changed["spec"]["version"] = "1.28.1"

    code, out, err = run(capsys, "apply", "-f", _write(tmp_path, changed, "changed.yaml"))

    assert code == 0
    assert out == "weaviatecluster weaviate/production configured (generation 2)\n"
    assert "Warning: " in err and "spec.replication.factor is below 2" in err
