"""Cloud provider profiles: storage classes, node placement, workload identity and backups."""

from weavefn.providers.base import (
    PROFILES,
    CloudProfile,
    backup_backend,
    backup_problem,
    pod_settings,
    profile_for,
)
from weavefn.providers.settings import PodSettings, StorageClassParams

__all__ = [
    "PROFILES",
    "CloudProfile",
    "PodSettings",
    "StorageClassParams",
    "backup_backend",
    "backup_problem",
    "pod_settings",
    "profile_for",
]
