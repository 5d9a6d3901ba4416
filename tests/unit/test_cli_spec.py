"""The manifest commands: validate, render and crd, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from weavefn.cli.main import main
from weavefn.crd import build_crd

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = str(ROOT / "examples" / "production-aws.yaml")
AZURE = str(ROOT / "examples" / "azure.yaml")


def test_validate_reports_a_valid_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-f", PRODUCTION]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{PRODUCTION}: WeaviateCluster weaviate/production is valid\n"
    assert "is valid" not in captured.err  # warnings only


def test_render_prints_every_object_as_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "-f", PRODUCTION]) == 0
    objects = list(yaml.safe_load_all(capsys.readouterr().out))
    assert objects[0]["kind"] == "ServiceAccount"
    statefulset = objects[-1]
    assert statefulset["kind"] == "StatefulSet"
    env = {
        e["name"]: e.get("value")
        for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["RAFT_JOIN"] == "production-0,production-1,production-2"


def test_render_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "-f", PRODUCTION, "-o", "json"]) == 0
    objects = json.loads(capsys.readouterr().out)
    assert objects[-1]["kind"] == "StatefulSet"


def test_crd_prints_the_generated_definition(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == build_crd()


BAD_FILES = [
    pytest.param("spec: [unclosed\n", "at line 2, column 1", id="invalid-yaml"),
    pytest.param(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n",
        "apiVersion: must be weaviate.io/v1",
        id="wrong-api-version",
    ),
    pytest.param(
        "apiVersion: weaviate.io/v1\nkind: Cluster\nmetadata: {name: x}\nspec: {}\n",
        "kind: must be WeaviateCluster",
        id="wrong-kind",
    ),
    pytest.param("- just\n- a list\n", "(root): expected a mapping", id="not-a-mapping"),
    pytest.param(
        "apiVersion: weaviate.io/v1\nkind: WeaviateCluster\nmetadata: {name: x}\n"
        "spec: {version: 1.27.0, replicas: 0, storage: {size: 1Gi}}\n",
        "spec.replicas: ",
        id="invalid-field",
    ),
]


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_manifests_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, content: str, message: str
) -> None:
    manifest = tmp_path / "cluster.yaml"
    manifest.write_text(content)
    assert main([command, "-f", str(manifest)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["render", "-f", str(missing)]) == 2
    assert f"{missing}: cannot read file" in capsys.readouterr().err


def test_unknown_output_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["render", "-f", PRODUCTION, "-o", "xml"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_renders_and_fails_cleanly(tmp_path: Path) -> None:
    script = shutil.which("weavefn", path=str(Path(sys.executable).parent)) or ""
    assert script, "the weavefn console script is not installed next to this interpreter"
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    ok = subprocess.run(
        [script, "render", "-f", PRODUCTION],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "kind: StatefulSet" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: weaviate.io/v1\nkind: WeaviateCluster\nmetadata: {name: x}\nspec: {}\n"
    )
    failed = subprocess.run(
        [script, "validate", "-f", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 2
    assert "spec.version: " in failed.stderr
    assert "Traceback" not in failed.stderr


def test_validate_warns_about_an_azure_backup_that_cannot_authenticate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = yaml.safe_load(Path(AZURE).read_text())
    del manifest["spec"]["cloudProvider"]["azure"]["backup"]["accountKey"]
    path = tmp_path / "azure.yaml"
    path.write_text(yaml.safe_dump(manifest))

    assert main(["validate", "-f", str(path)]) == 0

    captured = capsys.readouterr()
    assert "is valid" in captured.out
    assert "warning: spec.cloudProvider.azure.backup: no credential" in captured.err
