"""Admission rules beyond the model: fields fixed after creation, and warnings about risky specs."""

from __future__ import annotations

from typing import Any

from weavefn.errors import FieldError
from weavefn.model.manifest import SKIP_BACKUP_ANNOTATION, ClusterManifest
from weavefn.model.pods import ServiceType
from weavefn.model.units import parse_quantity
from weavefn.providers import backup_problem
from weavefn.weaviate import internal_api, releases
from weavefn.weaviate.module_catalog import MODULE_SINCE, NEWEST_KNOWN_LINE, modules_of

MAX_WARNING = 119
"""The API server shows warnings to users; Kubernetes asks to keep each under 120 characters."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _size(value: Any) -> float | None:
    try:
        return float(parse_quantity(value))
    except (ValueError, TypeError, ArithmeticError):
        return None


def _default_voters(replicas: int) -> int:
    # Mirrors the renderer's default (1 below 3 replicas, 3 from 3, 5 from 10); to be replaced by
    # weavefn.render.default_voters once that module lands, so the two cannot drift.
    if replicas >= 10:
        return 5
    return 3 if replicas >= 3 else 1


def voters_in_effect(*, spec: dict[str, Any], status: dict[str, Any]) -> int | None:
    """The Raft voter count of a cluster: explicit, fixed in status, or the default."""
    explicit = _int(spec.get("voters"))
    if explicit is not None:
        return explicit
    recorded = status.get("voters")
    if isinstance(recorded, list) and recorded:
        return len(recorded)
    replicas = _int(spec.get("replicas"))
    return _default_voters(replicas) if replicas is not None else None


def immutable_field_errors(*, old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """What an UPDATE from the ``old`` object to the ``new`` spec may not change."""
    old_spec = _dict(old.get("spec"))
    old_storage, new_storage = _dict(old_spec.get("storage")), _dict(new.get("storage"))
    errors: list[FieldError] = []
    if old_storage.get("storageClassName") != new_storage.get("storageClassName"):
        errors.append(
            FieldError(
                "spec.storage.storageClassName",
                "cannot change after creation: existing volumes keep their class",
            )
        )
    old_size, new_size = _size(old_storage.get("size")), _size(new_storage.get("size"))
    if old_size is not None and new_size is not None and new_size < old_size:
        errors.append(FieldError("spec.storage.size", "cannot shrink: volumes can only grow"))
    old_voters, new_voters = old_spec.get("voters"), new.get("voters")
    if new_voters != old_voters:
        current = voters_in_effect(spec=old_spec, status=_dict(old.get("status")))
        # Writing down the count already in effect changes nothing and is allowed.
        if not (old_voters is None and current is not None and new_voters == current):
            in_effect = f" ({current} in effect)" if current is not None else ""
            errors.append(
                FieldError(
                    "spec.voters",
                    f"cannot change after creation: the Raft voter set is fixed{in_effect}",
                )
            )
    return errors


def upgrade_backup_errors(
    cluster: ClusterManifest, *, old: dict[str, Any] | None
) -> list[FieldError]:
    """An UPDATE that changes spec.version starts an upgrade, which starts with a backup: refuse
    it now when that backup cannot be written, rather than leave it refused in status."""
    old_version = _dict(_dict(old).get("spec")).get("version")
    if old is None or old_version == cluster.spec.version or cluster.skips_backup:
        return []
    problem = backup_problem(cluster)
    if problem is None:
        return []
    return [
        FieldError(
            problem.path,
            f"moving spec.version to {cluster.spec.version} starts an upgrade with a backup, "
            f"which cannot be written: {problem.message}; or annotate "
            f'{SKIP_BACKUP_ANNOTATION}: "true"',
        )
    ]


def _release_warnings(cluster: ClusterManifest) -> list[str]:
    """What the model cannot refuse about the release: names it cannot know, features it lacks."""
    spec = cluster.spec
    warnings: list[str] = []
    if modules_of(spec.version) is None:
        newest = ".".join(map(str, NEWEST_KNOWN_LINE))
        warnings += [
            f"spec.modules[{i}].name {m.name} is unknown up to Weaviate {newest}; "
            "Weaviate ignores unknown names"
            for i, m in enumerate(spec.modules)
            if m.name not in MODULE_SINCE
        ]
    if spec.replication.replica_movement and releases.movement_switch(spec.version) is None:
        warnings.append(
            f"spec.replication.replicaMovement needs Weaviate {releases.REPLICA_MOVEMENT_SINCE}+: "
            "scale-in stays refused"
        )
    return warnings


def _pod_warnings(cluster: ClusterManifest) -> list[str]:
    spec = cluster.spec
    warnings: list[str] = []
    if spec.vm_max_map_count.set_by is None:
        warnings.append(
            "spec.vmMaxMapCount.setBy is unset: nodes keep vm.max_map_count 65530, too few maps "
            "for large shards (README)"
        )
    if not spec.internal_auth.enabled:
        warnings.append(
            "spec.internalAuth.enabled is false: any pod reaching port 7001 reads and writes "
            "shards without an API key"
        )
    exposed = spec.service.type is not ServiceType.CLUSTER_IP
    if exposed and internal_api.raft_routes_on_public_port(spec.version):
        warnings.append(
            f"spec.service.type {spec.service.type.value}: Weaviate {spec.version} serves "
            "/v1/cluster/remove on 8080 with no auth; upgrade"
        )
    return warnings


def spec_warnings(cluster: ClusterManifest, *, old: dict[str, Any] | None) -> list[str]:
    """Allowed but risky choices, each one short line for ``kubectl`` to print."""
    spec = cluster.spec
    warnings: list[str] = _release_warnings(cluster)
    problem = backup_problem(cluster)
    if problem is not None and not cluster.skips_backup:
        warnings.append(
            f"{problem.path}: no credential (accountKey or connectionString), so backups "
            "and upgrades fail"
        )
    if spec.replicas == 1:
        warnings.append("spec.replicas is 1: every upgrade or restart of Weaviate means downtime")
    elif spec.replication.factor < 2:
        warnings.append(
            "spec.replication.factor is below 2: rolling upgrades are not zero-downtime"
        )
    warnings += _pod_warnings(cluster)
    scaling = spec.auto_scaling
    raw_spec = {"voters": spec.voters, "replicas": spec.replicas}
    voters = voters_in_effect(spec=raw_spec, status=_dict((old or {}).get("status")))
    if scaling is not None and scaling.enabled and voters and scaling.min_replicas < voters:
        warnings.append(
            f"spec.autoScaling.minReplicas {scaling.min_replicas} is below the {voters} Raft "
            f"voters: it never scales below {voters}"
        )
    return [w[:MAX_WARNING] for w in warnings]
