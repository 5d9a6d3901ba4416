"""Every deployment wires to the fixed entry point names, and the function sources define them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.infra.support import ENTRY_POINTS, ROOT, defined_entry_points, load_hcl, resources


@pytest.mark.parametrize("source", sorted(ENTRY_POINTS), ids=lambda s: s.split("/")[1])
def test_function_source_defines_the_wired_entry_points(source: str) -> None:
    path = ROOT / source
    if not path.exists():
        pytest.skip(
            f"{source} has not landed yet; deployments wire to {sorted(ENTRY_POINTS[source])}"
        )
    missing = ENTRY_POINTS[source] - defined_entry_points(path)
    assert not missing, f"{source} lacks entry points the deployment calls: {sorted(missing)}"


def _serverless() -> dict[str, object]:
    loaded = yaml.load((ROOT / "serverless.yml").read_text(), Loader=yaml.BaseLoader)
    assert isinstance(loaded, dict)
    return loaded


def test_serverless_handlers_are_the_aws_entry_points() -> None:
    functions = _serverless()["functions"]
    assert isinstance(functions, dict)
    handlers = {name: spec["handler"] for name, spec in functions.items()}
    assert handlers == {
        name: f"functions/aws/handlers.{name}" for name in ENTRY_POINTS["functions/aws/handlers.py"]
    }


def test_gcp_functions_use_the_gcp_entry_points() -> None:
    parsed = load_hcl(ROOT / "infra/gcp")
    functions = resources(parsed, "google_cloudfunctions2_function")
    entry_points = {f["build_config"][0]["entry_point"] for f in functions.values()}
    assert entry_points == ENTRY_POINTS["functions/gcp/main.py"]


def test_azure_action_group_calls_the_alert_function() -> None:
    parsed = load_hcl(ROOT / "infra/azure")
    group = resources(parsed, "azurerm_monitor_action_group")["weavefn"]
    uri = group["webhook_receiver"][0]["service_uri"]
    assert "/api/alert?" in uri
    assert "alert" in ENTRY_POINTS["functions/azure/function_app.py"]


def test_azure_host_routes_under_api_and_reads_plain_queue_messages() -> None:
    host = json.loads((ROOT / "functions/azure/host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensions"]["http"]["routePrefix"] == "api"
    # fan-out messages are plain JSON {"cluster": ...}, as every cloud's sender writes them
    assert host["extensions"]["queues"]["messageEncoding"] == "none"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"


def _name(requirement: str) -> str:
    """``azure-functions>=1.18,<2`` -> ``azure-functions``."""
    return re.split(r"[\s;\[<>=!~]", requirement.strip(), maxsplit=1)[0].lower()


def _requirement_names(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {_name(line) for line in lines if line}


@pytest.mark.parametrize("cloud", ["gcp", "azure"], ids=["gcp", "azure"])
def test_requirements_cover_the_core_and_the_cloud_extra(cloud: str) -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"][cloud]
    wanted_names = {_name(w) for w in wanted}
    missing = wanted_names - _requirement_names(ROOT / f"functions/{cloud}/requirements.txt")
    assert not missing, f"functions/{cloud}/requirements.txt lacks {sorted(missing)}"


def _decorator_keywords(source: Path, decorator: str) -> list[dict[str | None, object]]:
    """Constant keyword arguments of every ``@app.<decorator>(...)`` in a module."""
    found: list[dict[str | None, object]] = []
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == decorator:
            found.append(
                {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            )
    return found


def test_azure_triggers_match_the_infrastructure() -> None:
    source = ROOT / "functions/azure/function_app.py"
    if not source.exists():
        pytest.skip("functions/azure/function_app.py has not landed yet")
    (timer,) = _decorator_keywords(source, "timer_trigger") or [{}]
    # NCRONTAB with seconds: second 0 of every minute
    assert timer.get("schedule") in {"0 * * * * *", "0 */1 * * * *"}, timer
    (queue,) = _decorator_keywords(source, "queue_trigger") or [{}]
    assert queue.get("queue_name") == "weavefn-reconcile", queue
    routes = {kw.get("route") for kw in _decorator_keywords(source, "route")}
    assert {"alert", "admission", "upgrade"} <= routes
