"""EKS access against a moto server: DescribeCluster gives endpoint and CA, STS presigning the token."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer
from weavefn.errors import NotFoundError
from weavefn.kube.access import connect
from weavefn.kube.eks import describe_cluster, eks_configuration, eks_token, presign_url
from weavefn.kube.real import RealKube

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
CLUSTER = "search-prod"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def eks(monkeypatch: pytest.MonkeyPatch, moto_url: str) -> dict[str, Any]:
    """An EKS cluster in the moto server; boto3 reaches EKS there, STS stays regional."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_EKS": moto_url,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(key, raising=False)
    client = boto3.client("eks", region_name=REGION)
    if CLUSTER not in client.list_clusters()["clusters"]:
        client.create_cluster(
            name=CLUSTER,
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        )
    cluster: dict[str, Any] = client.describe_cluster(name=CLUSTER)["cluster"]
    return cluster


def decode(token: str) -> tuple[str, dict[str, list[str]]]:
    assert token.startswith("k8s-aws-v1.")
    encoded = token.removeprefix("k8s-aws-v1.")
    assert "=" not in encoded
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    return url, parse_qs(urlsplit(url).query)


def test_connection_takes_endpoint_and_ca_from_describe_cluster(eks: dict[str, Any]) -> None:
    with connect(f"eks:{REGION}/{CLUSTER}") as kube:
        assert isinstance(kube, RealKube)
        cfg = kube.api_client.configuration

    assert cfg.host == eks["endpoint"].rstrip("/")
    assert cfg.ca_cert_data == base64.b64decode(eks["certificateAuthority"]["data"])


def test_unknown_cluster_is_not_found(eks: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError, match="missing"):
        describe_cluster(REGION, "missing")


def test_token_is_a_presigned_regional_sts_get_caller_identity(eks: dict[str, Any]) -> None:
    cfg = eks_configuration(REGION, CLUSTER)
    header = cfg.get_api_key_with_prefix("BearerToken")
    assert header.startswith("Bearer ")

    url, query = decode(header.removeprefix("Bearer "))

    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("https", f"sts.{REGION}.amazonaws.com")
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    assert f"/{REGION}/sts/aws4_request" in query["X-Amz-Credential"][0]
    assert query["X-Amz-Signature"][0]


def test_token_is_cached_for_14_minutes_then_renewed(eks: dict[str, Any]) -> None:
    now = [1_700_000_000.0]
    presigned: list[str] = []

    def counting_presign(region: str, name: str) -> str:
        presigned.append(name)
        return presign_url(region, name)

    token = eks_token(REGION, CLUSTER, presign=counting_presign, clock=lambda: now[0])

    first = token()
    now[0] += 14 * 60 - 1
    assert token() == first
    assert len(presigned) == 1
    now[0] += 1
    decode(token())
    assert presigned == [CLUSTER, CLUSTER]
