"""Rules that span several spec fields; they read the raw dict so they report alongside field errors."""

from __future__ import annotations

from typing import Any

from weavefn.errors import FieldError
from weavefn.model.base import version_problem
from weavefn.model.units import parse_quantity
from weavefn.weaviate.module_catalog import module_problem

_BACKUP_MODULES = {"aws": "backup-s3", "gcp": "backup-gcs", "azure": "backup-azure"}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _quantity(value: Any) -> float | None:
    try:
        return float(parse_quantity(value))
    except (ValueError, TypeError):
        return None


def _replica_rules(spec: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    scaling = spec.get("autoScaling")
    if not isinstance(scaling, dict):
        return errors
    low, high = _int(scaling.get("minReplicas", 1)), _int(scaling.get("maxReplicas", 10))
    replicas = _int(spec.get("replicas"))
    if low is not None and high is not None and low > high:
        errors.append(
            FieldError("spec.autoScaling.minReplicas", f"{low} exceeds maxReplicas {high}")
        )
    elif scaling.get("enabled") and replicas is not None:
        if low is not None and replicas < low:
            errors.append(FieldError("spec.replicas", f"{replicas} is below minReplicas {low}"))
        if high is not None and replicas > high:
            errors.append(FieldError("spec.replicas", f"{replicas} is above maxReplicas {high}"))
    fallback = _int(scaling.get("fallbackReplicas"))
    if (
        fallback is not None
        and low is not None
        and high is not None
        and not low <= fallback <= high
    ):
        errors.append(
            FieldError(
                "spec.autoScaling.fallbackReplicas", f"{fallback} is outside [{low}, {high}]"
            )
        )
    targets = ("targetCPU", "targetMemory", "targetQPS", "targetLatency")
    if scaling.get("enabled") and not any(scaling.get(t) is not None for t in targets):
        errors.append(FieldError("spec.autoScaling", "enabled but no target is set"))
    return errors


def _resource_rules(spec: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    resources = spec.get("resources")
    if not isinstance(resources, dict):
        return errors
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    if not isinstance(requests, dict) or not isinstance(limits, dict):
        return errors
    for name in ("cpu", "memory"):
        low, high = _quantity(requests.get(name)), _quantity(limits.get(name))  # nosec B113 # a dict of resource requests, not the requests library
        if low is not None and high is not None and low > high:
            errors.append(FieldError(f"spec.resources.requests.{name}", f"exceeds limits.{name}"))
    return errors


def _provider_rules(spec: dict[str, Any]) -> list[FieldError]:
    provider = spec.get("cloudProvider")
    if not isinstance(provider, dict):
        return []
    kind = provider.get("type")
    errors = [
        FieldError(f"spec.cloudProvider.{other}", f"set, but cloudProvider.type is {kind!r}")
        for other in _BACKUP_MODULES
        if other != kind and provider.get(other) is not None
    ]
    azure = provider.get("azure")
    backup = azure.get("backup") if isinstance(azure, dict) else None
    if isinstance(backup, dict) and backup.get("accountKey") and backup.get("connectionString"):
        errors.append(
            FieldError(
                "spec.cloudProvider.azure.backup.connectionString",
                "set accountKey or connectionString, not both (Weaviate would use only the "
                "connection string)",
            )
        )
    storage = spec.get("storage")
    if (
        isinstance(storage, dict)
        and storage.get("provisionStorageClass")
        and not storage.get("storageClassName")
    ):
        errors.append(
            FieldError(
                "spec.storage.storageClassName", "required when provisionStorageClass is true"
            )
        )
    return errors


def _module_rules(spec: dict[str, Any]) -> list[FieldError]:
    modules = spec.get("modules")
    if not isinstance(modules, list):
        return []
    version = spec.get("version")
    # Which modules exist depends on the release; an unusable version is reported on its own.
    release = version if isinstance(version, str) and version_problem(version) is None else None
    errors, seen = [], set()
    for index, module in enumerate(modules):
        name = module.get("name") if isinstance(module, dict) else None
        if not isinstance(name, str):
            continue  # a missing or non-text name is the field validation's to report
        path = f"spec.modules[{index}].name"
        if name in seen:
            errors.append(FieldError(path, f"{name!r} is listed twice"))
        seen.add(name)
        problem = module_problem(name, release) if release else None
        if problem is not None:
            errors.append(FieldError(path, problem))
    return errors


def _voter_rules(spec: dict[str, Any]) -> list[FieldError]:
    voters, replicas = _int(spec.get("voters")), _int(spec.get("replicas"))
    if voters is not None and voters % 2 == 0:
        return [FieldError("spec.voters", f"{voters} is even: Raft needs an odd voter count")]
    if voters is not None and replicas is not None and voters > replicas:
        return [FieldError("spec.voters", f"{voters} exceeds replicas {replicas}")]
    return []


def cross_field_errors(spec: Any) -> list[FieldError]:
    """Every rule that relates two or more fields of the spec, each with the path to fix."""
    if not isinstance(spec, dict):
        return []
    return [
        *_replica_rules(spec),
        *_resource_rules(spec),
        *_provider_rules(spec),
        *_module_rules(spec),
        *_voter_rules(spec),
    ]
