"""`kubectl kustomize infra/k8s` renders the CRD, least-privilege RBAC and the admission webhook."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.support import ROOT, tool

# What the functions do in the cluster, and nothing else (no watch: nothing watches).
EXPECTED_RULES = {
    ("weaviate.io", "weaviateclusters"): {"get", "list", "patch"},
    ("weaviate.io", "weaviateclusters/status"): {"update"},
    ("apps", "statefulsets"): {"get", "list", "create", "patch", "delete"},
    ("apps", "statefulsets/scale"): {"patch"},
    ("apps", "deployments"): {"list", "create", "patch"},
    ("", "services"): {"list", "create", "patch"},
    ("", "configmaps"): {"list", "create", "patch"},
    ("", "serviceaccounts"): {"list", "create", "patch"},
    ("", "pods"): {"list"},
    ("", "persistentvolumeclaims"): {"list", "patch"},
    ("", "secrets"): {"get", "create"},
    ("", "services/proxy"): {"get", "create", "update", "delete"},
    ("policy", "poddisruptionbudgets"): {"list", "create", "patch"},
    ("storage.k8s.io", "storageclasses"): {"get", "list", "create", "patch"},
    ("events.k8s.io", "events"): {"create"},
    ("security.istio.io", "peerauthentications"): {"list", "create", "patch"},
    ("networking.istio.io", "destinationrules"): {"list", "create", "patch"},
    ("metrics.k8s.io", "pods"): {"list"},
}

PLACEHOLDER_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: weaviateclusters.weaviate.io
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    kubectl = tool("kubectl")
    base = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(ROOT / "infra/k8s", base)
    if not (base / "crd.yaml").exists():
        # the CRD is generated elsewhere; a stand-in in the copy keeps this check independent
        (base / "crd.yaml").write_text(PLACEHOLDER_CRD)
    run = subprocess.run(
        [kubectl, "kustomize", str(base)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    documents = [d for d in yaml.safe_load_all(run.stdout) if d]
    by_kind = {d["kind"]: d for d in documents}
    assert len(by_kind) == len(documents), "one object per kind expected"
    return by_kind


def test_renders_crd_rbac_and_webhook(rendered: dict[str, dict[str, Any]]) -> None:
    assert set(rendered) == {
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingWebhookConfiguration",
    }
    assert (
        rendered["CustomResourceDefinition"]["metadata"]["name"] == "weaviateclusters.weaviate.io"
    )


def _rules(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


def test_cluster_role_grants_exactly_what_the_code_uses(
    rendered: dict[str, dict[str, Any]],
) -> None:
    role = rendered["ClusterRole"]
    assert role["metadata"]["name"] == "weavefn"
    assert _rules(role) == EXPECTED_RULES


def test_cluster_role_has_no_wildcards_secrets_or_watch(
    rendered: dict[str, dict[str, Any]],
) -> None:
    for rule in rendered["ClusterRole"]["rules"]:
        for field in ("apiGroups", "resources", "verbs"):
            assert not any("*" in item for item in rule[field]), rule
        # the API-key Secret is read by name only (weaviate.connect.read_api_key); the
        # internal-auth Secret is created once: never listed, updated, patched or deleted
        assert "secrets" not in rule["resources"] or rule["verbs"] == ["get", "create"]
        assert "watch" not in rule["verbs"]
        assert "nonResourceURLs" not in rule and "resourceNames" not in rule


def test_binding_gives_the_role_to_the_weavefn_group(rendered: dict[str, dict[str, Any]]) -> None:
    binding = rendered["ClusterRoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "weavefn",
    }
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "weavefn"}
    ]


def test_webhook_validates_cluster_changes_and_fails_closed(
    rendered: dict[str, dict[str, Any]],
) -> None:
    (webhook,) = rendered["ValidatingWebhookConfiguration"]["webhooks"]
    assert webhook["rules"] == [
        {
            "apiGroups": ["weaviate.io"],
            "apiVersions": ["v1"],
            "resources": ["weaviateclusters"],
            "operations": ["CREATE", "UPDATE"],
            "scope": "Namespaced",
        }
    ]
    assert webhook["timeoutSeconds"] == 5
    assert webhook["failurePolicy"] == "Fail"
    # It enqueues a reconcile on allowed changes, and nothing on dryRun requests
    # (tests/adapters/test_webhooks.py::test_admission_dry_run_queues_nothing).
    assert webhook["sideEffects"] == "NoneOnDryRun"
    assert webhook["matchPolicy"] == "Equivalent"
    assert webhook["admissionReviewVersions"] == ["v1"]
    url = webhook["clientConfig"]["url"]
    # API servers refuse webhook URLs with a query or fragment, and anything but https
    assert url.startswith("https://") and "?" not in url and "#" not in url
    assert "service" not in webhook["clientConfig"]


def test_webhook_url_is_patchable_by_an_overlay(tmp_path: Path) -> None:
    kubectl = tool("kubectl")
    base = tmp_path / "base"
    shutil.copytree(ROOT / "infra/k8s", base)
    if not (base / "crd.yaml").exists():
        (base / "crd.yaml").write_text(PLACEHOLDER_CRD)
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/admission"
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "resources": ["../base"],
                "patches": [
                    {
                        "target": {"kind": "ValidatingWebhookConfiguration", "name": "weavefn"},
                        "patch": yaml.safe_dump(
                            [
                                {
                                    "op": "replace",
                                    "path": "/webhooks/0/clientConfig/url",
                                    "value": url,
                                }
                            ]
                        ),
                    }
                ],
            }
        )
    )
    run = subprocess.run(
        [kubectl, "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    webhook = next(
        d for d in yaml.safe_load_all(run.stdout) if d["kind"] == "ValidatingWebhookConfiguration"
    )
    assert webhook["webhooks"][0]["clientConfig"]["url"] == url
