"""Whether a restore may be asked of Weaviate: every refusal that can be known first (pure).

Weaviate's own refusals (usecases/backup/scheduler.go validateRestoreRequest and
coordinator.go) are mirrored where the facts are at hand, so a user hears the reason before
anything changes: a backend whose module is not enabled, the filesystem backend on more than
one node, ``include`` with ``exclude``, an include listed twice, a backup that is unknown or
did not succeed, a class the backup lacks, nothing left to restore, a node the backup's data
would land on that is not in the cluster. One refusal is weavefn's, not Weaviate's: a
collection that already exists. Weaviate accepts that request, transfers the data, and
fails the class at the end (cluster/schema/manager.go refuses restoring a class whose name,
in any case, exists), having restored the others. And one is weavefn's own rule: a backup
taken on a newer Weaviate than the cluster runs (Weaviate only refuses a newer backup
*format*; files written by a newer release are not promised to read in an older one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from weavefn.errors import FieldError
from weavefn.model.backup_ids import version_of
from weavefn.model.units import Version
from weavefn.weaviate.port import BackupStatus

if TYPE_CHECKING:  # the status models load only where a status is read (not in validate)
    from weavefn.model.status import BackupRecord


BACKUP_ID = re.compile(r"[a-z0-9_-]{1,128}")
"""Weaviate's backup ids (usecases/backup validateID), as long as weavefn's other doors take."""
COLLECTION_NAME = re.compile(r"[A-Z][_0-9A-Za-z]{0,254}")
"""A Weaviate class name (entities/schema/validation.go, ClassNameRegexCore). weavefn compares
names exactly, so the wildcards newer releases expand in include/exclude are not taken."""


class AskField(StrEnum):
    """The parts of a restore request, named as the request body names them."""

    BACKEND = "backend"
    BACKUP = "backup"
    INCLUDE = "include"
    EXCLUDE = "exclude"
    VERSION = "version"
    NODE_MAPPING = "nodeMapping"


PathOf = Callable[[AskField], str]
"""How each part is spelled where the request came from (--include, spec.restoreFrom.include)."""


def body_path(part: AskField) -> str:
    return str(part)


@dataclass(frozen=True)
class RestoreAsk:
    """One restore, as asked: which backup, which collections, onto which nodes."""

    backend: str
    backup_id: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    node_mapping: Mapping[str, str] = field(default_factory=dict)
    version: str | None = None
    """The Weaviate version the backup was taken on, when the asker says it."""


@dataclass(frozen=True)
class Target:
    """The cluster a restore goes into, as far as the spec and status tell."""

    name: str
    replicas: int
    backend: str | None
    """The backup backend the cluster enables, if any."""
    backend_problem: FieldError | None = None
    """Why that backend cannot work (a missing Azure credential), if it cannot."""


@dataclass(frozen=True)
class Facts:
    """What Weaviate said just now about the cluster and the backup."""

    version: str | None
    """The oldest version a node reports (/v1/nodes): what the data must be readable by."""
    nodes: tuple[str, ...]
    unhealthy: tuple[str, ...]
    """Nodes not HEALTHY: a restore waits for every node."""
    collections: tuple[str, ...]
    backup: BackupStatus | None
    """The backup's status (GET /v1/backups/{backend}/{id}); None when it is not there."""
    backup_classes: tuple[str, ...] | None = None
    """The backup's collections, when known (the list endpoint, or weavefn's record)."""
    error: str | None = None
    """Weaviate's refusal of the backup status request, verbatim."""


def known_version(ask: RestoreAsk, records: list[BackupRecord]) -> str | None:
    """The version the backup was taken on: as asked, as its id says, or as weavefn recorded."""
    if ask.version:
        return ask.version
    from_id = version_of(ask.backup_id)
    if from_id is not None:
        return str(from_id)
    for record in records:
        if record.id == ask.backup_id and record.reason != "restore" and record.version:
            return record.version
    return None


def _asked_version_errors(ask: RestoreAsk, where: str) -> list[FieldError]:
    """A version given must be one, and agree with the backup's id where that says one."""
    if not ask.version:
        return []
    try:
        asked = Version.parse(ask.version)
    except ValueError as exc:  # the CLI's --version arrives unparsed
        return [FieldError(where, str(exc))]
    named = version_of(ask.backup_id)
    if named is not None and asked != named:
        return [FieldError(where, f"{ask.version} contradicts the backup's id, which says {named}")]
    return []


def version_errors(
    ask: RestoreAsk, *, backup: str | None, cluster: str | None, path: PathOf
) -> list[FieldError]:
    """The backup's version must be known, agree with its id, and not be newer than ``cluster``."""
    where = path(AskField.VERSION)
    asked = _asked_version_errors(ask, where)
    if asked:
        return asked
    if backup is None:
        return [
            FieldError(
                where,
                f"the Weaviate version backup {ask.backup_id} was taken on is unknown (its id "
                "does not say, and weavefn has no record of it): give it, so that a backup "
                "newer than the cluster is not restored",
            )
        ]
    if cluster is None:
        return []
    try:
        newer = Version.parse(backup) > Version.parse(cluster)
    except ValueError:
        return []  # an unreadable node version promises nothing; Weaviate decides
    if newer:
        return [
            FieldError(
                where,
                f"backup {ask.backup_id} was taken on Weaviate {backup}, newer than the "
                f"cluster's {cluster}: a release does not promise to read what a newer one "
                f"wrote; restore it into {backup} or later",
            )
        ]
    return []


def ask_errors(ask: RestoreAsk, target: Target, *, path: PathOf) -> list[FieldError]:
    """What is wrong with the request itself, for this cluster, before Weaviate is asked."""
    errors: list[FieldError] = []
    if not BACKUP_ID.fullmatch(ask.backup_id):
        shown = ask.backup_id if len(ask.backup_id) <= 40 else ask.backup_id[:40] + "..."
        errors.append(
            FieldError(
                path(AskField.BACKUP),
                f"{shown!r} is not a backup id: up to 128 lowercase letters, digits, '_' or '-'",
            )
        )
    if target.backend is None:
        errors.append(
            FieldError(
                path(AskField.BACKEND),
                f"{target.name} has no backup backend (spec.cloudProvider.<cloud>.backup or a "
                "backup-* module): Weaviate cannot read any backup",
            )
        )
    elif ask.backend != target.backend:
        errors.append(
            FieldError(
                path(AskField.BACKEND),
                f"{ask.backend} is not the backup backend of {target.name} ({target.backend}): "
                "Weaviate restores only through a backup module it enables",
            )
        )
    elif target.backend_problem is not None:
        errors.append(target.backend_problem)
    if ask.backend == "filesystem" and target.replicas > 1:
        errors.append(
            FieldError(
                path(AskField.BACKEND),
                f"the filesystem backend lives on one node's disk: Weaviate refuses it for a "
                f"cluster of {target.replicas} nodes; use s3, gcs or azure",
            )
        )
    if ask.include and ask.exclude:
        errors.append(FieldError(path(AskField.EXCLUDE), "give include or exclude, not both"))
    repeated = sorted({c for i, c in enumerate(ask.include) if c in ask.include[:i]})
    if repeated:
        errors.append(
            FieldError(path(AskField.INCLUDE), f"lists {', '.join(repeated)} more than once")
        )
    for part, names in ((AskField.INCLUDE, ask.include), (AskField.EXCLUDE, ask.exclude)):
        errors.extend(_name_errors(names, path(part)))
    errors.extend(mapping_errors(ask.node_mapping, target, path=path))
    return errors


def _name_errors(names: tuple[str, ...], where: str) -> list[FieldError]:
    bad = [n for n in names if not COLLECTION_NAME.fullmatch(n)]
    if not bad:
        return []
    shown = ", ".join(repr(n if len(n) <= 40 else n[:40] + "...") for n in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return [
        FieldError(
            where,
            f"{shown}{more}: not a Weaviate collection name ([A-Z][_0-9A-Za-z]{{0,254}}, "
            "no wildcards)",
        )
    ]


def node_names(target: Target) -> list[str]:
    """The cluster's Weaviate nodes: its pods, ``<name>-0`` up."""
    return [f"{target.name}-{i}" for i in range(target.replicas)]


def mapping_errors(mapping: Mapping[str, str], target: Target, *, path: PathOf) -> list[FieldError]:
    nodes = node_names(target)
    errors = []
    strangers = sorted({v for v in mapping.values() if v not in nodes})
    if strangers:
        errors.append(
            FieldError(
                path(AskField.NODE_MAPPING),
                f"maps onto {', '.join(strangers)}, not a node of {target.name} "
                f"({nodes[0]}..{nodes[-1]})",
            )
        )
    targets = list(mapping.values())
    doubled = sorted({v for i, v in enumerate(targets) if v in targets[:i]})
    if doubled:
        errors.append(
            FieldError(
                path(AskField.NODE_MAPPING),
                f"maps two backup nodes onto {', '.join(doubled)}: each keeps its own data",
            )
        )
    return errors


def fact_errors(ask: RestoreAsk, facts: Facts, *, path: PathOf) -> list[FieldError]:
    """What Weaviate's answers rule out: the backup, its classes, collections that exist."""
    backup = path(AskField.BACKUP)
    if facts.backup is None:
        reason = facts.error or f"no backup {ask.backup_id} on backend {ask.backend}"
        return [FieldError(backup, reason)]
    if facts.backup is not BackupStatus.SUCCESS:
        return [
            FieldError(
                backup,
                f"backup {ask.backup_id} is {facts.backup}: only a backup that succeeded can "
                "be restored",
            )
        ]
    errors: list[FieldError] = []
    chosen = wanted(ask, facts.backup_classes)
    if facts.backup_classes is not None:
        lacking = [c for c in ask.include if c not in facts.backup_classes]
        if lacking:
            errors.append(
                FieldError(
                    path(AskField.INCLUDE),
                    f"backup {ask.backup_id} holds no {', '.join(lacking)} (it holds "
                    f"{', '.join(facts.backup_classes) or 'nothing'})",
                )
            )
        elif not chosen:
            errors.append(
                FieldError(
                    path(AskField.EXCLUDE),
                    f"leaves nothing to restore of {', '.join(facts.backup_classes)}",
                )
            )
    # Weaviate takes names that differ only in case for the same class
    existing = {c.lower(): c for c in facts.collections}
    clash = [
        c + ("" if existing[c.lower()] == c else f" (as {existing[c.lower()]})")
        for c in chosen
        if c.lower() in existing
    ]
    if clash:
        errors.append(
            FieldError(
                path(AskField.INCLUDE if ask.include else AskField.BACKUP),
                f"collections already in the cluster: {', '.join(clash)}; Weaviate would "
                "transfer the backup and then fail them (restoring the others): drop them "
                "first, or leave them out (exclude)",
            )
        )
    return errors


def wanted(ask: RestoreAsk, classes: tuple[str, ...] | None) -> list[str]:
    """The collections the restore brings, as far as known (nothing, when the backup's
    classes are unknown and none were named)."""
    if ask.include:
        return list(ask.include)
    if classes is None:
        return []
    return [c for c in classes if c not in ask.exclude]
