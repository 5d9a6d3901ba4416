"""Reaching a cluster's Weaviate: explicit endpoint with the API key from a Secret, refusals."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from weavefn.errors import InvalidInputError, TerminalError, WeavefnError
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.weaviate.cluster import EmbeddedWeaviate
from weavefn.model.resource import parse_cluster
from weavefn.weaviate.connect import ENDPOINT_ANNOTATION, KubeWeaviateConnector

from tests.functional.test_upgrade import manifest
from tests.support.fake_weaviate import FakeWeaviate

KEY = "k3y-that-must-stay-secret"


def secret(value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "weaviate-auth", "namespace": "weaviate"},
        "data": {"api-key": base64.b64encode(value.encode()).decode()},
    }


def cluster_with(*, endpoint: str | None, api_key: bool = True) -> Any:
    raw = manifest(**({ENDPOINT_ANNOTATION: endpoint} if endpoint else {}))
    if api_key:
        raw["spec"]["auth"] = {
            "apiKey": {"secretKeyRef": {"name": "weaviate-auth", "key": "api-key"}}
        }
    return parse_cluster(raw)


@pytest.fixture
def sim(clock: ManualClock) -> EmbeddedWeaviate:
    return EmbeddedWeaviate.seeded(
        ["search-0", "search-1"],
        collections=1,
        shards_per_collection=2,
        replication_factor=2,
        seed=1,
        version="1.27.3",
        clock=clock,
    )


def test_endpoint_annotation_with_the_api_key_from_the_secret(
    kube: LocalKube, sim: EmbeddedWeaviate
):
    kube.apply(secret(KEY))
    with FakeWeaviate(sim, api_key=KEY) as fake:
        api = KubeWeaviateConnector(kube).for_cluster(cluster_with(endpoint=fake.url), [])

        nodes = api.nodes()

    assert [n.name for n in nodes] == ["search-0", "search-1"]
    assert KEY not in repr(api)


def test_a_rejected_key_never_appears_in_the_error(kube: LocalKube, sim: EmbeddedWeaviate):
    kube.apply(secret("wrong-" + KEY))
    with FakeWeaviate(sim, api_key=KEY) as fake:
        api = KubeWeaviateConnector(kube).for_cluster(cluster_with(endpoint=fake.url), [])
        with pytest.raises(WeavefnError) as caught:
            api.nodes()

    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("endpoint", "api_key", "error", "text"),
    [
        pytest.param(None, True, TerminalError, ENDPOINT_ANNOTATION, id="key-needs-an-endpoint"),
        pytest.param(None, False, TerminalError, "cannot proxy", id="no-service-proxy"),
        pytest.param("weaviate:8080", False, InvalidInputError, "http", id="endpoint-not-a-url"),
    ],
)
def test_refusals_name_what_to_change(
    kube: LocalKube, endpoint: str | None, api_key: bool, error: type[Exception], text: str
):
    kube.apply(secret(KEY))

    with pytest.raises(error) as caught:
        KubeWeaviateConnector(kube).for_cluster(
            cluster_with(endpoint=endpoint, api_key=api_key), []
        )

    assert text in str(caught.value)
    assert KEY not in str(caught.value)
