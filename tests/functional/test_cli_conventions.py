"""The command line behaves as kubectl and the best Python CLIs do: standard input, --version,
-v anywhere, confirmations on standard output, positionals in the help, named paths, and
manifests read document by document with their errors in context."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from weavefn.cli.main import main

from tests.functional.conftest import ROOT

PRODUCTION = ROOT / "examples" / "production-aws.yaml"
MINIMAL = ROOT / "examples" / "minimal.yaml"
SCRIPT = shutil.which("weavefn", path=str(Path(sys.executable).parent)) or "weavefn"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cluster.json"
    monkeypatch.setenv("WEAVEFN_CLUSTER", f"local:{path}")
    return path


@pytest.fixture(autouse=True)
def _fresh_root_logger() -> Iterator[None]:
    """main() adds its handler to the root logger; each test starts without one."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# -- standard input, --version, -v, standard output --------------------------------------------


def test_dash_f_dash_reads_standard_input(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PRODUCTION.read_text()))

    code, out, err = run(capsys, "validate", "-f", "-")

    assert code == 0, err
    assert out == "<stdin>: WeaviateCluster weaviate/production is valid\n"


def test_apply_reads_standard_input_too(state: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(MINIMAL.read_text()))

    code, out, _ = run(capsys, "apply", "-f", "-")

    assert code == 0 and out == "weaviatecluster default/minimal created (generation 1)\n"


def test_version(capsys) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.startswith("weavefn 0.1.0 (Python 3.")


@pytest.mark.parametrize(
    "argv", [["-v", "validate", "-f", str(PRODUCTION)], ["validate", "-f", str(PRODUCTION), "-v"]]
)
def test_verbose_before_or_after_the_command(capsys, argv: list[str]) -> None:
    from weavefn.cli.main import build_parser

    assert build_parser(argv).parse_args(argv).verbose is True
    assert (
        build_parser(argv[1:] if argv[0] == "-v" else argv[:-1])
        .parse_args(argv[1:] if argv[0] == "-v" else argv[:-1])
        .verbose
        is False
    )
    assert run(capsys, *argv)[0] == 0


def test_the_help_shows_each_commands_positionals() -> None:
    done = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert any(line.split()[:4] == ["upgrade", "NAME", "--to", "VERSION"] for line in lines)
    assert any(line.split()[:2] == ["backup", "NAME"] for line in lines)
    assert any(line.split()[:2] == ["invoke", "EVENT.json"] for line in lines)
    assert any(line.split()[:4] == ["status", "[-n", "NS]", "[NAME]"] for line in lines)
    for command in ("upgrade", "backup"):
        usage = subprocess.run(
            [SCRIPT, command, "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert usage.startswith(f"usage: weavefn {command} ")
        assert " NAME" in usage.split("\n\n")[0] and "[NAME]" not in usage


def test_upgrade_without_a_name_is_a_usage_error(capsys) -> None:
    code, _, err = run(capsys, "upgrade", "--to", "1.27.3")
    assert code == 2 and "the following arguments are required: NAME" in err


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        pytest.param("kubeconfig:/missing", "'kubeconfig:/missing': no kubeconfig file at /missing",
                     id="missing-file"),
        pytest.param("kubeconfig:{config}#nope", "context 'nope' is not in {config} (its "
                     "contexts: dev)", id="missing-context"),
    ],
)  # fmt: skip
def test_a_kubeconfig_that_cannot_be_used_is_named(
    tmp_path: Path, capsys, setting: str, message: str
) -> None:
    config = tmp_path / "config"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "dev", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "dev",
            }
        )
    )

    code, _, err = run(capsys, "status", "--cluster", setting.format(config=config))

    assert code == 2
    assert message.format(config=config) in err


def test_an_api_server_that_cannot_be_reached_is_named_with_its_kubeconfig(
    tmp_path: Path, capsys
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "u", "user": {"token": "secret-token-value"}}],
                "contexts": [{"name": "dev", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "dev",
            }
        )
    )

    code, out, err = run(capsys, "status", "--cluster", f"kubeconfig:{config}#dev")

    assert code == 1 and out == ""
    (line,) = err.splitlines()  # one line: no retry warnings without -v
    assert line.startswith(
        "weavefn: API server unreachable (WeaviateCluster list): NewConnectionError: [Errno "
    )
    assert line.endswith(
        f"Connection refused [API server http://127.0.0.1:{port} from kubeconfig {config}, "
        "context dev]"
    )
    assert "secret-token-value" not in err


# -- invoke and reconcile say what happened ----------------------------------------------------


def _cpu_cluster(tmp_path: Path) -> Path:
    manifest = yaml.safe_load(PRODUCTION.read_text())
    for target in ("targetMemory", "targetQPS", "targetLatency"):
        del manifest["spec"]["autoScaling"][target]
    path = tmp_path / "cpu.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


def _cpu_alarm(tmp_path: Path, value: float) -> Path:
    event = json.loads((ROOT / "events/azure/azure-monitor-metric-alert.json").read_text())
    condition = event["data"]["alertContext"]["condition"]["allOf"][0]
    condition.update(metricName="cpu_usage_percentage", metricValue=value, threshold="70")
    event["data"]["essentials"]["alertRule"] = "weaviate-production-cpu-high"
    path = tmp_path / "cpu-alarm.json"
    path.write_text(json.dumps(event))
    return path


def test_an_alarm_that_changes_nothing_says_why_without_log_lines(
    state: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "WEAVEFN_CLUSTER": f"local:{state}"}

    def weavefn(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SCRIPT, *argv], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    assert weavefn("apply", "-f", str(_cpu_cluster(tmp_path))).returncode == 0
    assert weavefn("reconcile").returncode == 0

    done = weavefn("invoke", str(_cpu_alarm(tmp_path, 95)))

    assert done.returncode == 0, done.stderr
    assert "INFO" not in done.stderr, "log lines without -v"
    assert (
        "weaviate/production: Running: no change: cpu 30% (measured by its source, not the "
        "alarm's 95%) vs target 70%"
    ) in done.stdout
    with_logs = weavefn("invoke", "-v", str(_cpu_alarm(tmp_path, 96)))
    assert "INFO " in with_logs.stderr


def test_reconcile_says_why_autoscaling_changed_nothing(state: Path, capsys) -> None:
    run(capsys, "apply", "-f", str(PRODUCTION))
    run(capsys, "reconcile")

    code, out, _ = run(capsys, "reconcile")

    assert code == 0
    assert out.splitlines()[1:] == [
        "  no change",
        "  autoscaling: memory 40% vs target 80% but qps, latency missing: not scaling down on "
        "partial data",
    ]


# -- manifests ---------------------------------------------------------------------------------

UNCLOSED = """\
apiVersion: weaviate.io/v1
kind: WeaviateCluster
metadata:
  name: docs
spec:
  version: "1.27.0
  replicas: 3
  storage:
    size: 10Gi
"""
DUPLICATE = """\
apiVersion: weaviate.io/v1
kind: WeaviateCluster
metadata:
  name: docs
spec:
  version: "1.27.0"
  replicas: 3
  storage:
    size: 10Gi
  replicas: 5
"""


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("command", ["validate", "render", "apply"])
def test_an_unclosed_quote_is_reported_where_it_started(
    state: Path, tmp_path: Path, capsys, command: str
) -> None:
    path = _file(tmp_path, UNCLOSED)

    code, out, err = run(capsys, command, "-f", path)

    assert code == 2 and out == ""
    assert err.startswith(
        f"{path}: while scanning a quoted scalar at line 6, column 12: "
        "found unexpected end of stream at line 10, column 1"
    )
    assert not state.exists()


@pytest.mark.parametrize("command", ["validate", "render", "apply"])
def test_a_duplicate_key_is_refused_naming_both_lines(
    state: Path, tmp_path: Path, capsys, command: str
) -> None:
    path = _file(tmp_path, DUPLICATE)

    code, _, err = run(capsys, command, "-f", path)

    assert code == 2
    assert f"{path}: spec.replicas: duplicate key at line 10 (first set at line 7)" in err
    assert not state.exists()


def test_validate_checks_every_document(tmp_path: Path, capsys) -> None:
    bad = yaml.safe_load(MINIMAL.read_text()) | {"metadata": {"name": "bad"}}
    bad["spec"] = {**bad["spec"], "replicas": 0}
    text = f"{PRODUCTION.read_text()}\n---\n---\n{yaml.safe_dump(bad)}---\n{MINIMAL.read_text()}"
    path = _file(tmp_path, text)
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("apiVersion")]

    code, out, err = run(capsys, "validate", "-f", path)

    assert code == 2
    assert out.splitlines() == [
        f"{path} (document 1, line {starts[0]}): WeaviateCluster weaviate/production is valid",
        f"{path} (document 3, line {starts[2]}): WeaviateCluster default/minimal is valid",
    ]
    assert f"{path} (document 2, line {starts[1]}): spec.replicas: " in err


def test_render_renders_every_document(tmp_path: Path, capsys) -> None:
    path = _file(tmp_path, f"{PRODUCTION.read_text()}\n---\n{MINIMAL.read_text()}")

    code, out, _ = run(capsys, "render", "-f", path)

    assert code == 0
    statefulsets = [
        o["metadata"]["name"] for o in yaml.safe_load_all(out) if o["kind"] == "StatefulSet"
    ]
    assert statefulsets == ["production", "minimal"]


def test_apply_applies_every_document_in_order(state: Path, tmp_path: Path, capsys) -> None:
    path = _file(tmp_path, f"{PRODUCTION.read_text()}\n---\n{MINIMAL.read_text()}")

    code, out, _ = run(capsys, "apply", "-f", path)

    assert code == 0
    assert out.splitlines() == [
        "weaviatecluster weaviate/production created (generation 1)",
        "weaviatecluster default/minimal created (generation 1)",
    ]
    code, out, _ = run(capsys, "apply", "-f", path)
    assert out.splitlines()[0] == "weaviatecluster weaviate/production unchanged (generation 1)"


def test_apply_applies_none_when_one_document_is_invalid(
    state: Path, tmp_path: Path, capsys
) -> None:
    bad = yaml.safe_load(MINIMAL.read_text())
    bad["spec"]["version"] = "v1.27.0"
    path = _file(tmp_path, f"{PRODUCTION.read_text()}\n---\n{yaml.safe_dump(bad)}")

    code, out, err = run(capsys, "apply", "-f", path)

    assert code == 2 and out == ""
    assert f"{path} (document 2, line " in err and "spec.version: " in err
    assert "nothing was applied: one refused document stops all 2 of the file" in err
    assert not state.exists()


@pytest.mark.parametrize(
    ("second", "message"),
    [
        pytest.param(DUPLICATE, "spec.replicas: duplicate key at line {10} (first set at line {7})",
                     id="duplicate-key"),
        pytest.param(UNCLOSED, "while scanning a quoted scalar at line {6}, column 12: found "
                     "unexpected end of stream", id="unclosed-quote"),
    ],
)  # fmt: skip
def test_a_yaml_error_in_a_later_document_names_that_document(
    state: Path, tmp_path: Path, capsys, second: str, message: str
) -> None:
    first = PRODUCTION.read_text()
    path = _file(tmp_path, f"{first}---\n{second}")
    before = len(first.splitlines()) + 1  # the first document and the separator
    # {N} in the message is line N of the second document: line before + N of the file
    expected = message.format(*(before + n for n in range(11)))

    code, out, err = run(capsys, "apply", "-f", path)

    assert code == 2 and out == ""
    assert err.startswith(f"{path} (document 2): {expected}"), err
    assert not state.exists()
