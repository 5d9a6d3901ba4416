"""infra/gcp and infra/azure wire triggers, identities and alerts as weavefn needs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from weavefn.observe.catalog import CATALOG

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
        "roles/monitoring.metricWriter",
        "roles/container.clusterViewer",
        "roles/secretmanager.secretAccessor",
        "roles/pubsub.publisher",
        "roles/run.invoker",
        "roles/cloudtasks.enqueuer",
        "roles/iam.serviceAccountUser",
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
        (
            "google_cloud_tasks_queue_iam_member.follow_up_enqueuer",
            "name",
            "${google_cloud_tasks_queue.follow_ups.id}",
        ),
        (
            "google_service_account_iam_member.follow_up_token",
            "service_account_id",
            "${google_service_account.functions.name}",
        ),
    ],
    ids=[
        "secret-accessor-on-one-secret",
        "publisher-on-fanout",
        "monitoring-agent-on-alerts",
        "enqueuer-on-follow-up-queue",
        "token-as-itself-only",
    ],
)
def test_gcp_grants_are_scoped_to_one_resource(
    gcp: dict[str, list[Any]], address: str, scope_key: str, scope: str
) -> None:
    kind, name = address.split(".")
    assert resources(gcp, kind)[name][scope_key] == scope


def test_gcp_follow_ups_are_http_tasks_to_the_followup_route(gcp: dict[str, list[Any]]) -> None:
    from weavefn.queue.follow_ups import FollowUpKind, follow_up_setting

    env = next(block["environment"] for block in gcp["locals"] if "environment" in block)
    assert env["WEAVEFN_FOLLOWUPS"] == "cloudtasks:${google_cloud_tasks_queue.follow_ups.id}"
    assert env["WEAVEFN_FOLLOWUP_URL"] == "${local.oidc_audience}/followup"
    assert env["WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT"] == "${google_service_account.functions.email}"
    member = resources(gcp, "google_service_account_iam_member")["follow_up_token"]["member"]
    assert member == "${google_service_account.functions.member}"
    # what Terraform renders is a setting the functions accept (the token's audience: the URL's)
    rendered = {
        "WEAVEFN_FOLLOWUPS": "cloudtasks:projects/acme-prod/locations/us-central1/queues/wf-followups",
        "WEAVEFN_FOLLOWUP_URL": "https://us-central1-acme-prod.cloudfunctions.net/wf-http/followup",
        "WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT": "wf-functions@acme-prod.iam.gserviceaccount.com",
        "WEAVEFN_OIDC_AUDIENCE": "https://us-central1-acme-prod.cloudfunctions.net/wf-http",
    }
    assert follow_up_setting(rendered).kind is FollowUpKind.CLOUD_TASKS


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
        "WEAVEFN_FOLLOWUPS",
        "WEAVEFN_FOLLOWUP_URL",
        "WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT",
        "WEAVEFN_LOG_LEVEL",
        "WEAVEFN_METRICS",
        "WEAVEFN_METRICS_SCOPE",
        "GOOGLE_CLOUD_PROJECT",
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


# -- decision-metric dashboards ---------------------------------------------------------------

_DOCUMENTED = {m.name: m for m in CATALOG}
_ALIGNERS = {"ALIGN_MAX", "ALIGN_MIN", "ALIGN_MEAN", "ALIGN_SUM"}
_REDUCERS = {"REDUCE_MAX", "REDUCE_MIN", "REDUCE_MEAN", "REDUCE_SUM"}
_GCP_METRIC = re.compile(
    r'^metric\.type="custom\.googleapis\.com/weavefn/(\w+)" resource\.type="generic_task"$'
)


def gcp_dashboard_problems(doc: dict[str, Any]) -> list[str]:
    """What the Dashboards API (monitoring.dashboards v1, mosaicLayout) would refuse."""
    problems = []
    layout = doc.get("mosaicLayout") or {}
    columns = layout.get("columns", 0)
    if not doc.get("displayName") or not 1 <= columns <= 48:
        problems.append("displayName and 1-48 columns are required")
    for i, tile in enumerate(layout.get("tiles", [])):
        where = f"tiles[{i}]"
        if tile["xPos"] < 0 or tile["xPos"] + tile["width"] > columns or tile["height"] < 1:
            problems.append(f"{where}: outside the grid")
        kinds = set(tile["widget"]) - {"title"}
        if len(kinds) != 1 or not kinds <= {"xyChart", "text", "scorecard"}:
            problems.append(f"{where}: a widget holds exactly one of xyChart, text, scorecard")
        for data in tile["widget"].get("xyChart", {}).get("dataSets", []):
            query = data["timeSeriesQuery"]["timeSeriesFilter"]
            matched = _GCP_METRIC.match(query["filter"])
            aggregation = query["aggregation"]
            if matched is None or matched.group(1) not in _DOCUMENTED:
                problems.append(f"{where}: {query['filter']!r} names no documented metric")
                continue
            if aggregation["perSeriesAligner"] not in _ALIGNERS:
                problems.append(f"{where}: aligner")
            if aggregation["crossSeriesReducer"] not in _REDUCERS:
                problems.append(f"{where}: reducer")
            grouped = {g.split('"')[1] for g in aggregation["groupByFields"]}
            if not grouped <= set(_DOCUMENTED[matched.group(1)].dimensions):
                problems.append(f"{where}: groups by a label the metric does not have")
            if data["plotType"] not in {"LINE", "STACKED_BAR", "STACKED_AREA"}:
                problems.append(f"{where}: plotType")
    return problems


def test_gcp_dashboard_shows_the_decision_metrics_per_cluster(gcp: dict[str, list[Any]]) -> None:
    (dashboard,) = resources(gcp, "google_monitoring_dashboard").values()
    assert dashboard["dashboard_json"] == '${file("${path.module}/dashboard.json")}'
    doc = json.loads((GCP / "dashboard.json").read_text())
    assert gcp_dashboard_problems(doc) == []
    shown = {
        _GCP_METRIC.match(d["timeSeriesQuery"]["timeSeriesFilter"]["filter"]).group(1)  # type: ignore[union-attr]
        for t in doc["mosaicLayout"]["tiles"]
        for d in t["widget"].get("xyChart", {}).get("dataSets", [])
    }
    assert shown >= _SHOWN
    broken = json.loads(json.dumps(doc))
    broken["mosaicLayout"]["tiles"][1]["xPos"] = 40
    assert gcp_dashboard_problems(broken), "the check itself catches a tile off the grid"
    env = _function_env(gcp)
    assert env["WEAVEFN_METRICS"] == "cloud-monitoring"
    assert env["GOOGLE_CLOUD_PROJECT"] == "${var.project_id}"


_SHOWN = {
    "replicas_desired",
    "replicas_current",
    "metric_ratio",
    "metric_value",
    "metric_target",
    "scale_events",
    "decision",
    "operation_phase_seconds",
    "reconcile_errors",
    "api_errors",
}
_KQL_NAMES = re.compile(r"name in \(([^)]*)\)")


def test_azure_workbook_shows_the_decision_metrics_per_cluster(
    azure: dict[str, list[Any]],
) -> None:
    (workbook,) = resources(azure, "azurerm_application_insights_workbook").values()
    assert workbook["data_json"] == '${file("${path.module}/workbook.json")}'
    assert workbook["source_id"] == "${lower(azurerm_application_insights.this[0].id)}"
    doc = json.loads((AZURE / "workbook.json").read_text())
    assert doc["version"] == "Notebook/1.0"
    shown: set[str] = set()
    for item in doc["items"]:
        if item["type"] != 3:
            continue
        content = item["content"]
        assert content["version"] == "KqlItem/1.0"
        assert content["resourceType"] == "microsoft.insights/components"
        query = content["query"]
        assert query.startswith("customMetrics | where name in (")
        names = {n.strip(" '") for n in _KQL_NAMES.search(query).group(1).split(",")}  # type: ignore[union-attr]
        assert names <= set(_DOCUMENTED), names - set(_DOCUMENTED)
        for name in names:
            for dimension in re.findall(r"customDimensions\.(\w+)", query):
                assert dimension in _DOCUMENTED[name].dimensions, (name, dimension)
        shown |= names
    assert shown >= _SHOWN
    assert len({item["name"] for item in doc["items"]}) == len(doc["items"])


def _function_env(parsed: dict[str, list[Any]]) -> dict[str, Any]:
    env: dict[str, Any] = next(b["environment"] for b in parsed["locals"] if "environment" in b)
    return env
