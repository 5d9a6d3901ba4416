"""Reaching an EKS cluster: endpoint and CA from DescribeCluster, a presigned-STS bearer token."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from weavefn.errors import NotFoundError, TerminalError, UnavailableError
from weavefn.kube.bearer import CachedToken, ClusterEndpoint, Token, bearer_configuration, decode_ca

TOKEN_PREFIX = "k8s-aws-v1."  # nosec B105 # the EKS token prefix, public
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGN_EXPIRES = 60
# EKS accepts a token for 15 minutes after it was signed, whatever X-Amz-Expires says;
# refreshing a minute early keeps a request in flight from carrying an expired one.
TOKEN_LIFETIME = 15 * 60
REFRESH_MARGIN = 60

Presign = Callable[[str, str], str]
Describe = Callable[[str, str], ClusterEndpoint]


def presign_url(region: str, name: str) -> str:
    """A presigned STS GetCallerIdentity URL that binds the cluster name (``x-k8s-aws-id``)."""
    import boto3  # type: ignore[import-untyped]
    import botocore.session  # type: ignore[import-untyped]

    core = botocore.session.get_session()
    # EKS verifies the token against the regional STS endpoint of the cluster's partition.
    core.set_config_variable("sts_regional_endpoints", "regional")
    sts = boto3.session.Session(botocore_session=core, region_name=region).client("sts")

    def bind_cluster(request: Any, **_: Any) -> None:
        request.headers[CLUSTER_ID_HEADER] = name

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", bind_cluster)
    url: str = sts.generate_presigned_url(
        "get_caller_identity", Params={}, ExpiresIn=PRESIGN_EXPIRES, HttpMethod="GET"
    )
    return url


def token_from_url(url: str) -> str:
    """``k8s-aws-v1.`` + base64url of the presigned URL, without padding."""
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def eks_token(
    region: str,
    name: str,
    *,
    presign: Presign = presign_url,
    clock: Callable[[], float] = time.time,
) -> CachedToken:
    """The cluster's bearer token, cached until about 14 minutes after signing."""

    def fetch() -> Token:
        issued = clock()
        return Token(token_from_url(presign(region, name)), issued + TOKEN_LIFETIME)

    return CachedToken(fetch, clock=clock, margin=REFRESH_MARGIN)


def describe_cluster(region: str, name: str) -> ClusterEndpoint:
    """Endpoint and CA of an EKS cluster (``eks:DescribeCluster``)."""
    import boto3
    from botocore.exceptions import (  # type: ignore[import-untyped]
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    try:
        cluster = boto3.client("eks", region_name=region).describe_cluster(name=name)["cluster"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise NotFoundError(f"EKS cluster {region}/{name} not found") from None
        if code in ("AccessDeniedException", "UnrecognizedClientException"):
            raise TerminalError(
                f"weavefn needs eks:DescribeCluster on {region}/{name} ({code})"
            ) from None
        raise UnavailableError(f"eks:DescribeCluster {region}/{name} failed ({code})") from None
    except NoCredentialsError:
        raise TerminalError("no AWS credentials to describe the EKS cluster") from None
    except BotoCoreError as exc:
        raise UnavailableError(
            f"eks:DescribeCluster {region}/{name}: {type(exc).__name__}"
        ) from None
    ca = (cluster.get("certificateAuthority") or {}).get("data")
    return ClusterEndpoint(
        host=cluster["endpoint"],
        ca=decode_ca(ca, what="certificateAuthority.data") if ca else None,
    )


def eks_configuration(
    region: str,
    name: str,
    *,
    describe: Describe = describe_cluster,
    token: Callable[[], str] | None = None,
) -> Any:
    """A client Configuration for an EKS cluster, sending a fresh token on every request."""
    return bearer_configuration(describe(region, name), token or eks_token(region, name))
