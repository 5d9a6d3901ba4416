"""Importing a function's modules loads no other cloud's SDK (each cold start pays for its own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

AWS_SDK = ("boto3", "botocore")
GCP_SDK = (
    "google.cloud.pubsub",
    "google.cloud.pubsub_v1",
    "google.cloud.monitoring",
    "google.cloud.monitoring_v3",
    "google.cloud.container",
    "functions_framework",
)
AZURE_SDK = ("azure.functions", "azure.identity", "azure.monitor", "azure.storage", "azure.mgmt")
EVERY_SDK = AWS_SDK + GCP_SDK + AZURE_SDK


def loaded_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def offending(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


CASES = [
    pytest.param("weavefn.service", EVERY_SDK, id="service"),
    pytest.param("weavefn.runtime", EVERY_SDK, id="runtime"),
    pytest.param("weavefn.invocation", EVERY_SDK, id="invocation"),
    pytest.param("weavefn.webhooks", EVERY_SDK, id="webhooks"),
    pytest.param("weavefn.queue", EVERY_SDK, id="queue-factory"),
    pytest.param("functions.aws.handlers", EVERY_SDK, id="aws-handlers"),
    pytest.param("functions.gcp.main", AWS_SDK + AZURE_SDK, id="gcp-main"),
    pytest.param("functions.azure.function_app", AWS_SDK + GCP_SDK, id="azure-app"),
]


@pytest.mark.parametrize(("module", "forbidden"), CASES)
def test_importing_loads_no_other_cloud_sdk(module: str, forbidden: tuple[str, ...]) -> None:
    source = ROOT / (module.replace(".", "/") + ".py")
    if module.startswith("functions.") and not source.exists():
        pytest.skip(f"{source.relative_to(ROOT)} has not landed yet")

    assert offending(loaded_after_import(module), forbidden) == []


def test_the_check_sees_an_sdk_when_one_is_imported() -> None:
    # guards the test itself: a module that does import boto3 is caught
    assert offending(loaded_after_import("boto3"), AWS_SDK) != []


@pytest.mark.parametrize(
    "module", ["functions.aws.handlers", "functions.gcp.main", "functions.azure.function_app"]
)
def test_functions_do_not_load_the_simulations(module: str) -> None:
    # the local cluster and the Weaviate simulation exist for the CLI and tests only
    assert offending(loaded_after_import(module), SIMULATIONS) == []


SIMULATIONS = ("weavefn.local", "weavefn.simulate")
RUNTIME_ON = """
import json, sys
from weavefn.runtime import open_runtime_for
with open_runtime_for(sys.argv[1]) as runtime:
    runtime.service.reconciler()  # the whole pass is wired: steps, connector, metric sources
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by_runtime_on(setting: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUNTIME_ON, setting],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout))


def test_a_runtime_on_a_real_cluster_loads_no_simulation(tmp_path: Path) -> None:
    # a kubeconfig whose server nobody answers: building the runtime calls nothing
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )

    loaded = loaded_by_runtime_on(f"kubeconfig:{kubeconfig}")

    assert "weavefn.kube.real" in loaded
    assert offending(loaded, SIMULATIONS) == []


def test_the_check_sees_the_simulations_on_the_local_cluster(tmp_path: Path) -> None:
    # guards the test above: the same runtime on the local cluster does load them
    loaded = loaded_by_runtime_on(f"local:{tmp_path / 'cluster.json'}")

    assert offending(loaded, SIMULATIONS) != []


@pytest.mark.parametrize(
    "module", ["functions.aws.handlers", "functions.gcp.main", "functions.azure.function_app"]
)
def test_importing_a_function_builds_no_model_and_loads_no_service(module: str) -> None:
    # parsers, the resource model and the service load with the first event that needs them
    loaded = loaded_after_import(module)
    assert offending(loaded, ("pydantic.main", "weavefn.service", "weavefn.model.resource")) == []


def test_weavefn_help_loads_no_command() -> None:
    code = (
        "import json, sys\n"
        "from weavefn.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert sorted(m for m in loaded if m.startswith("weavefn.")) == [
        "weavefn.cli",
        "weavefn.cli.main",
    ]
