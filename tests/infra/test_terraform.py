"""infra/gcp and infra/azure wire triggers, identities and alerts as weavefn needs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from tests.infra.support import ROOT, checkov_failures, load_hcl, resources, walk

GCP = ROOT / "infra/gcp"
AZURE = ROOT / "infra/azure"
BROAD_ROLES = {"roles/owner", "roles/editor", "owner", "contributor", "user access administrator"}


@pytest.fixture(scope="module")
def gcp() -> dict[str, list[Any]]:
    return load_hcl(GCP)


@pytest.fixture(scope="module")
def azure() -> dict[str, list[Any]]:
    return load_hcl(AZURE)


def _gcp_roles(parsed: dict[str, list[Any]]) -> dict[str, str]:
    """Every role granted to anyone, by resource address."""
    return {
        f"{kind}.{name}": body["role"]
        for block in parsed["resource"]
        for kind, named in block.items()
        if kind.endswith(("_iam_member", "_iam_binding"))
        for name, body in named.items()
    }


def test_gcp_grants_only_the_roles_the_code_uses(gcp: dict[str, list[Any]]) -> None:
    granted = _gcp_roles(gcp)
    sa_roles = {
        role
        for address, role in granted.items()
        if "monitoring_publisher" not in address and "http_public" not in address
    }
    assert sa_roles == {
        "roles/monitoring.viewer",
        "roles/container.clusterViewer",
        "roles/secretmanager.secretAccessor",
        "roles/pubsub.publisher",
        "roles/run.invoker",
    }
    assert not {r.lower() for r in granted.values()} & BROAD_ROLES


@pytest.mark.parametrize(
    ("address", "scope_key", "scope"),
    [
        (
            "google_secret_manager_secret_iam_member.upgrade_secret",
            "secret_id",
            "${var.upgrade_secret_id}",
        ),
        (
            "google_pubsub_topic_iam_member.fanout_publisher",
            "topic",
            '${google_pubsub_topic.this["fanout"].id}',
        ),
        (
            "google_pubsub_topic_iam_member.monitoring_publisher",
            "topic",
            '${google_pubsub_topic.this["alerts"].id}',
        ),
    ],
    ids=["secret-accessor-on-one-secret", "publisher-on-fanout", "monitoring-agent-on-alerts"],
)
def test_gcp_grants_are_scoped_to_one_resource(
    gcp: dict[str, list[Any]], address: str, scope_key: str, scope: str
) -> None:
    kind, name = address.split(".")
    assert resources(gcp, kind)[name][scope_key] == scope


def test_gcp_monitoring_agent_publishes_incidents(gcp: dict[str, list[Any]]) -> None:
    member = resources(gcp, "google_pubsub_topic_iam_member")["monitoring_publisher"]["member"]
    assert re.fullmatch(
        r"serviceAccount:service-\$\{data\.google_project\.this\.number\}"
        r"@gcp-sa-monitoring-notification\.iam\.gserviceaccount\.com",
        member,
    )


def test_gcp_scheduler_publishes_a_tick_every_minute(gcp: dict[str, list[Any]]) -> None:
    job = resources(gcp, "google_cloud_scheduler_job")["tick"]
    assert job["schedule"] == "* * * * *"
    assert job["pubsub_target"][0]["topic_name"] == '${google_pubsub_topic.this["ticks"].id}'


def test_gcp_topics_each_trigger_on_pubsub(gcp: dict[str, list[Any]]) -> None:
    topics = resources(gcp, "google_pubsub_topic")["this"]["for_each"]
    assert topics == '${toset(["alerts", "ticks", "fanout"])}'
    pubsub = resources(gcp, "google_cloudfunctions2_function")["pubsub"]
    trigger = pubsub["event_trigger"][0]
    assert trigger["event_type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert trigger["pubsub_topic"] == "${google_pubsub_topic.this[each.key].id}"
    functions = {k for block in gcp["locals"] for k in block.get("pubsub_functions", {})}
    assert functions == {"alerts", "ticks", "fanout"}


def test_gcp_functions_read_the_secret_from_secret_manager(gcp: dict[str, list[Any]]) -> None:
    for function in resources(gcp, "google_cloudfunctions2_function").values():
        service = function["service_config"][0]
        secrets = service["secret_environment_variables"]
        assert {"key": "WEAVEFN_UPGRADE_SECRET", "secret": "${var.upgrade_secret_id}"}.items() <= (
            secrets[0].items()
        )
        assert "WEAVEFN_UPGRADE_SECRET" not in json.dumps(service["environment_variables"])
    env = next(block["environment"] for block in gcp["locals"] if "environment" in block)
    assert set(env) == {
        "WEAVEFN_CLUSTER",
        "WEAVEFN_QUEUE",
        "WEAVEFN_PROMETHEUS_URL",
        "WEAVEFN_OIDC_AUDIENCE",
        "WEAVEFN_LOG_LEVEL",
    }


def test_gcp_alert_policy_names_the_cluster_and_notifies_the_alerts_topic(
    gcp: dict[str, list[Any]],
) -> None:
    policy = resources(gcp, "google_monitoring_alert_policy")["example_qps"]
    assert set(policy["user_labels"]) == {"weaviate_io_cluster"}
    assert policy["notification_channels"] == [
        "${google_monitoring_notification_channel.alerts.id}"
    ]
    channel = resources(gcp, "google_monitoring_notification_channel")["alerts"]
    assert channel["type"] == "pubsub"
    assert channel["labels"]["topic"] == '${google_pubsub_topic.this["alerts"].id}'


def test_azure_roles_are_the_three_the_code_needs(azure: dict[str, list[Any]]) -> None:
    assignments = resources(azure, "azurerm_role_assignment")
    roles = {name: body["role_definition_name"] for name, body in assignments.items()}
    assert sorted(roles.values()) == [
        "Azure Kubernetes Service Cluster User Role",
        "Key Vault Secrets User",
        "Monitoring Reader",
    ]
    assert not {r.lower() for r in roles.values()} & BROAD_ROLES
    cluster = "${data.azurerm_kubernetes_cluster.target.id}"
    assert assignments["monitoring_reader"]["scope"] == cluster
    assert assignments["aks_cluster_user"]["scope"] == cluster
    assert assignments["secrets_user"]["scope"] == "${var.key_vault_id}/secrets/${each.value}"
    principal = "${azurerm_user_assigned_identity.functions.principal_id}"
    assert {body["principal_id"] for body in assignments.values()} == {principal}


def test_azure_function_app_runs_python311_with_key_vault_references(
    azure: dict[str, list[Any]],
) -> None:
    app = resources(azure, "azurerm_linux_function_app")["weavefn"]
    assert app["site_config"][0]["application_stack"][0]["python_version"] == "3.11"
    assert app["identity"][0]["type"] == "UserAssigned"
    assert (
        app["key_vault_reference_identity_id"] == "${azurerm_user_assigned_identity.functions.id}"
    )
    plan = resources(azure, "azurerm_service_plan")["functions"]
    assert (plan["os_type"], plan["sku_name"]) == ("Linux", "Y1")
    refs = next(block["secret_refs"] for block in azure["locals"] if "secret_refs" in block)
    assert refs.startswith("${merge(")
    assert 'WEAVEFN_UPGRADE_SECRET = "@Microsoft.KeyVault(VaultName=' in refs
    settings = app["app_settings"]
    assert settings.endswith(", local.secret_refs)}")
    for key in ("WEAVEFN_CLUSTER", "WEAVEFN_QUEUE", "WEAVEFN_PROMETHEUS_URL", "WEAVEFN_LOG_LEVEL"):
        assert key in settings, key


def test_azure_fanout_queue_is_weavefn_reconcile(azure: dict[str, list[Any]]) -> None:
    queue = resources(azure, "azurerm_storage_queue")["reconcile"]
    assert queue["name"] == "${local.queue_name}"
    assert any(block.get("queue_name") == "weavefn-reconcile" for block in azure["locals"])


def test_azure_action_group_uses_the_common_alert_schema(azure: dict[str, list[Any]]) -> None:
    receiver = resources(azure, "azurerm_monitor_action_group")["weavefn"]["webhook_receiver"][0]
    assert receiver["use_common_alert_schema"] is True
    alert = resources(azure, "azurerm_monitor_metric_alert")["example_qps"]
    assert alert["scopes"] == ["${data.azurerm_kubernetes_cluster.target.id}"]
    action = alert["action"][0]
    assert action["action_group_id"] == "${azurerm_monitor_action_group.weavefn.id}"
    assert set(action["webhook_properties"]) == {"weaviate.io/cluster"}


@pytest.mark.parametrize("directory", [GCP, AZURE], ids=["gcp", "azure"])
def test_no_wildcard_actions_or_plain_secrets(directory: Any) -> None:
    parsed = load_hcl(directory)
    for key, value in walk(parsed):
        if key in {"actions", "not_actions", "permissions", "role"}:
            assert "*" not in json.dumps(value), (key, value)
    # secrets come from Secret Manager / Key Vault; no variable carries a secret value
    variables = {name for block in parsed["variable"] for name in block}
    assert not {v for v in variables if re.search(r"(?<!_id)(secret|token|password)$", v)}


@pytest.mark.parametrize("directory", [GCP, AZURE], ids=["gcp", "azure"])
def test_every_variable_is_described(directory: Any) -> None:
    parsed = load_hcl(directory)
    undescribed = [
        name
        for block in parsed["variable"]
        for name, body in block.items()
        if not body.get("description")
    ]
    assert not undescribed


@pytest.mark.parametrize("directory", [GCP, AZURE], ids=["gcp", "azure"])
def test_checkov_finds_nothing_unjustified(directory: Any) -> None:
    assert checkov_failures(directory, framework="terraform") == []


@pytest.mark.parametrize("directory", [GCP, AZURE], ids=["gcp", "azure"])
def test_terraform_is_canonically_formatted(directory: Any) -> None:
    # fmt needs no providers, so it runs offline; optional because the image may lack terraform
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    run = subprocess.run(
        [terraform, "fmt", "-check", "-diff", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize(
    ("folder", "fill", "kind"),
    [
        pytest.param(
            "gcp",
            {'${google_pubsub_topic.this["fanout"].id}': "projects/p/topics/weavefn-fanout"},
            "pubsub",
            id="gcp-pubsub",
        ),
        pytest.param(
            "azure",
            {
                "${azurerm_storage_account.functions.primary_queue_endpoint}": (
                    "https://acct.queue.core.windows.net/"
                ),
                "${local.queue_name}": "weavefn-reconcile",
            },
            "azure-queue",
            id="azure-storage-queue",
        ),
    ],
)
def test_queue_setting_is_one_the_functions_accept(folder: str, fill: dict[str, str], kind: str):
    from weavefn.queue.factory import queue_kind

    text = "\n".join(p.read_text() for p in (ROOT / "infra" / folder).glob("*.tf"))
    match = re.search(r'WEAVEFN_QUEUE\s*=\s*"([^"\n]*(?:"[^"\n]*"[^"\n]*)*)"\n', text)
    assert match, f"infra/{folder} sets no WEAVEFN_QUEUE string"
    value = match.group(1)
    for placeholder, real in fill.items():
        value = value.replace(placeholder, real)
    assert "${" not in value, value
    assert queue_kind(value)[0] == kind
