"""status.operation is a typed union read from the wire form every weavefn version wrote."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from weavefn.model.operations import (
    DrainOperation,
    DrainPhase,
    MoveStage,
    OperationKind,
    RebalanceOperation,
    RestoreOperation,
    UnreadableOperation,
    UpgradeOperation,
    UpgradePhase,
    VolumeExpansionOperation,
)
from weavefn.model.status import WeaviateClusterStatus
from weavefn.reconcile.context import status_dict

T = "2026-11-18T10:00:00Z"

# Statuses as the dict-details code wrote them, field for field.
STORED: dict[str, dict[str, Any]] = {
    "upgrade-rolling-out": {
        "kind": "Upgrade",
        "phase": "RollingOut",
        "startedAt": T,
        "phaseStartedAt": T,
        "message": "1/3 pods on 1.27.3, backup weavefn-pre-1-27-3-x SUCCESS",
        "details": {
            "from": "1.26.5",
            "to": "1.27.3",
            "replicas": 3,
            "partition": 1,
            "backupId": "weavefn-pre-1-27-3-x",
            "backend": "s3",
            "lowestRolled": 1,
            "stepStartedAt": T,
        },
    },
    "upgrade-ended": {
        "kind": "Upgrade",
        "phase": "RolledBack",
        "startedAt": T,
        "phaseStartedAt": T,
        "message": "",
        "details": {
            "from": "1.26.5",
            "to": "1.27.3",
            "replicas": 3,
            "partition": 2,
            "error": "node w-2 is UNHEALTHY",
            "generation": 4,
        },
    },
    "drain-moving": {
        "kind": "ScaleInDrain",
        "phase": "Moving",
        "startedAt": T,
        "phaseStartedAt": T,
        "message": "1/2 replicas, 4 -> 3 nodes",
        "details": {
            "fromReplicas": 4,
            "toReplicas": 3,
            "departing": ["w-3"],
            "reason": "cpu 20% below target 70%",
            "round": 1,
            "moves": [
                {
                    "collection": "A",
                    "shard": "s1",
                    "source": "w-3",
                    "target": "w-0",
                    "stage": "Done",
                    "attempts": 0,
                    "id": "op-1",
                    "state": "READY",
                },
                {
                    "collection": "A",
                    "shard": "s2",
                    "source": "w-3",
                    "target": "w-1",
                    "stage": "Starting",
                    "attempts": 1,
                    "error": "busy",
                    "since": T,
                },
            ],
        },
    },
    "volume-expansion": {
        "kind": "VolumeExpansion",
        "phase": "RecreatingStatefulSet",
        "startedAt": T,
        "phaseStartedAt": T,
        "message": "growing volumes 100Gi -> 200Gi",
        "details": {"fromSize": "100Gi", "toSize": "200Gi", "replicas": 3},
    },
    "rebalance-balanced": {
        "kind": "Rebalance",
        "phase": "Balanced",
        "startedAt": T,
        "phaseStartedAt": T,
        "message": "replicas are balanced across the nodes",
        "details": {},
    },
    "restore-started": {
        "kind": "Restore",
        "phase": "Restoring",
        "startedAt": T,
        "phaseStartedAt": T,
        "message": "restoring weavefn-scheduled-v1-26-5-20261118t030000z from s3: TRANSFERRING",
        "details": {
            "backupId": "weavefn-scheduled-v1-26-5-20261118t030000z",
            "backend": "s3",
            "stage": "Started",
            "include": ["Articles"],
            "exclude": [],
            "nodeMapping": {"old-0": "w-0"},
            "version": "1.26.5",
            "source": "request",
            "classes": ["Articles"],
            "weaviateStatus": "TRANSFERRING",
            "attempts": 1,
        },
    },
}
TYPES = {
    "upgrade-rolling-out": UpgradeOperation,
    "upgrade-ended": UpgradeOperation,
    "drain-moving": DrainOperation,
    "volume-expansion": VolumeExpansionOperation,
    "rebalance-balanced": RebalanceOperation,
    "restore-started": RestoreOperation,
}


@pytest.mark.parametrize("name", sorted(STORED))
def test_stored_operations_read_typed_and_write_back_unchanged(name: str) -> None:
    stored = {"operation": STORED[name], "lastOperation": STORED[name]}

    status = WeaviateClusterStatus.model_validate(copy.deepcopy(stored))

    assert type(status.operation) is TYPES[name]
    assert type(status.last_operation) is TYPES[name]
    written = status_dict(status)
    assert written["operation"] == stored["operation"]
    assert written["lastOperation"] == stored["lastOperation"]


def test_typed_details_carry_their_values() -> None:
    status = WeaviateClusterStatus.model_validate({"operation": STORED["drain-moving"]})

    operation = status.operation
    assert isinstance(operation, DrainOperation)
    assert operation.phase is DrainPhase.MOVING
    assert operation.details.departing == ["w-3"]
    assert [m.stage for m in operation.details.moves] == [MoveStage.DONE, MoveStage.STARTING]
    assert operation.details.moves[0].op_id == "op-1"


@pytest.mark.parametrize(
    ("kind", "raw", "problem"),
    [
        pytest.param(
            OperationKind.SCALE_IN_DRAIN,
            {**STORED["drain-moving"], "details": {"toReplicas": 3, "departing": ["w-3"]}},
            "details.fromReplicas",
            id="drain-missing-a-field",
        ),
        pytest.param(
            OperationKind.UPGRADE,
            {**STORED["upgrade-rolling-out"], "phase": "Sideways"},
            "phase",
            id="upgrade-unknown-phase",
        ),
        pytest.param(
            OperationKind.REBALANCE,
            {**STORED["rebalance-balanced"], "details": {"moves": "all of them"}},
            "details.moves",
            id="rebalance-moves-not-a-list",
        ),
        pytest.param(None, {"kind": "Reshard", "phase": "Splitting"}, "", id="unknown-kind"),
    ],
)
def test_an_operation_that_does_not_validate_is_kept_as_found(
    kind: OperationKind | None, raw: dict[str, Any], problem: str
) -> None:
    # the status still parses: the step owning the kind ends it, the rest of status is intact
    status = WeaviateClusterStatus.model_validate(
        {"operation": copy.deepcopy(raw), "currentVersion": "1.26.5"}
    )

    operation = status.operation
    assert isinstance(operation, UnreadableOperation)
    assert operation.kind is kind
    assert problem in operation.problem
    assert status.current_version == "1.26.5"
    assert status_dict(status)["operation"] == raw


def test_an_upgrade_state_round_trips_through_its_operation() -> None:
    from weavefn.lifecycle.upgrade.state import UpgradeState

    operation = WeaviateClusterStatus.model_validate(
        {"operation": STORED["upgrade-rolling-out"]}
    ).operation
    assert isinstance(operation, UpgradeOperation)

    state = UpgradeState.of(operation)
    again = state.operation(started_at=operation.started_at, message=operation.message)

    assert state.phase is UpgradePhase.ROLLING_OUT
    assert (state.partition, state.lowest_rolled, state.backend) == (1, 1, "s3")
    assert again == operation
