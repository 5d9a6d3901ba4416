"""serverless.yml packages offline with osls, and the CloudFormation it produces is sound."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from weavefn.observe.catalog import CATALOG

from tests.infra.support import ROOT, checkov_failures, tool, walk

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:weavefn/upgrade-AbCdEf"
TEMPLATE = ".serverless/cloudformation-template-update-stack.json"


def _source_artifact(path: Path) -> None:
    """The function artifact built from source only: enough for osls, no download needed."""
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as archive:
        for base, prefix in ((ROOT / "functions", "functions"), (ROOT / "core/weavefn", "weavefn")):
            for file in base.rglob("*.py"):
                archive.write(file, f"{prefix}/{file.relative_to(base)}")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    osls = tool("osls", ROOT / "node_modules/.bin/osls")
    service = tmp_path_factory.mktemp("aws")
    shutil.copy(ROOT / "serverless.yml", service / "serverless.yml")
    _source_artifact(service / ".build/weavefn-aws.zip")
    # No AWS credentials, profile or region in the environment: packaging must not need them.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(service),
        "SLS_TELEMETRY_DISABLED": "1",
    }
    run = subprocess.run(
        [
            *(osls, "package", "--stage", "ci", "--region", "eu-west-1"),
            *("--param=eksClusterName=weaviate-prod", f"--param=upgradeSecretArn={SECRET_ARN}"),
        ],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (service / TEMPLATE).is_file()
    return service


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((packaged / TEMPLATE).read_text())
    return loaded


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _function(template: dict[str, Any], name: str) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][f"{name.capitalize()}LambdaFunction"][
        "Properties"
    ]
    return props


@pytest.mark.parametrize(
    ("name", "timeout", "concurrency"),
    [("alarm", 30, 5), ("schedule", 60, 1), ("webhook", 10, 10), ("queue", 60, 5)],
    ids=["alarm", "schedule", "webhook", "queue"],
)
def test_functions_run_arm64_python312_with_bounded_time_and_concurrency(
    template: dict[str, Any], name: str, timeout: int, concurrency: int
) -> None:
    props = _function(template, name)
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == f"functions/aws/handlers.{name}"
    assert props["Timeout"] == timeout
    assert props["ReservedConcurrentExecutions"] == concurrency
    env = props["Environment"]["Variables"]
    assert env["WEAVEFN_CLUSTER"] == "eks:eu-west-1/weaviate-prod"
    assert env["WEAVEFN_QUEUE"] == {"Ref": "ReconcileQueue"}
    assert set(env) >= {"WEAVEFN_PROMETHEUS_URL", "WEAVEFN_LOG_LEVEL", "WEAVEFN_UPGRADE_SECRET"}


def test_upgrade_secret_is_a_reference_never_a_value(template: dict[str, Any]) -> None:
    value = _function(template, "webhook")["Environment"]["Variables"]["WEAVEFN_UPGRADE_SECRET"]
    assert value == "{{resolve:secretsmanager:" + SECRET_ARN + ":SecretString}}"


def test_log_groups_keep_logs_for_a_year(template: dict[str, Any]) -> None:
    groups = _of_type(template, "AWS::Logs::LogGroup")
    assert {"AlarmLogGroup", "ScheduleLogGroup", "WebhookLogGroup", "QueueLogGroup"} <= set(groups)
    assert {g["Properties"]["RetentionInDays"] for g in groups.values()} == {365}


def test_alarm_is_reached_by_sns_eventbridge_and_direct_alarm_actions(
    template: dict[str, Any],
) -> None:
    subscriptions = _of_type(template, "AWS::SNS::Subscription")
    assert [s["Properties"]["TopicArn"] for s in subscriptions.values()] == [{"Ref": "AlarmTopic"}]
    rules = [r["Properties"] for r in _of_type(template, "AWS::Events::Rule").values()]
    patterns = [r["EventPattern"] for r in rules if "EventPattern" in r]
    assert patterns == [
        {
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {"alarmName": [{"prefix": "weavefn-"}]},
        }
    ]
    permissions = [p["Properties"] for p in _of_type(template, "AWS::Lambda::Permission").values()]
    direct = [p for p in permissions if p["Principal"] == "lambda.alarms.cloudwatch.amazonaws.com"]
    assert len(direct) == 1
    assert direct[0]["FunctionName"] == {"Fn::GetAtt": ["AlarmLambdaFunction", "Arn"]}
    assert direct[0]["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_schedule_ticks_every_minute(template: dict[str, Any]) -> None:
    rules = [r["Properties"] for r in _of_type(template, "AWS::Events::Rule").values()]
    assert [r["ScheduleExpression"] for r in rules if "ScheduleExpression" in r] == [
        "rate(1 minute)"
    ]


def test_webhook_routes_are_http_api_payload_2(template: dict[str, Any]) -> None:
    routes = {
        r["Properties"]["RouteKey"] for r in _of_type(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert routes == {"POST /admission", "POST /upgrade", "POST /restore", "POST /sns"}
    integrations = _of_type(template, "AWS::ApiGatewayV2::Integration").values()
    assert {i["Properties"]["PayloadFormatVersion"] for i in integrations} == {"2.0"}


def test_fanout_queue_reports_batch_failures_and_redrives_to_a_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    mappings = list(_of_type(template, "AWS::Lambda::EventSourceMapping").values())
    assert len(mappings) == 1
    assert mappings[0]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = template["Resources"]["ReconcileQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ReconcileDeadLetterQueue", "Arn"]
    }
    # Lambda wants the visibility timeout at least six times the function's timeout.
    assert queue["VisibilityTimeout"] >= 6 * _function(template, "queue")["Timeout"]


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = template["Resources"]["IamRoleLambdaExecution"]["Properties"]
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_iam_is_least_privilege(template: dict[str, Any]) -> None:
    statements = _statements(template)
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), statement
        if statement["Resource"] in ("*", ["*"]):
            # only actions without resource-level permissions may name every resource
            assert set(actions) <= {
                "cloudwatch:GetMetricData",
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
            }
    by_action: dict[str, list[Any]] = {}
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        for action in actions:
            by_action.setdefault(action, []).append(statement["Resource"])
    assert by_action["eks:DescribeCluster"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:cluster/weaviate-prod"
        }
    ]
    assert by_action["secretsmanager:GetSecretValue"] == [SECRET_ARN]
    queue = {"Fn::GetAtt": ["ReconcileQueue", "Arn"]}
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert all(r in (queue, [queue]) for r in by_action[action]), action
    assert {json.dumps(r) for r in by_action["sqs:SendMessage"]} == {
        json.dumps(queue),
        json.dumps({"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}),
    }


def test_example_alarm_watches_the_cluster_qps_and_notifies_the_topic(
    template: dict[str, Any],
) -> None:
    alarm = template["Resources"]["ExampleQpsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("Weaviate", "QPS")
    assert alarm["Dimensions"] == [{"Name": "weaviate.io/cluster", "Value": "weaviate/production"}]
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}]


def test_eks_access_entry_maps_the_role_into_the_weavefn_group(template: dict[str, Any]) -> None:
    entry = template["Resources"]["EksAccessEntry"]["Properties"]
    assert entry["KubernetesGroups"] == ["weavefn"]
    assert entry["PrincipalArn"] == {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}


def test_artifact_is_the_prebuilt_zip(packaged: Path, template: dict[str, Any]) -> None:
    keys = {
        json.dumps(value)
        for key, value in walk(template["Resources"])
        if key == "S3Key" and "weavefn-aws.zip" in json.dumps(value)
    }
    assert len(keys) == 1, keys


def test_cfn_lint_finds_no_errors(packaged: Path) -> None:
    cfn_lint = tool("cfn-lint", Path(sys.executable).parent / "cfn-lint")
    run = subprocess.run(
        [cfn_lint, "--format", "json", str(packaged / TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings = json.loads(run.stdout or "[]")
    problems = [
        f"{f['Rule']['Id']} {f['Message']}"
        for f in findings
        # W3005: osls itself adds DependsOn next to a Ref to the same resource
        if f["Level"] == "Error" or f["Rule"]["Id"] != "W3005"
    ]
    assert not problems, problems


def test_checkov_finds_nothing_unjustified(packaged: Path) -> None:
    assert checkov_failures(packaged / TEMPLATE, framework="cloudformation") == []


_VIEWS = {"timeSeries", "singleValue", "gauge", "bar", "pie", "table"}
_SEARCH = re.compile(
    r"^SEARCH\('\{[\w,]+\} MetricName=\"\w+\"', '(Average|Sum|Minimum|Maximum|SampleCount)', (60|300)\)$"
)


def dashboard_problems(body: dict[str, Any]) -> list[str]:
    """What CloudWatch's dashboard body structure forbids (cfn-lint does not read the body)."""
    problems = []
    for i, widget in enumerate(body.get("widgets", [])):
        where = f"widgets[{i}]"
        x, width = widget.get("x", 0), widget.get("width", 6)
        if widget.get("type") not in {"metric", "text", "log", "alarm", "explorer"}:
            problems.append(f"{where}.type")
        if not (
            1 <= width <= 24 and x >= 0 and x + width <= 24 and 1 <= widget.get("height", 6) <= 1000
        ):
            problems.append(f"{where}: position outside the 24-column grid")
        props = widget.get("properties", {})
        if widget.get("type") == "text" and not props.get("markdown"):
            problems.append(f"{where}.properties.markdown")
        if widget.get("type") != "metric":
            continue
        if props.get("view") not in _VIEWS or not props.get("region") or not props.get("metrics"):
            problems.append(f"{where}.properties: view, region and metrics are required")
        ids = [row[0].get("id", "") for row in props.get("metrics", [])]
        if len(set(ids)) != len(ids) or not all(re.match(r"^[a-z][a-zA-Z0-9_]*$", i) for i in ids):
            problems.append(f"{where}: expression ids must be unique and start lower-case")
        for row in props.get("metrics", []):
            if not _SEARCH.match(row[0].get("expression", "")):
                problems.append(f"{where}: {row[0].get('expression')!r} is not a SEARCH expression")
    return problems


def test_dashboard_shows_the_decision_metrics_per_cluster(template: dict[str, Any]) -> None:
    (dashboard,) = _of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    document = json.loads(body.replace("${AWS::Region}", "eu-west-1"))
    assert dashboard_problems(document) == []
    broken = {"widgets": [{**document["widgets"][1], "x": 20}]}
    assert dashboard_problems(broken), "the check itself catches a widget off the grid"
    widgets = document["widgets"]
    searched = {
        metric: dims
        for w in widgets
        if w["type"] == "metric"
        for row in w["properties"]["metrics"]
        for dims, metric in re.findall(
            r"\{weavefn,?([^}]*)\} MetricName=\"(\w+)\"", row[0]["expression"]
        )
    }
    documented = {m.name: m for m in CATALOG}
    assert set(searched) <= set(documented), "every widget names a documented metric"
    for metric, dims in searched.items():
        assert tuple(d for d in dims.split(",") if d) == documented[metric].dimensions, metric
    shown = {
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
    assert shown <= set(searched)
    env = _function(template, "schedule")["Environment"]["Variables"]
    assert env["WEAVEFN_METRICS"] == "emf" and env["WEAVEFN_METRICS_SCOPE"] == "cluster"
