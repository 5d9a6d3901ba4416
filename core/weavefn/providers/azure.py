"""Azure profile: managed disks, AKS VM-size placement, Workload Identity and backup-azure.

backup-azure reads AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_ACCOUNT with
AZURE_STORAGE_KEY, else goes anonymous (modules/backup-azure/client.go, newClient, the same
from 1.25 to 1.39): it has no workload-identity path, so the credential comes from a Secret.
"""

from __future__ import annotations

from weavefn.errors import FieldError
from weavefn.model.manifest import ClusterManifest
from weavefn.model.spec import AzureSpec, SecretRef
from weavefn.providers.settings import PodSettings, StorageClassParams

DISK_CSI = "disk.csi.azure.com"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
KEY_VAR = "AZURE_STORAGE_KEY"
CONNECTION_STRING_VAR = "AZURE_STORAGE_CONNECTION_STRING"


def _spec(cluster: ClusterManifest) -> AzureSpec:
    provider = cluster.spec.cloud_provider
    return (provider.azure if provider else None) or AzureSpec()


class AzureProfile:
    def pod_settings(self, cluster: ClusterManifest) -> PodSettings:
        azure = _spec(cluster)
        node_selector = {INSTANCE_TYPE_LABEL: azure.vm_size} if azure.vm_size else {}
        annotations: dict[str, str] = {}
        pod_labels: dict[str, str] = {}
        if azure.client_id:
            # For whatever else the pods call in Azure; backup-azure cannot use it (see above).
            # The Workload Identity webhook only injects the federated token into labelled pods.
            annotations[CLIENT_ID_ANNOTATION] = azure.client_id
            pod_labels[USE_LABEL] = "true"
        env: dict[str, str] = {}
        secret_env: dict[str, tuple[str, str]] = {}
        modules: tuple[str, ...] = ()
        if azure.backup:
            modules = ("backup-azure",)
            env["BACKUP_AZURE_CONTAINER"] = azure.backup.container
            env["AZURE_STORAGE_ACCOUNT"] = azure.backup.storage_account
            if azure.backup.path:
                env["BACKUP_AZURE_PATH"] = azure.backup.path
            # weavefn never reads the credential: the pod takes it from the Secret.
            for name, ref in (
                (KEY_VAR, azure.backup.account_key),
                (CONNECTION_STRING_VAR, azure.backup.connection_string),
            ):
                if ref is not None:
                    secret_env[name] = _ref(ref)
        return PodSettings(
            node_selector=node_selector,
            pod_labels=pod_labels,
            service_account_annotations=annotations,
            env=env,
            secret_env=secret_env,
            modules=modules,
        )

    def storage_class(self, cluster: ClusterManifest) -> StorageClassParams:
        if _spec(cluster).premium_ssd_v2:
            # Premium SSD v2 supports no host caching.
            return StorageClassParams(DISK_CSI, {"skuName": "PremiumV2_LRS", "cachingMode": "None"})
        return StorageClassParams(DISK_CSI, {"skuName": "Premium_LRS", "cachingMode": "ReadOnly"})

    def backup_backend(self, cluster: ClusterManifest) -> str | None:
        return "azure" if _spec(cluster).backup else None


def _ref(ref: SecretRef) -> tuple[str, str]:
    return ref.secret_key_ref.name, ref.secret_key_ref.key


def credential_problem(cluster: ClusterManifest) -> FieldError | None:
    """Why backup-azure cannot authenticate, or None when it can.

    A credential counts when the spec names it: accountKey or connectionString, or the
    variable in spec.env (as a value or valueFrom). Anonymous access only reads public
    containers, so a backup without one fails.
    """
    user_env = {var.name for var in cluster.spec.env if var.value or var.value_from}
    if user_env & {KEY_VAR, CONNECTION_STRING_VAR}:
        return None
    backup = _spec(cluster).backup
    if backup is not None:
        if backup.account_key or backup.connection_string:
            return None
        return FieldError(
            "spec.cloudProvider.azure.backup",
            "backup-azure authenticates only with a storage account key or a connection string, "
            "not a workload identity: set accountKey or connectionString "
            "({secretKeyRef: {name, key}})",
        )
    return FieldError(
        "spec.env",
        f"backup-azure authenticates only with {KEY_VAR} (with AZURE_STORAGE_ACCOUNT) or "
        f"{CONNECTION_STRING_VAR}: add one with valueFrom.secretKeyRef",
    )
