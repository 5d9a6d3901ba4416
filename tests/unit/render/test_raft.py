"""The Raft voter set chosen at creation."""

from __future__ import annotations

import pytest
from weavefn.render import default_voters


@pytest.mark.parametrize(
    ("replicas", "override", "expected"),
    [
        pytest.param(1, None, ["w-0"], id="single-node"),
        pytest.param(2, None, ["w-0"], id="two-nodes-one-voter"),
        pytest.param(3, None, ["w-0", "w-1", "w-2"], id="three-from-three"),
        pytest.param(9, None, ["w-0", "w-1", "w-2"], id="still-three-at-nine"),
        pytest.param(10, None, [f"w-{i}" for i in range(5)], id="five-from-ten"),
        pytest.param(40, None, [f"w-{i}" for i in range(5)], id="five-stays-at-forty"),
        pytest.param(7, 5, [f"w-{i}" for i in range(5)], id="spec-override"),
        pytest.param(3, 1, ["w-0"], id="override-down"),
    ],
)
def test_voters_are_the_lowest_ordinals(
    replicas: int, override: int | None, expected: list[str]
) -> None:
    assert default_voters("w", replicas, override) == expected


@pytest.mark.parametrize(
    ("replicas", "override"),
    [
        pytest.param(0, None, id="no-replicas"),
        pytest.param(3, 5, id="more-voters-than-pods"),
        pytest.param(3, 0, id="zero-voters"),
    ],
)
def test_impossible_voter_sets_are_refused(replicas: int, override: int | None) -> None:
    with pytest.raises(ValueError, match=r"replicas|voters"):
        default_voters("w", replicas, override)
