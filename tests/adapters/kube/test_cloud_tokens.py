"""Bearer-token clusters: cached tokens, CA data, and the EKS, GKE and AKS tokens on the wire."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient
from weavefn.errors import InvalidInputError
from weavefn.kube.aks import aks_configuration, endpoint_from_kubeconfig
from weavefn.kube.bearer import CachedToken, ClusterEndpoint, Token, decode_ca
from weavefn.kube.eks import eks_configuration
from weavefn.kube.gke import cluster_name, gke_configuration
from weavefn.kube.real import RealKube

from tests.adapters.kube.apiserver import ApiServer

SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
SCALE = "/apis/apps/v1/namespaces/db/statefulsets/weaviate/scale"


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
