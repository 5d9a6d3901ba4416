"""The local cluster's state file as a user meets it: commands that look never write, and a
corrupted file is refused with its path, what is wrong, and how to start over."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from weavefn.cli.main import main

from tests.functional.conftest import ROOT
from tests.support.local_state import saved_state

PRODUCTION = str(ROOT / "examples" / "production-aws.yaml")
READ_ONLY = [["status"], ["plan"], ["top", "--iterations", "1"], ["status", "--watch",
             "--iterations", "1", "production"]]  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _tree(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WEAVEFN_CLUSTER", raising=False)
    return tmp_path


@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_looking_where_there_is_no_cluster_creates_nothing(workdir: Path, capsys, argv) -> None:
    code, _, err = run(capsys, *argv)

    assert code == 1
    assert "no local cluster at .weavefn/cluster.json" in err and "weavefn apply -f" in err
    assert list(workdir.iterdir()) == [], "a command that only looks created files"


def test_a_local_path_that_does_not_exist_is_named_and_left_alone(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nonexistent-dir" / "x.json"

    code, _, err = run(capsys, "status", "--cluster", f"local:{missing}")

    assert code == 1
    assert f"no local cluster at {missing}" in err
    assert not missing.parent.exists()


@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_looking_at_a_cluster_changes_no_file(workdir: Path, capsys, argv) -> None:
    assert run(capsys, "apply", "-f", PRODUCTION)[0] == 0
    assert run(capsys, "reconcile")[0] == 0
    before = _tree(workdir)

    code, out, _ = run(capsys, *argv)

    assert code == 0 and "weaviate/production" in out
    assert _tree(workdir) == before


@pytest.mark.parametrize(
    "argv",
    [["apply", "-f", PRODUCTION], ["reconcile"], ["invoke", str(ROOT / "events/aws/schedule-eventbridge.json")]],
    ids=lambda argv: argv[0],
)  # fmt: skip
def test_commands_that_change_things_create_the_cluster(workdir: Path, capsys, argv) -> None:
    code, _, err = run(capsys, *argv)

    assert code == 0, err
    assert json.loads((workdir / ".weavefn" / "cluster.json").read_text())["format"] == 1


def _state(edit: str) -> bytes:
    state = saved_state()
    if edit == "wrong-types":
        sts = next(o for o in state["store"]["objects"] if o["kind"] == "StatefulSet")
        sts["spec"]["replicas"] = "three"
    elif edit == "missing-keys":
        del state["simulation"]
    elif edit == "bad-nested-simulation":
        state["extras"]["weaviate"]["weaviate/production"]["collections"][0]["shards"] = {}
    elif edit == "cluster-without-namespace":  # found by the long fuzz run: plan raised KeyError
        cluster = next(o for o in state["store"]["objects"] if o["kind"] == "WeaviateCluster")
        del cluster["metadata"]["namespace"]
    return json.dumps(state).encode()


CORRUPTED = [
    pytest.param(bytes(range(256)) * 4, ".weavefn/cluster.json: not JSON", id="random-bytes"),
    pytest.param(_state("wrong-types"), "spec.replicas: Input should be a valid integer",
                 id="wrong-types"),
    pytest.param(_state("missing-keys"), "cluster.json: simulation: Field required",
                 id="missing-keys"),
    pytest.param(_state("bad-nested-simulation"),
                 "extras.weaviate['weaviate/production'].collections[0].shards: ",
                 id="bad-nested-simulation"),
    pytest.param(_state("cluster-without-namespace"), "a WeaviateCluster is namespaced: "
                 "metadata.namespace is missing", id="cluster-without-namespace"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "problem"), CORRUPTED)
@pytest.mark.parametrize("command", ["status", "plan", "reconcile", "apply"])
def test_a_corrupted_state_file_exits_2_saying_what_and_how_to_start_over(
    workdir: Path, capsys, content: bytes, problem: str, command: str
) -> None:
    (workdir / ".weavefn").mkdir()
    (workdir / ".weavefn" / "cluster.json").write_bytes(content)
    argv = [command] + (["-f", PRODUCTION] if command == "apply" else [])

    code, _, err = run(capsys, *argv)

    assert code == 2
    assert problem in err
    assert (
        "to start over, move .weavefn/cluster.json away or delete it; `weavefn apply -f FILE` "
        "creates a new local cluster there"
    ) in err
    assert (workdir / ".weavefn" / "cluster.json").read_bytes() == content


def test_the_console_script_shows_no_traceback_for_random_bytes(workdir: Path) -> None:
    script = shutil.which("weavefn", path=str(Path(sys.executable).parent)) or ""
    (workdir / ".weavefn").mkdir()
    (workdir / ".weavefn" / "cluster.json").write_bytes(os.urandom(64) + b"\xff")

    done = subprocess.run(
        [script, "status"], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert ".weavefn/cluster.json: not JSON" in done.stderr
