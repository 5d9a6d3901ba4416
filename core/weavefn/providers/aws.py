"""AWS profile: gp3 EBS volumes, EC2 instance placement, IRSA and backup-s3."""

from __future__ import annotations

from weavefn.model.manifest import ClusterManifest
from weavefn.model.spec import AwsSpec
from weavefn.providers.settings import PodSettings, StorageClassParams, with_scratch

EBS_CSI = "ebs.csi.aws.com"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
# gp3 baseline is 3000 IOPS / 125 MiB/s; an EBS-optimized instance can sustain more.
OPTIMIZED_IOPS = 6000
OPTIMIZED_THROUGHPUT = 250


def _spec(cluster: ClusterManifest) -> AwsSpec:
    provider = cluster.spec.cloud_provider
    return (provider.aws if provider else None) or AwsSpec()


class AwsProfile:
    def pod_settings(self, cluster: ClusterManifest) -> PodSettings:
        aws = _spec(cluster)
        region = cluster.spec.cloud_provider.region if cluster.spec.cloud_provider else None
        node_selector = {INSTANCE_TYPE_LABEL: aws.instance_type} if aws.instance_type else {}
        annotations = {IRSA_ANNOTATION: aws.iam_role_arn} if aws.iam_role_arn else {}
        env: dict[str, str] = {}
        modules: tuple[str, ...] = ()
        if aws.backup:
            modules = ("backup-s3",)
            env["BACKUP_S3_BUCKET"] = aws.backup.bucket
            if aws.backup.path:
                env["BACKUP_S3_PATH"] = aws.backup.path
        if region:
            env["AWS_REGION"] = region
        settings = PodSettings(
            node_selector=node_selector,
            service_account_annotations=annotations,
            env=env,
            modules=modules,
        )
        if not aws.use_local_nvme:
            return settings
        return with_scratch(settings, size_limit=cluster.spec.storage.scratch_size_limit)

    def storage_class(self, cluster: ClusterManifest) -> StorageClassParams:
        aws = _spec(cluster)
        parameters = {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
        iops = aws.iops or (OPTIMIZED_IOPS if aws.ebs_optimized else None)
        throughput = aws.throughput or (OPTIMIZED_THROUGHPUT if aws.ebs_optimized else None)
        if iops:
            parameters["iops"] = str(iops)
        if throughput:
            parameters["throughput"] = str(throughput)
        return StorageClassParams(EBS_CSI, parameters)

    def backup_backend(self, cluster: ClusterManifest) -> str | None:
        return "s3" if _spec(cluster).backup else None
