"""Fixtures: a recording API server on 127.0.0.1 and a RealKube pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes.client import ApiClient, Configuration
from weavefn.kube.real import RealKube

from tests.adapters.kube.apiserver import ApiServer, running_api_server


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    with running_api_server() as server:
        yield server


@pytest.fixture
def kube(api_server: ApiServer) -> Iterator[RealKube]:
    configuration = Configuration(host=api_server.url)
    configuration.retries = False
    with ApiClient(configuration) as client:
        yield RealKube(client, timeout=0.5)
