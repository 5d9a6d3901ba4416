"""spec.restoreFrom in admission and validate, the backup ids' versions and the restore checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from weavefn.lifecycle.admission import review
from weavefn.lifecycle.backup_schedule import BackupReason, backup_id
from weavefn.lifecycle.restore.checks import (
    Facts,
    RestoreAsk,
    Target,
    ask_errors,
    body_path,
    fact_errors,
    known_version,
    version_errors,
)
from weavefn.lifecycle.upgrade.rollout import backup_id_for
from weavefn.model.backup_ids import version_of, version_tag
from weavefn.model.status import BackupRecord
from weavefn.model.units import Version
from weavefn.weaviate.port import BackupStatus

from tests.unit.lifecycle.reviews import admission, cluster

S3 = {"type": "aws", "aws": {"backup": {"bucket": "backups"}}}
TAKEN = "weavefn-scheduled-v1-27-1-20261118t030000z"


@pytest.mark.parametrize(
    ("version", "tag"),
    [("1.27.3", "v1-27-3"), ("1.28.0-rc.1", "v1-28-0-rc_1"), ("2.0.10", "v2-0-10")],
    ids=["release", "prerelease", "major-2"],
)
def test_a_backup_id_carries_its_version(version: str, tag: str) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 18, 3, tzinfo=UTC)
    scheduled = backup_id(BackupReason.SCHEDULED, now, version=version)
    before_upgrade = backup_id_for("9.9.9", now, source=version)

    assert version_tag(version) == tag
    assert scheduled == f"weavefn-scheduled-{tag}-20261118t030000z"
    assert before_upgrade == f"weavefn-pre-9-9-9-{tag}-20261118t030000z"
    assert version_of(scheduled) == version_of(before_upgrade) == Version.parse(version)


@pytest.mark.parametrize(
    "backup",
    ["weavefn-pre-1-27-3-20261125t101500z", "nightly", "weavefn-on-demand-20261118t030000z"],
    ids=["old-pre-upgrade", "foreign", "old-on-demand"],
)
def test_ids_without_a_version_say_none(backup: str) -> None:
    assert version_of(backup) is None


def test_the_known_version_is_asked_then_named_then_recorded() -> None:
    record = BackupRecord(
        id="nightly", backend="s3", status="SUCCESS", started_at="x", version="1.26.5"
    )
    assert known_version(RestoreAsk("s3", "nightly", version="1.26.0"), [record]) == "1.26.0"
    assert known_version(RestoreAsk("s3", TAKEN), [record]) == "1.27.1"
    assert known_version(RestoreAsk("s3", "nightly"), [record]) == "1.26.5"
    assert known_version(RestoreAsk("s3", "nightly"), []) is None


TARGET = Target(name="wv", replicas=3, backend="s3")


@pytest.mark.parametrize(
    ("ask", "target", "paths"),
    [
        pytest.param(RestoreAsk("s3", TAKEN), TARGET, [], id="fine"),
        pytest.param(RestoreAsk("gcs", TAKEN), TARGET, ["backend"], id="other-backend"),
        pytest.param(RestoreAsk("s3", TAKEN), Target("wv", 3, None), ["backend"], id="no-backend"),
        pytest.param(
            RestoreAsk("filesystem", TAKEN),
            Target("wv", 3, "filesystem"),
            ["backend"],
            id="filesystem-three-nodes",
        ),
        pytest.param(
            RestoreAsk("filesystem", TAKEN), Target("wv", 1, "filesystem"), [], id="fs-one"
        ),
        pytest.param(
            RestoreAsk("s3", TAKEN, include=("A",), exclude=("B",)),
            TARGET,
            ["exclude"],
            id="include-and-exclude",
        ),
        pytest.param(RestoreAsk("s3", TAKEN, include=("A", "A")), TARGET, ["include"], id="twice"),
        pytest.param(
            RestoreAsk("s3", TAKEN, include=("Articles", "articles", "Art*")),
            TARGET,
            ["include"],
            id="not-collection-names",
        ),
        pytest.param(
            RestoreAsk("s3", TAKEN, exclude=("A" * 256,)), TARGET, ["exclude"], id="name-too-long"
        ),
        pytest.param(RestoreAsk("s3", "Nightly Run"), TARGET, ["backup"], id="not-a-backup-id"),
        pytest.param(RestoreAsk("s3", "a" * 129), TARGET, ["backup"], id="backup-id-too-long"),
        pytest.param(
            RestoreAsk("s3", TAKEN, node_mapping={"old-0": "wv-3"}),
            TARGET,
            ["nodeMapping"],
            id="mapping-beyond-replicas",
        ),
        pytest.param(
            RestoreAsk("s3", TAKEN, node_mapping={"a-0": "wv-0", "a-1": "wv-0"}),
            TARGET,
            ["nodeMapping"],
            id="mapping-twice-onto-one",
        ),
    ],
)
def test_ask_errors(ask: RestoreAsk, target: Target, paths: list[str]) -> None:
    assert [e.path for e in ask_errors(ask, target, path=body_path)] == paths


def test_a_name_that_is_no_collection_is_named_and_cut_short() -> None:
    ask = RestoreAsk("s3", TAKEN, include=("articles", "X" * 300, "Art*", "a b", "Fine"))
    (error,) = ask_errors(ask, TARGET, path=body_path)
    assert error.message.startswith("'articles', 'XXXX")
    assert "...', 'Art*' and 1 more: not a Weaviate collection name" in error.message
    assert len(error.message) < 200


@pytest.mark.parametrize(
    ("ask", "backup", "running", "problem"),
    [
        pytest.param(RestoreAsk("s3", TAKEN), "1.27.1", "1.27.1", None, id="same"),
        pytest.param(RestoreAsk("s3", TAKEN), "1.27.1", "1.28.0", None, id="older"),
        pytest.param(RestoreAsk("s3", TAKEN), "1.27.1", "1.27.0", "newer than", id="newer"),
        pytest.param(RestoreAsk("s3", "nightly"), None, "1.27.0", "is unknown", id="unknown"),
        pytest.param(
            RestoreAsk("s3", TAKEN, version="1.26.0"),
            "1.26.0",
            "1.27.0",
            "contradicts",
            id="contradicts-the-id",
        ),
        pytest.param(RestoreAsk("s3", "nightly"), "1.27.1", None, None, id="cluster-unknown"),
    ],
)
def test_version_errors(
    ask: RestoreAsk, backup: str | None, running: str | None, problem: str | None
) -> None:
    found = version_errors(ask, backup=backup, cluster=running, path=body_path)
    assert [problem in e.message for e in found] == ([True] if problem else [])


def facts(**changes: Any) -> Facts:
    base: dict[str, Any] = {
        "version": "1.32.5",
        "nodes": ("wv-0", "wv-1", "wv-2"),
        "unhealthy": (),
        "collections": ("Products",),
        "backup": BackupStatus.SUCCESS,
        "backup_classes": ("Articles", "Products"),
    }
    return Facts(**{**base, **changes})


@pytest.mark.parametrize(
    ("ask", "seen", "problem"),
    [
        pytest.param(RestoreAsk("s3", TAKEN, include=("Articles",)), facts(), None, id="fine"),
        pytest.param(
            RestoreAsk("s3", TAKEN), facts(), "already in the cluster: Products", id="exists"
        ),
        pytest.param(
            RestoreAsk("s3", TAKEN, include=("Articles",)),
            facts(collections=("articles",)),
            "Articles (as articles)",
            id="exists-in-another-case",
        ),
        pytest.param(RestoreAsk("s3", TAKEN, exclude=("Products",)), facts(), None, id="excluded"),
        pytest.param(
            RestoreAsk("s3", TAKEN, include=("Nope",)), facts(), "holds no Nope", id="lacking"
        ),
        pytest.param(
            RestoreAsk("s3", TAKEN, exclude=("Articles", "Products")),
            facts(collections=()),
            "leaves nothing",
            id="nothing-left",
        ),
        pytest.param(RestoreAsk("s3", TAKEN), facts(backup=None), "no backup", id="unknown"),
        pytest.param(
            RestoreAsk("s3", TAKEN),
            facts(backup=BackupStatus.FAILED),
            "is FAILED",
            id="did-not-succeed",
        ),
        pytest.param(
            RestoreAsk("s3", TAKEN),
            facts(backup_classes=None, collections=("Articles",)),
            None,
            id="classes-unknown-only-weaviate-knows",
        ),
    ],
)
def test_fact_errors(ask: RestoreAsk, seen: Facts, problem: str | None) -> None:
    found = fact_errors(ask, seen, path=body_path)
    assert [problem in e.message for e in found] == ([True] if problem else []), found


def create(**restore_from: Any) -> dict[str, Any]:
    body = cluster(cloudProvider=S3, restoreFrom={"backend": "s3", "id": TAKEN, **restore_from})
    return review(admission("CREATE", body)).response["response"]


@pytest.mark.parametrize(
    ("restore_from", "denied"),
    [
        pytest.param({}, None, id="fine"),
        pytest.param({"backend": "gcs"}, "spec.restoreFrom.backend", id="backend-not-enabled"),
        pytest.param({"id": "nightly"}, "spec.restoreFrom.version", id="version-unknown"),
        pytest.param({"id": "nightly", "version": "1.26.5"}, None, id="version-given"),
        pytest.param(
            {"id": "weavefn-on-demand-v1-28-0-20261118t030000z"},
            "newer than the cluster's 1.27.3",
            id="newer-than-spec-version",
        ),
        pytest.param({"include": ["A"], "exclude": ["B"]}, "spec.restoreFrom.exclude", id="both"),
        pytest.param(
            {"nodeMapping": {"old-0": "wv-5"}}, "spec.restoreFrom.nodeMapping", id="stranger"
        ),
        pytest.param({"id": "UPPER"}, "spec.restoreFrom.id", id="id-pattern"),
    ],
)
def test_admission_refuses_a_restore_from_it_can_see_is_wrong(
    restore_from: dict[str, Any], denied: str | None
) -> None:
    response = create(**restore_from)
    if denied is None:
        assert response["allowed"], response
    else:
        assert not response["allowed"] and denied in response["status"]["message"], response


@pytest.mark.parametrize(
    ("before", "after", "allowed"),
    [
        pytest.param(
            {"backend": "s3", "id": TAKEN}, {"backend": "s3", "id": TAKEN}, True, id="kept"
        ),
        pytest.param({"backend": "s3", "id": TAKEN}, None, True, id="dropped"),
        pytest.param(None, {"backend": "s3", "id": TAKEN}, False, id="added"),
        pytest.param(
            {"backend": "s3", "id": TAKEN},
            {"backend": "s3", "id": "weavefn-scheduled-v1-27-1-20261119t030000z"},
            False,
            id="changed",
        ),
    ],
)
def test_restore_from_is_fixed_once_the_cluster_exists(
    before: dict[str, Any] | None, after: dict[str, Any] | None, allowed: bool
) -> None:
    old = cluster(cloudProvider=S3, **({"restoreFrom": before} if before else {}))
    new = copy.deepcopy(old)
    new["spec"].pop("restoreFrom", None)
    if after is not None:
        new["spec"]["restoreFrom"] = after

    response = review(admission("UPDATE", new, old)).response["response"]

    assert response["allowed"] is allowed, response
    if not allowed:
        assert "spec.restoreFrom" in response["status"]["message"]
