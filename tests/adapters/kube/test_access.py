"""Reaching a cluster: setting strings, kubeconfig contexts, bearer tokens on the wire."""

from __future__ import annotations

import base64
import sys
import types
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient
from weavefn.errors import InvalidInputError, UnavailableError
from weavefn.kube.access import (
    DEFAULT_CLUSTER,
    AccessKind,
    CachedToken,
    ClusterEndpoint,
    ClusterSetting,
    Token,
    cluster_setting,
    configuration,
    connect,
    decode_ca,
    parse_setting,
)
from weavefn.kube.aks import aks_configuration, endpoint_from_kubeconfig
from weavefn.kube.eks import eks_configuration
from weavefn.kube.gke import cluster_name, gke_configuration
from weavefn.kube.real import RealKube

from tests.adapters.kube.apiserver import ApiServer

SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
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


def test_local_setting_opens_the_local_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    backend = object()

    def open_local(path: str) -> Any:
        opened.append(path)
        return nullcontext(backend)

    monkeypatch.setitem(
        sys.modules, "weavefn.kube.local", types.SimpleNamespace(open_local=open_local)
    )

    with connect("local:/tmp/cluster.json") as kube:
        assert kube is backend
    assert opened == ["/tmp/cluster.json"]


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


def test_missing_kubeconfig_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught, connect(f"kubeconfig:{tmp_path}/none"):
        pass
    assert caught.value.errors[0].path == "cluster"


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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def counting_tokens(clock: FakeClock, prefix: str, lifetime: float) -> tuple[list[str], Any]:
    issued: list[str] = []

    def source() -> Any:
        def fetch() -> Token:
            issued.append(f"{prefix}-{len(issued) + 1}")
            return Token(issued[-1], clock() + lifetime)

        return fetch

    return issued, source


def test_cached_token_is_reused_until_the_margin_before_expiry() -> None:
    clock = FakeClock()
    issued, source = counting_tokens(clock, "t", 600)
    token = CachedToken(source(), clock=clock, margin=60)

    first = token()
    clock.now += 539
    assert token() == first
    clock.now += 1
    assert token() != first
    assert issued == ["t-1", "t-2"]


def test_gke_sends_the_current_access_token_on_each_request(api_server: ApiServer) -> None:
    clock = FakeClock()
    _, source = counting_tokens(clock, "ya29", 3600)
    fetched: list[tuple[str, str, str]] = []

    def fetch(project: str, location: str, name: str) -> ClusterEndpoint:
        fetched.append((project, location, name))
        return ClusterEndpoint(api_server.url + "/", None)

    cfg = gke_configuration(
        "proj-1", "europe-west4", "search", fetch=fetch, token_source=source, clock=clock
    )
    api_server.answer(
        "GET", SCALE, 200, {"spec": {"replicas": 1}, "metadata": {"resourceVersion": "1"}}
    )
    with ApiClient(cfg) as client:
        kube = RealKube(client, timeout=2)
        kube.get_scale("db", "weaviate")
        kube.get_scale("db", "weaviate")
        clock.now += 3600
        kube.get_scale("db", "weaviate")

    assert fetched == [("proj-1", "europe-west4", "search")]
    assert [r.headers["authorization"] for r in api_server.requests] == [
        "Bearer ya29-1",
        "Bearer ya29-1",
        "Bearer ya29-2",
    ]


def test_gke_cluster_resource_name() -> None:
    assert (
        cluster_name("p", "us-central1-a", "c") == "projects/p/locations/us-central1-a/clusters/c"
    )


def aks_kubeconfig(server: str, ca: str | None) -> bytes:
    cluster: dict[str, str] = {"server": server}
    if ca:
        cluster["certificate-authority-data"] = ca
    document = {
        "clusters": [{"name": "search", "cluster": cluster}],
        "users": [{"name": "u", "user": {"token": "unused"}}],
    }
    return yaml.safe_dump(document).encode()


def test_aks_takes_server_and_ca_from_user_kubeconfig_and_sends_entra_token(
    api_server: ApiServer,
) -> None:
    clock = FakeClock()
    _, source = counting_tokens(clock, "entra", 3600)
    asked: list[tuple[str, str, str]] = []

    def fetch(subscription: str, group: str, name: str) -> bytes:
        asked.append((subscription, group, name))
        return aks_kubeconfig(api_server.url, None)

    cfg = aks_configuration(SUB, "rg", "search", fetch=fetch, token_source=source, clock=clock)
    api_server.answer(
        "GET", SCALE, 200, {"spec": {"replicas": 1}, "metadata": {"resourceVersion": "1"}}
    )
    with ApiClient(cfg) as client:
        RealKube(client, timeout=2).get_scale("db", "weaviate")

    assert asked == [(SUB, "rg", "search")]
    assert api_server.last.headers["authorization"] == "Bearer entra-1"


def test_aks_kubeconfig_ca_is_decoded() -> None:
    ca = base64.b64encode(PEM.encode()).decode()
    endpoint = endpoint_from_kubeconfig(
        aks_kubeconfig("https://search.hcp.westeurope.azmk8s.io:443", ca)
    )
    assert endpoint == ClusterEndpoint("https://search.hcp.westeurope.azmk8s.io:443", PEM)


@pytest.mark.parametrize(
    "kubeconfig",
    [
        pytest.param(b"clusters: []", id="no-clusters"),
        pytest.param(b": : :", id="not-yaml"),
        pytest.param(b"", id="empty"),
    ],
)
def test_unusable_aks_kubeconfig_is_invalid_input(kubeconfig: bytes) -> None:
    with pytest.raises(InvalidInputError, match=r"clusters\[0\]"):
        endpoint_from_kubeconfig(kubeconfig)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(base64.b64encode(PEM.encode()).decode(), PEM, id="pem-text"),
        pytest.param(base64.b64encode(b"\x30\x82\x01").decode(), b"\x30\x82\x01", id="der-bytes"),
    ],
)
def test_ca_data_decodes_to_what_tls_accepts(data: str, expected: str | bytes) -> None:
    assert decode_ca(data, what="ca") == expected


def test_ca_data_that_is_not_base64_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="ca"):
        decode_ca("not base64!", what="ca")


def test_eks_token_rides_in_the_authorization_header(
    monkeypatch: pytest.MonkeyPatch, api_server: ApiServer
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS", raising=False)

    cfg = eks_configuration(
        "eu-west-1", "search", describe=lambda region, name: ClusterEndpoint(api_server.url, None)
    )
    api_server.answer(
        "GET", SCALE, 200, {"spec": {"replicas": 1}, "metadata": {"resourceVersion": "1"}}
    )
    with ApiClient(cfg) as client:
        RealKube(client, timeout=2).get_scale("db", "weaviate")

    assert api_server.last.headers["authorization"].startswith("Bearer k8s-aws-v1.")
