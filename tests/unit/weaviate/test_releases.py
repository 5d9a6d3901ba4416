"""What each Weaviate release reads: the replica movement switch and version floors."""

from __future__ import annotations

import pytest
from weavefn.weaviate import releases


@pytest.mark.parametrize(
    ("version", "env", "on"),
    [
        pytest.param(
            "1.31.0", {"REPLICA_MOVEMENT_ENABLED": "true"}, False, id="no-api-before-1-32"
        ),
        pytest.param("1.32.0", {}, True, id="1.32.0-on-by-default"),
        pytest.param(
            "1.32.5", {"REPLICA_MOVEMENT_ENABLED": "false"}, True, id="1.32.5-ignores-enabled"
        ),
        pytest.param("1.32.5", {"REPLICA_MOVEMENT_DISABLED": "TRUE"}, False, id="1.32.5-disabled"),
        pytest.param("1.32.5", {"REPLICA_MOVEMENT_DISABLED": "yes"}, True, id="yes-is-not-true"),
        pytest.param("1.32.16", {}, False, id="1.32.16-off-by-default"),
        pytest.param(
            "1.32.16", {"REPLICA_MOVEMENT_DISABLED": "false"}, False, id="1.32.16-ignores"
        ),
        pytest.param("1.32.16", {"REPLICA_MOVEMENT_ENABLED": "on"}, True, id="1.32.16-on"),
        pytest.param("1.33.3", {}, True, id="1.33.3-on-by-default"),
        pytest.param("1.33.4", {"REPLICA_MOVEMENT_ENABLED": "1"}, True, id="1.33.4-enabled"),
        pytest.param("1.33.4", {}, False, id="1.33.4-off-by-default"),
        pytest.param("1.34.0", {"REPLICA_MOVEMENT_ENABLED": "enabled"}, True, id="1.34-enabled"),
        pytest.param("1.39.0", {}, False, id="1.39-off-by-default"),
        pytest.param("garbage", {}, False, id="unreadable"),
    ],
)
def test_movement_follows_the_variable_each_release_reads(
    version: str, env: dict[str, str], on: bool
) -> None:
    assert releases.movement_on(version, env) is on


@pytest.mark.parametrize("version", ["1.32.3", "1.32.16", "1.33.2", "1.33.4", "1.34.1", "1.38.0"])
@pytest.mark.parametrize("enabled", [True, False])
def test_the_rendered_switch_does_what_it_asks(version: str, enabled: bool) -> None:
    assert releases.movement_on(version, releases.movement_env(version, enabled=enabled)) is enabled


def test_at_least_reads_lines() -> None:
    assert releases.at_least("1.29.0", releases.REQUEST_METRICS_SINCE)
    assert not releases.at_least("1.28.16", releases.REQUEST_METRICS_SINCE)
    assert not releases.at_least("latest", releases.REQUEST_METRICS_SINCE)
