"""The cloud profile interface and the explicit registry of profiles, one module per cloud."""

from __future__ import annotations

from typing import Protocol

from weavefn.errors import FieldError
from weavefn.model.manifest import ClusterManifest
from weavefn.model.spec import ProviderType
from weavefn.providers.aws import AwsProfile
from weavefn.providers.azure import AzureProfile, credential_problem
from weavefn.providers.gcp import GcpProfile
from weavefn.providers.settings import PodSettings, StorageClassParams


class CloudProfile(Protocol):
    """What one cloud adds to a cluster's objects; pure functions of the resource."""

    def pod_settings(self, cluster: ClusterManifest) -> PodSettings: ...

    def storage_class(self, cluster: ClusterManifest) -> StorageClassParams: ...

    def backup_backend(self, cluster: ClusterManifest) -> str | None:
        """The backend name of Weaviate's backup REST API, when a backup target is set."""
        ...


# Adding a cloud is one module and one line here.
PROFILES: dict[ProviderType, CloudProfile] = {
    ProviderType.AWS: AwsProfile(),
    ProviderType.GCP: GcpProfile(),
    ProviderType.AZURE: AzureProfile(),
}


def profile_for(cluster: ClusterManifest) -> CloudProfile | None:
    provider = cluster.spec.cloud_provider
    return PROFILES[provider.type] if provider else None


def pod_settings(cluster: ClusterManifest) -> PodSettings:
    profile = profile_for(cluster)
    return profile.pod_settings(cluster) if profile else PodSettings()


def backup_backend(cluster: ClusterManifest) -> str | None:
    """The backup backend for ``POST /v1/backups/{backend}``, or None when none is configured.

    A cloud backup target wins; otherwise an explicitly enabled ``backup-*`` module (e.g.
    ``backup-filesystem``) names the backend.
    """
    profile = profile_for(cluster)
    backend = profile.backup_backend(cluster) if profile else None
    if backend:
        return backend
    for module in cluster.spec.enabled_modules:
        if module.name.startswith("backup-"):
            return module.name.removeprefix("backup-")
    return None


def backup_problem(cluster: ClusterManifest) -> FieldError | None:
    """Why the configured backup target cannot work, or None (also when there is none)."""
    if backup_backend(cluster) == "azure":
        return credential_problem(cluster)
    return None
