"""GCP profile: Persistent Disk / Hyperdisk volumes, GKE placement, Workload Identity, backup-gcs."""

from __future__ import annotations

from weavefn.model.manifest import ClusterManifest
from weavefn.model.spec import GcpSpec
from weavefn.providers.settings import PodSettings, StorageClassParams, with_scratch

PD_CSI = "pd.csi.storage.gke.io"
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
LOCAL_SSD_LABEL = "cloud.google.com/gke-ephemeral-storage-local-ssd"


def _spec(cluster: ClusterManifest) -> GcpSpec:
    provider = cluster.spec.cloud_provider
    return (provider.gcp if provider else None) or GcpSpec()


class GcpProfile:
    def pod_settings(self, cluster: ClusterManifest) -> PodSettings:
        gcp = _spec(cluster)
        node_selector: dict[str, str] = {}
        if gcp.machine_type:
            node_selector[INSTANCE_TYPE_LABEL] = gcp.machine_type
        annotations = (
            {WORKLOAD_IDENTITY_ANNOTATION: gcp.service_account} if gcp.service_account else {}
        )
        env: dict[str, str] = {}
        modules: tuple[str, ...] = ()
        if gcp.backup:
            modules = ("backup-gcs",)
            env["BACKUP_GCS_BUCKET"] = gcp.backup.bucket
            if gcp.backup.path:
                env["BACKUP_GCS_PATH"] = gcp.backup.path
        if gcp.project:
            env["GOOGLE_CLOUD_PROJECT"] = gcp.project
        if gcp.use_local_ssd:
            # GKE puts emptyDir on local SSD only on node pools created with
            # --ephemeral-storage-local-ssd, which carry this label.
            node_selector[LOCAL_SSD_LABEL] = "true"
        settings = PodSettings(
            node_selector=node_selector,
            service_account_annotations=annotations,
            env=env,
            modules=modules,
        )
        if not gcp.use_local_ssd:
            return settings
        return with_scratch(settings, size_limit=cluster.spec.storage.scratch_size_limit)

    def storage_class(self, cluster: ClusterManifest) -> StorageClassParams:
        return StorageClassParams(PD_CSI, {"type": _spec(cluster).disk_type})

    def backup_backend(self, cluster: ClusterManifest) -> str | None:
        return "gcs" if _spec(cluster).backup else None
