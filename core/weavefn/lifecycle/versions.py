"""Weaviate version rules for a change of spec.version: pure, shared by admission and upgrades."""

from __future__ import annotations

from collections.abc import Mapping

from weavefn.errors import FieldError
from weavefn.lifecycle.admission_rules import upgrade_backup_errors
from weavefn.model.base import version_problem
from weavefn.model.resource import ALLOW_DOWNTIME_ANNOTATION, WeaviateCluster
from weavefn.model.units import Version

VERSION_PATH = "spec.version"
RAFT_LINE = (1, 25)
"""The first minor line on Raft; reaching it from below re-creates the StatefulSet. Only a
cluster whose stored version predates weavefn's 1.25 floor can still cross it."""


def _line(line: tuple[int, int]) -> str:
    return f"{line[0]}.{line[1]}"


def allows_downtime(annotations: Mapping[str, str] | None) -> bool:
    """Whether the resource carries ``weaviate.io/allow-downtime: "true"``."""
    value = (annotations or {}).get(ALLOW_DOWNTIME_ANNOTATION, "")
    return isinstance(value, str) and value.strip().lower() == "true"


def upgrade_path(current: str, target: str) -> list[str]:
    """The minor lines an upgrade from ``current`` to ``target`` passes through, target included.

    ``1.25.3 -> 1.28.0`` gives ``["1.26", "1.27", "1.28"]``; a change within one minor line or a
    downgrade crosses none. Across majors the intermediate lines are unknowable, so only the
    target's line is listed (such changes are refused anyway).
    """
    old, new = Version.parse(current), Version.parse(target)
    if new.minor_line <= old.minor_line:
        return []
    if new.major != old.major:
        return [_line(new.minor_line)]
    return [_line((old.major, minor)) for minor in range(old.minor + 1, new.minor + 1)]


def check_version_change(old: str | None, new: str, *, allow_downtime: bool) -> list[FieldError]:
    """Every rule a move of spec.version from ``old`` (None on creation) to ``new`` breaks."""
    problem = version_problem(new) if isinstance(new, str) else "must be a text version"
    if problem is not None:
        return [FieldError(VERSION_PATH, problem)]
    target = Version.parse(new)
    if old is None:
        return []
    try:
        current = Version.parse(old)
    except (ValueError, TypeError, AttributeError):
        # An unreadable stored version cannot be compared; refusing would leave no way to fix it.
        return []
    if target.major != current.major:
        return [
            FieldError(
                VERSION_PATH,
                f"changing the major version ({current} -> {target}) is not supported",
            )
        ]
    if target.minor_line < current.minor_line:
        return [
            FieldError(
                VERSION_PATH,
                f"downgrade {current} -> {target} crosses minor versions: restore a backup instead",
            )
        ]
    errors: list[FieldError] = []
    path = upgrade_path(str(current), str(target))
    if len(path) > 1:
        steps = ", ".join(path[:-1])
        errors.append(
            FieldError(
                VERSION_PATH,
                f"{current} -> {target} skips minor versions: upgrade one minor at a time, "
                f"through the latest patch of {steps} first",
            )
        )
    if current.minor_line < RAFT_LINE <= target.minor_line and not allow_downtime:
        errors.append(
            FieldError(
                VERSION_PATH,
                f"{current} -> {target} crosses {_line(RAFT_LINE)} (Raft migration), which "
                "re-creates the StatefulSet with downtime; set annotation "
                f'{ALLOW_DOWNTIME_ANNOTATION}: "true" to accept it',
            )
        )
    return errors


def check_upgrade(cluster: WeaviateCluster, version: str) -> list[FieldError]:
    """The rules admission applies, for moving ``cluster`` to ``version``: the version rules,
    and a backup that can be written (the upgrade starts with one)."""
    errors = check_version_change(
        cluster.spec.version,
        version,
        allow_downtime=allows_downtime(cluster.metadata.annotations),
    )
    if errors or version == cluster.spec.version:
        return errors
    moved = cluster.model_copy(
        update={"spec": cluster.spec.model_copy(update={"version": version})}
    )
    return upgrade_backup_errors(moved, old=cluster.to_dict())
