"""Cloud profiles: storage classes, placement, workload identity and backup settings."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.providers import backup_backend, backup_problem
from weavefn.render import render_all

from tests.unit.render.conftest import build, env_of

ROLE = "arn:aws:iam::123456789012:role/weaviate"
CLIENT_ID = "0f2c7e1a-5b3d-4c8e-9a6f-2d1b3c4e5f60"


def _render(provider: dict[str, Any], storage: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"cloudProvider": provider}
    spec["storage"] = storage or {
        "size": "10Gi",
        "storageClassName": "db",
        "provisionStorageClass": True,
    }
    objects = render_all(build(spec), voters=["demo-0"])
    return {o["kind"]: o for o in objects}


@pytest.mark.parametrize(
    ("provider", "provisioner", "parameters"),
    [
        pytest.param(
            {"type": "aws", "aws": {"ebsOptimized": True}},
            "ebs.csi.aws.com",
            {"type": "gp3", "iops": "6000", "throughput": "250"},
            id="aws-ebs-optimized-gp3",
        ),
        pytest.param(
            {"type": "aws", "aws": {"iops": 4000}},
            "ebs.csi.aws.com",
            {"type": "gp3", "iops": "4000"},
            id="aws-explicit-iops",
        ),
        pytest.param({"type": "gcp"}, "pd.csi.storage.gke.io", {"type": "pd-ssd"}, id="gcp-pd-ssd"),
        pytest.param(
            {"type": "gcp", "gcp": {"diskType": "hyperdisk-balanced"}},
            "pd.csi.storage.gke.io",
            {"type": "hyperdisk-balanced"},
            id="gcp-hyperdisk",
        ),
        pytest.param(
            {"type": "azure"},
            "disk.csi.azure.com",
            {"skuName": "Premium_LRS", "cachingMode": "ReadOnly"},
            id="azure-premium",
        ),
        pytest.param(
            {"type": "azure", "azure": {"premiumSSDv2": True}},
            "disk.csi.azure.com",
            {"skuName": "PremiumV2_LRS", "cachingMode": "None"},
            id="azure-premium-v2",
        ),
    ],
)
def test_storage_class_per_cloud(
    provider: dict[str, Any], provisioner: str, parameters: dict[str, str]
) -> None:
    storage_class = _render(provider)["StorageClass"]
    assert storage_class["metadata"]["name"] == "db"
    assert "namespace" not in storage_class["metadata"]
    assert storage_class["provisioner"] == provisioner
    assert parameters.items() <= storage_class["parameters"].items()
    assert storage_class["allowVolumeExpansion"] is True
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["reclaimPolicy"] == "Retain"


def test_storage_class_only_when_asked() -> None:
    objects = _render({"type": "aws"}, {"size": "10Gi", "storageClassName": "existing"})
    assert "StorageClass" not in objects


@pytest.mark.parametrize(
    ("provider", "node_selector", "annotations", "pod_labels"),
    [
        pytest.param(
            {"type": "aws", "aws": {"instanceType": "r6i.2xlarge", "iamRoleArn": ROLE}},
            {"node.kubernetes.io/instance-type": "r6i.2xlarge"},
            {"eks.amazonaws.com/role-arn": ROLE},
            {},
            id="aws-irsa",
        ),
        pytest.param(
            {
                "type": "gcp",
                "gcp": {
                    "machineType": "n2-highmem-8",
                    "useLocalSSD": True,
                    "serviceAccount": "wv@p.iam.gserviceaccount.com",
                },
            },
            {
                "node.kubernetes.io/instance-type": "n2-highmem-8",
                "cloud.google.com/gke-ephemeral-storage-local-ssd": "true",
            },
            {"iam.gke.io/gcp-service-account": "wv@p.iam.gserviceaccount.com"},
            {},
            id="gcp-workload-identity",
        ),
        pytest.param(
            {"type": "azure", "azure": {"vmSize": "Standard_E8s_v5", "clientId": CLIENT_ID}},
            {"node.kubernetes.io/instance-type": "Standard_E8s_v5"},
            {"azure.workload.identity/client-id": CLIENT_ID},
            {"azure.workload.identity/use": "true"},
            id="azure-workload-identity",
        ),
    ],
)
def test_placement_and_workload_identity(
    provider: dict[str, Any],
    node_selector: dict[str, str],
    annotations: dict[str, str],
    pod_labels: dict[str, str],
) -> None:
    objects = _render(provider)
    pod = objects["StatefulSet"]["spec"]["template"]
    assert pod["spec"]["nodeSelector"] == node_selector
    assert objects["ServiceAccount"]["metadata"]["annotations"] == annotations
    assert pod_labels.items() <= pod["metadata"]["labels"].items()


@pytest.mark.parametrize(
    ("provider", "module", "env", "backend"),
    [
        pytest.param(
            {
                "type": "aws",
                "region": "eu-west-1",
                "aws": {"backup": {"bucket": "bkt", "path": "p"}},
            },
            "backup-s3",
            {"BACKUP_S3_BUCKET": "bkt", "BACKUP_S3_PATH": "p", "AWS_REGION": "eu-west-1"},
            "s3",
            id="aws-s3",
        ),
        pytest.param(
            {"type": "gcp", "gcp": {"project": "prj", "backup": {"bucket": "bkt"}}},
            "backup-gcs",
            {"BACKUP_GCS_BUCKET": "bkt", "GOOGLE_CLOUD_PROJECT": "prj"},
            "gcs",
            id="gcp-gcs",
        ),
        pytest.param(
            {
                "type": "azure",
                "azure": {
                    "backup": {
                        "storageAccount": "acct1",
                        "container": "bk-1",
                        "path": "x",
                        "accountKey": {"secretKeyRef": {"name": "blob", "key": "key"}},
                    }
                },
            },
            "backup-azure",
            {
                "BACKUP_AZURE_CONTAINER": "bk-1",
                "AZURE_STORAGE_ACCOUNT": "acct1",
                "BACKUP_AZURE_PATH": "x",
                "AZURE_STORAGE_KEY": {"secretKeyRef": {"name": "blob", "key": "key"}},
            },
            "azure",
            id="azure-blob",
        ),
    ],
)
def test_backup_module_settings_and_backend(
    provider: dict[str, Any], module: str, env: dict[str, str], backend: str
) -> None:
    cluster = build({"cloudProvider": provider})
    rendered = env_of(_render(provider)["StatefulSet"])
    assert module in rendered["ENABLE_MODULES"].split(",")
    assert env.items() <= rendered.items()
    assert backup_backend(cluster) == backend


@pytest.mark.parametrize(
    ("spec", "backend"),
    [
        pytest.param({}, None, id="nothing-configured"),
        pytest.param({"cloudProvider": {"type": "aws"}}, None, id="cloud-without-target"),
        pytest.param({"modules": [{"name": "backup-filesystem"}]}, "filesystem", id="module"),
    ],
)
def test_backup_backend_without_a_cloud_target(spec: dict[str, Any], backend: str | None) -> None:
    assert backup_backend(build(spec)) == backend


def test_local_nvme_is_scratch_space_not_data() -> None:
    sts = _render({"type": "aws", "aws": {"useLocalNVMe": True}})["StatefulSet"]
    pod = sts["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["weaviate-data"] == "/var/lib/weaviate"
    assert mounts["local-scratch"] == env_of(sts)["TMPDIR"]
    # bounded and requested, so a full scratch evicts this pod, not the node's others
    assert pod["volumes"] == [{"name": "local-scratch", "emptyDir": {"sizeLimit": "10Gi"}}]
    assert pod["containers"][0]["resources"]["requests"]["ephemeral-storage"] == "10Gi"


def test_scratch_size_is_the_spec_s() -> None:
    provider = {"type": "gcp", "gcp": {"useLocalSSD": True}}
    sts = _render(provider, storage={"size": "10Gi", "scratchSizeLimit": "50Gi"})["StatefulSet"]
    pod = sts["spec"]["template"]["spec"]
    assert pod["volumes"][0]["emptyDir"] == {"sizeLimit": "50Gi"}
    assert pod["containers"][0]["resources"]["requests"] == {"ephemeral-storage": "50Gi"}


def test_no_scratch_no_ephemeral_request() -> None:
    pod = _render({"type": "aws"})["StatefulSet"]["spec"]["template"]["spec"]
    assert "volumes" not in pod
    assert "resources" not in pod["containers"][0]


AZURE_BACKUP = {"storageAccount": "acct1", "container": "bk-1"}
SECRET_REF = {"secretKeyRef": {"name": "blob", "key": "conn"}}


@pytest.mark.parametrize(
    ("backup", "env", "rendered", "problem"),
    [
        pytest.param({}, [], {}, "spec.cloudProvider.azure.backup", id="none-set"),
        pytest.param(
            {"accountKey": SECRET_REF}, [], {"AZURE_STORAGE_KEY": SECRET_REF}, None, id="key"
        ),
        pytest.param(
            {"connectionString": SECRET_REF},
            [],
            {"AZURE_STORAGE_CONNECTION_STRING": SECRET_REF},
            None,
            id="connection-string",
        ),
        pytest.param(
            {},
            [{"name": "AZURE_STORAGE_KEY", "valueFrom": SECRET_REF}],
            {"AZURE_STORAGE_KEY": SECRET_REF},
            None,
            id="key-through-spec-env",
        ),
    ],
)
def test_azure_backups_authenticate_with_a_key_or_connection_string_from_a_secret(
    backup: dict[str, Any],
    env: list[dict[str, Any]],
    rendered: dict[str, Any],
    problem: str | None,
) -> None:
    # modules/backup-azure/client.go: AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY
    # with AZURE_STORAGE_ACCOUNT, else anonymous; no workload identity.
    provider = {"type": "azure", "azure": {"backup": {**AZURE_BACKUP, **backup}}}
    cluster = build({"cloudProvider": provider, "env": env})
    found = env_of(render_all(cluster, voters=["demo-0"])[-1])
    assert {k: v for k, v in found.items() if k.startswith("AZURE_STORAGE_")} == {
        "AZURE_STORAGE_ACCOUNT": "acct1",
        **rendered,
    }
    error = backup_problem(cluster)
    assert (error.path if error else None) == problem


def test_backup_azure_module_without_a_credential_names_spec_env() -> None:
    error = backup_problem(build({"modules": [{"name": "backup-azure"}]}))
    assert error is not None and error.path == "spec.env"
    assert "AZURE_STORAGE_KEY" in error.message


def test_the_credential_never_reaches_the_config_map() -> None:
    provider = {"type": "azure", "azure": {"backup": {**AZURE_BACKUP, "accountKey": SECRET_REF}}}
    objects = render_all(build({"cloudProvider": provider}), voters=["demo-0"])
    config = next(o for o in objects if o["kind"] == "ConfigMap")
    assert "AZURE_STORAGE_KEY" not in config["data"]
