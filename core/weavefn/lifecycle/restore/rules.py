"""Admission rules for spec.restoreFrom: what can be refused before the cluster exists (pure).

On CREATE (and ``weavefn validate``): the backup must be readable through the backend the
cluster enables (and, on more than one node, not the filesystem), include and exclude are
not both given, the node mapping lands on the cluster's own pods, and the Weaviate version
the backup was taken on is known (its id or ``version``) and not newer than spec.version.
On UPDATE: restoreFrom is fixed once the cluster exists (it restored once, or it will); it may
be dropped. What only Weaviate knows (the backup exists, succeeded, holds those classes) is
checked by the restore step when it runs, and ends it Failed with the reason.
"""

from __future__ import annotations

from typing import Any

from weavefn.errors import FieldError
from weavefn.lifecycle.restore.checks import (
    AskField,
    RestoreAsk,
    Target,
    ask_errors,
    known_version,
    version_errors,
)
from weavefn.model.manifest import ClusterManifest
from weavefn.model.restore_from import RestoreFrom
from weavefn.providers import backup_backend, backup_problem

PATH = "spec.restoreFrom"


def spec_path(part: AskField) -> str:
    """How spec.restoreFrom spells each part of a restore."""
    name = "id" if part is AskField.BACKUP else str(part)
    return f"{PATH}.{name}"


def ask_of_spec(restore_from: RestoreFrom) -> RestoreAsk:
    return RestoreAsk(
        backend=str(restore_from.backend),
        backup_id=restore_from.id,
        include=tuple(restore_from.include),
        exclude=tuple(restore_from.exclude),
        node_mapping=dict(restore_from.node_mapping),
        version=restore_from.version,
    )


def restore_from_errors(cluster: ClusterManifest) -> list[FieldError]:
    """Every problem with a new cluster's spec.restoreFrom that the manifest shows."""
    restore_from = cluster.spec.restore_from
    if restore_from is None:
        return []
    ask = ask_of_spec(restore_from)
    target = Target(
        name=cluster.metadata.name,
        replicas=cluster.spec.replicas,
        backend=backup_backend(cluster),
        backend_problem=backup_problem(cluster),
    )
    return [
        *ask_errors(ask, target, path=spec_path),
        *version_errors(
            ask, backup=known_version(ask, []), cluster=cluster.spec.version, path=spec_path
        ),
    ]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def restore_from_change_errors(*, old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """An UPDATE from the ``old`` object to the ``new`` spec may drop restoreFrom, not set it."""
    before = _dict(old.get("spec")).get("restoreFrom")
    after = new.get("restoreFrom")
    if after is None or after == before:
        return []
    if before is None:
        return [
            FieldError(
                PATH,
                "only a new cluster is created from a backup: restore into this one with "
                "`weavefn restore` or a signed /restore request",
            )
        ]
    return [
        FieldError(
            PATH,
            "cannot change after creation: the cluster is created from one backup, once",
        )
    ]
