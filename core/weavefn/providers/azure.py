"""Azure profile: managed disks, AKS VM-size placement, Workload Identity and backup-azure."""

from __future__ import annotations

from weavefn.model.resource import WeaviateCluster
from weavefn.model.spec import AzureSpec
from weavefn.providers.settings import PodSettings, StorageClassParams

DISK_CSI = "disk.csi.azure.com"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


def _spec(cluster: WeaviateCluster) -> AzureSpec:
    provider = cluster.spec.cloud_provider
    return (provider.azure if provider else None) or AzureSpec()


class AzureProfile:
    def pod_settings(self, cluster: WeaviateCluster) -> PodSettings:
        azure = _spec(cluster)
        node_selector = {INSTANCE_TYPE_LABEL: azure.vm_size} if azure.vm_size else {}
        annotations: dict[str, str] = {}
        pod_labels: dict[str, str] = {}
        if azure.client_id:
            # The Workload Identity webhook only injects the federated token into labelled pods.
            annotations[CLIENT_ID_ANNOTATION] = azure.client_id
            pod_labels[USE_LABEL] = "true"
        env: dict[str, str] = {}
        modules: tuple[str, ...] = ()
        if azure.backup:
            # weavefn never handles the account key: when the account does not accept the pod's
            # identity, add AZURE_STORAGE_KEY (or _CONNECTION_STRING) via spec.env secretKeyRef.
            modules = ("backup-azure",)
            env["BACKUP_AZURE_CONTAINER"] = azure.backup.container
            env["AZURE_STORAGE_ACCOUNT"] = azure.backup.storage_account
            if azure.backup.path:
                env["BACKUP_AZURE_PATH"] = azure.backup.path
        return PodSettings(
            node_selector=node_selector,
            pod_labels=pod_labels,
            service_account_annotations=annotations,
            env=env,
            modules=modules,
        )

    def storage_class(self, cluster: WeaviateCluster) -> StorageClassParams:
        if _spec(cluster).premium_ssd_v2:
            # Premium SSD v2 supports no host caching.
            return StorageClassParams(DISK_CSI, {"skuName": "PremiumV2_LRS", "cachingMode": "None"})
        return StorageClassParams(DISK_CSI, {"skuName": "Premium_LRS", "cachingMode": "ReadOnly"})

    def backup_backend(self, cluster: WeaviateCluster) -> str | None:
        return "azure" if _spec(cluster).backup else None
