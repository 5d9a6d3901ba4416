"""Weaviate version rules: which spec.version changes are refused, and why."""

from __future__ import annotations

import pytest
from weavefn.lifecycle.versions import allows_downtime, check_version_change, upgrade_path

# (old, new, allow_downtime, fragments every error message must contain; empty = allowed)
CASES = [
    pytest.param(None, "1.27.3", False, [], id="create-any-valid"),
    pytest.param(None, "1.24.0", False, ["older than 1.25"], id="create-below-floor"),
    pytest.param(None, "v1.27.0", False, ["no 'v'", "1.27.0"], id="create-v-prefix"),
    pytest.param("1.26.4", "v1.27.0", False, ["no 'v'"], id="update-v-prefix"),
    pytest.param("1.26.4", " 1.27.0", False, ["MAJOR.MINOR.PATCH"], id="update-padded"),
    pytest.param(None, "1.27", False, ["MAJOR.MINOR.PATCH"], id="create-not-semver"),
    pytest.param("1.27.3", "latest", False, ["MAJOR.MINOR.PATCH"], id="update-not-semver"),
    pytest.param("1.27.3", "1.27.3", False, [], id="unchanged"),
    pytest.param("1.27.3", "1.27.9", False, [], id="patch-upgrade"),
    pytest.param("1.27.9", "1.27.3", False, [], id="patch-downgrade-same-minor"),
    pytest.param("1.26.4", "1.27.0", False, [], id="one-minor-step"),
    pytest.param("1.26.4", "1.27.0-rc.1", False, [], id="one-minor-step-prerelease"),
    pytest.param("1.26.4", "1.28.0", False, ["1.27"], id="skips-one-minor"),
    pytest.param("1.26.4", "1.29.1", False, ["1.27, 1.28"], id="skips-two-minors"),
    pytest.param("1.27.3", "1.26.9", False, ["downgrade", "backup"], id="minor-downgrade"),
    pytest.param("1.24.9", "1.25.0", False, ["1.25", "weaviate.io/allow-downtime"], id="raft"),
    pytest.param("1.24.9", "1.25.0", True, [], id="raft-with-downtime-allowed"),
    pytest.param("1.25.0", "1.26.0", False, [], id="already-past-raft"),
    pytest.param("1.23.0", "1.24.5", False, ["older than 1.25"], id="below-floor-step"),
    pytest.param("1.27.3", "2.0.0", True, ["major"], id="major-upgrade"),
    pytest.param("2.0.0", "1.30.0", True, ["major"], id="major-downgrade"),
    pytest.param("garbage", "1.27.3", False, [], id="unreadable-old-version-not-blocking"),
    pytest.param("v1.26.0", "1.27.0", False, [], id="v-prefix-tolerated"),
]


@pytest.mark.parametrize(("old", "new", "downtime", "fragments"), CASES)
def test_check_version_change(
    old: str | None, new: str, downtime: bool, fragments: list[str]
) -> None:
    errors = check_version_change(old, new, allow_downtime=downtime)
    if not fragments:
        assert errors == []
        return
    assert errors, "expected the change to be refused"
    assert {e.path for e in errors} == {"spec.version"}
    text = " ".join(e.message for e in errors)
    for fragment in fragments:
        assert fragment in text


def test_skipping_past_raft_reports_both_problems() -> None:
    errors = check_version_change("1.24.1", "1.26.0", allow_downtime=False)
    messages = " | ".join(e.message for e in errors)
    assert len(errors) == 2
    assert "through the latest patch of 1.25" in messages
    assert "Raft migration" in messages


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        pytest.param("1.25.3", "1.28.0", ["1.26", "1.27", "1.28"], id="three-lines"),
        pytest.param("1.26.0", "1.27.5", ["1.27"], id="one-line"),
        pytest.param("1.27.0", "1.27.5", [], id="same-line"),
        pytest.param("1.27.0", "1.26.5", [], id="downgrade"),
        pytest.param("1.30.0", "2.1.0", ["2.1"], id="major"),
    ],
)
def test_upgrade_path(current: str, target: str, expected: list[str]) -> None:
    assert upgrade_path(current, target) == expected


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        pytest.param({"weaviate.io/allow-downtime": "true"}, True, id="true"),
        pytest.param({"weaviate.io/allow-downtime": "True"}, True, id="capitalised"),
        pytest.param({"weaviate.io/allow-downtime": "yes"}, False, id="yes-is-not-true"),
        pytest.param({"weaviate.io/allow-downtime": "false"}, False, id="false"),
        pytest.param({}, False, id="absent"),
        pytest.param(None, False, id="no-annotations"),
    ],
)
def test_allows_downtime(annotations: dict[str, str] | None, expected: bool) -> None:
    assert allows_downtime(annotations) is expected
