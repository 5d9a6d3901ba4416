"""Invalid function settings are the deployment's fault: a server error, never a bad request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from weavefn import invocation

from tests.adapters.azure.conftest import http_request, sample, user_code

FIRED = "azure-monitor-metric-alert.json"


@pytest.fixture
def bad_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The warm instance built from an environment whose cluster setting is nonsense."""
    monkeypatch.setenv("WEAVEFN_CLUSTER", "nonsense:setting")
    invocation.current.cache_clear()
    yield
    invocation.current.cache_clear()


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[Lines]:
    """weavefn's log lines, whatever handlers and propagation the process configured."""
    handler, logger = Lines(), logging.getLogger("weavefn")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.mark.usefixtures("bad_settings")
def test_a_valid_alert_under_invalid_settings_is_a_500(lines: Lines) -> None:
    answer = user_code("alert")(http_request("alert", json.dumps(sample(FIRED))))

    assert answer.status_code == 500
    assert json.loads(answer.get_body()) == {"error": "function settings are invalid"}
    assert not [line for line in lines.lines if "malformed alert" in line]
    assert any("WEAVEFN_CLUSTER" in line for line in lines.lines), "the log says which setting"


@pytest.mark.usefixtures("bad_settings")
@pytest.mark.parametrize("route", ["admission", "upgrade"])
def test_the_routed_functions_answer_500_too(route: str) -> None:
    answer = user_code(route)(http_request(route, "{}"))

    assert answer.status_code == 500


@pytest.fixture
def bad_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A metrics setting the function cannot honour: Cloud Monitoring without a project."""
    monkeypatch.setenv("WEAVEFN_METRICS", "cloud-monitoring")
    for name in ("GOOGLE_CLOUD_PROJECT", "GCP_PROJECT", "WEAVEFN_CLUSTER"):
        monkeypatch.delenv(name, raising=False)
    invocation.current.cache_clear()
    # the settings are read far enough to set up JSON logging: put weavefn's logger back after
    logger = logging.getLogger("weavefn")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    try:
        yield
    finally:
        invocation.current.cache_clear()
        logger.handlers[:] = handlers
        logger.propagate, logger.level = propagate, level


@pytest.mark.usefixtures("bad_metrics")
def test_invalid_metrics_settings_are_a_500_too(lines: Lines) -> None:
    answer = user_code("alert")(http_request("alert", json.dumps(sample(FIRED))))

    assert answer.status_code == 500
    assert json.loads(answer.get_body()) == {"error": "function settings are invalid"}
    assert any("GOOGLE_CLOUD_PROJECT" in line for line in lines.lines), "the log says what"
