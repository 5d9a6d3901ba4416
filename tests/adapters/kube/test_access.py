"""Reaching a cluster: setting strings, the local backend, kubeconfig contexts and retries."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kubernetes.client import ApiClient
from weavefn.errors import InvalidInputError, UnavailableError
from weavefn.kube.access import (
    DEFAULT_CLUSTER,
    AccessKind,
    ClusterSetting,
    cluster_setting,
    configuration,
    connect,
    parse_setting,
)
from weavefn.kube.real import RealKube
from weavefn.runtime import open_backend

from tests.adapters.kube.apiserver import ApiServer

SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
SCALE = "/apis/apps/v1/namespaces/db/statefulsets/weaviate/scale"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        pytest.param(
            "kubeconfig:/etc/kube/config",
            ClusterSetting(AccessKind.KUBECONFIG, ("/etc/kube/config",)),
            id="kubeconfig",
        ),
        pytest.param(
            "kubeconfig:/etc/kube/config#prod",
            ClusterSetting(AccessKind.KUBECONFIG, ("/etc/kube/config",), "prod"),
            id="kubeconfig-context",
        ),
        pytest.param("in-cluster", ClusterSetting(AccessKind.IN_CLUSTER), id="in-cluster"),
        pytest.param(
            "eks:eu-west-1/search-prod",
            ClusterSetting(AccessKind.EKS, ("eu-west-1", "search-prod")),
            id="eks",
        ),
        pytest.param(
            "eks:us-gov-west-1/a_b",
            ClusterSetting(AccessKind.EKS, ("us-gov-west-1", "a_b")),
            id="eks-govcloud",
        ),
        pytest.param(
            "gke:my-project-1/europe-west4/search",
            ClusterSetting(AccessKind.GKE, ("my-project-1", "europe-west4", "search")),
            id="gke-regional",
        ),
        pytest.param(
            "gke:my-project-1/us-central1-a/search",
            ClusterSetting(AccessKind.GKE, ("my-project-1", "us-central1-a", "search")),
            id="gke-zonal",
        ),
        pytest.param(
            f"aks:{SUB}/rg-search.prod/search-aks",
            ClusterSetting(AccessKind.AKS, (SUB, "rg-search.prod", "search-aks")),
            id="aks",
        ),
        pytest.param(
            "local:.weavefn/cluster.json",
            ClusterSetting(AccessKind.LOCAL, (".weavefn/cluster.json",)),
            id="local",
        ),
    ],
)
def test_valid_settings_parse(setting: str, expected: ClusterSetting) -> None:
    assert parse_setting(setting) == expected


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param("", id="empty"),
        pytest.param("minikube", id="unknown-form"),
        pytest.param("https://10.0.0.1", id="url"),
        pytest.param("kubeconfig:", id="kubeconfig-no-path"),
        pytest.param("kubeconfig:/x#", id="kubeconfig-empty-context"),
        pytest.param("in-cluster:yes", id="in-cluster-with-value"),
        pytest.param("eks:search", id="eks-no-region"),
        pytest.param("eks:EU-WEST-1/search", id="eks-bad-region"),
        pytest.param("eks:eu-west-1/search/extra", id="eks-extra-part"),
        pytest.param("gke:p/l/n", id="gke-bad-project"),
        pytest.param("gke:my-project-1/search", id="gke-missing-part"),
        pytest.param("aks:not-a-uuid/rg/name", id="aks-bad-subscription"),
        pytest.param(f"aks:{SUB}/rg/", id="aks-empty-name"),
        pytest.param("local:", id="local-no-path"),
        pytest.param("local:/x#ctx", id="local-with-context"),
    ],
)
def test_invalid_settings_name_the_setting(setting: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_setting(setting)

    assert caught.value.errors[0].path == "cluster"
    assert repr(setting) in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        pytest.param("in-cluster", "eks:eu-west-1/x", "in-cluster", id="flag-wins"),
        pytest.param(None, "eks:eu-west-1/x", "eks:eu-west-1/x", id="env-next"),
        pytest.param(None, None, DEFAULT_CLUSTER, id="default-local"),
    ],
)
def test_cluster_setting_precedence(
    monkeypatch: pytest.MonkeyPatch, flag: str | None, env: str | None, expected: str
) -> None:
    if env is None:
        monkeypatch.delenv("WEAVEFN_CLUSTER", raising=False)
    else:
        monkeypatch.setenv("WEAVEFN_CLUSTER", env)

    assert cluster_setting(flag) == expected


def test_local_setting_opens_the_saved_in_memory_cluster(tmp_path: Path) -> None:
    saved = tmp_path / "state" / "cluster.json"
    cluster = {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": "search", "namespace": "db"},
        "spec": {"version": "1.32.1"},
    }

    with open_backend(f"local:{saved}") as backend:
        backend.kube.apply_cluster(cluster)
    with open_backend(f"local:{saved}") as backend:
        names = [c["metadata"]["name"] for c in backend.kube.list_clusters("db")]

    assert saved.exists()
    assert names == ["search"]


def _kubeconfig(tmp_path: Path, server: str) -> Path:
    users = [{"name": n, "user": {"token": f"token-{n}"}} for n in ("dev", "prod")]
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": server}}],
        "users": users,
        "contexts": [
            {"name": n, "context": {"cluster": "local", "user": n}} for n in ("dev", "prod")
        ],
        "current-context": "dev",
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("suffix", "token"),
    [
        pytest.param("", "token-dev", id="current-context"),
        pytest.param("#prod", "token-prod", id="named-context"),
    ],
)
def test_kubeconfig_setting_uses_the_chosen_context(
    tmp_path: Path, api_server: ApiServer, suffix: str, token: str
) -> None:
    path = _kubeconfig(tmp_path, api_server.url)
    api_server.answer("GET", "/apis/weaviate.io/v1/weaviateclusters", 200, {"items": []})

    with connect(f"kubeconfig:{path}{suffix}") as kube:
        assert kube.list_clusters() == []

    assert api_server.last.headers["authorization"] == f"Bearer {token}"


def test_missing_kubeconfig_is_invalid_input_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught, connect(f"kubeconfig:{tmp_path}/none"):
        pass
    (error,) = caught.value.errors
    assert error.path == "cluster"
    assert error.message == f"'kubeconfig:{tmp_path}/none': no kubeconfig file at {tmp_path}/none"


def test_a_context_the_kubeconfig_lacks_is_named_with_the_ones_it_has(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, "https://127.0.0.1:1")
    with pytest.raises(InvalidInputError) as caught, connect(f"kubeconfig:{path}#staging"):
        pass
    (error,) = caught.value.errors
    assert error.message == (
        f"'kubeconfig:{path}#staging': context 'staging' is not in {path} (its contexts: dev, prod)"
    )


def test_in_cluster_outside_a_pod_is_invalid_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(InvalidInputError, match="in-cluster"), connect("in-cluster"):
        pass


def test_a_slow_server_costs_one_timeout_not_several(tmp_path: Path, api_server: ApiServer) -> None:
    api_server.answer("GET", SCALE, 200, {}, delay=5.0)
    cfg = configuration(parse_setting(f"kubeconfig:{_kubeconfig(tmp_path, api_server.url)}"))

    with ApiClient(cfg) as client, pytest.raises(UnavailableError):
        RealKube(client, timeout=0.3).get_scale("db", "weaviate")

    assert len(api_server.requests) == 1
