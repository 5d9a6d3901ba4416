"""Reaching a Kubernetes API server: the cluster setting, and the real client it opens."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from weavefn.errors import (
    ApiServerRefusedError,
    ApiServerUnreachableError,
    FieldError,
    InvalidInputError,
)

if TYPE_CHECKING:
    from weavefn.kube.real import RealKube

DEFAULT_CLUSTER = "local:.weavefn/cluster.json"
CLUSTER_ENV = "WEAVEFN_CLUSTER"


class AccessKind(StrEnum):
    KUBECONFIG = "kubeconfig"
    IN_CLUSTER = "in-cluster"
    EKS = "eks"
    GKE = "gke"
    AKS = "aks"
    LOCAL = "local"


_FORMS = (
    "kubeconfig:PATH[#context], in-cluster, eks:REGION/NAME, gke:PROJECT/LOCATION/NAME, "
    "aks:SUBSCRIPTION/RESOURCE_GROUP/NAME, local:PATH"
)
_PARTS: dict[AccessKind, tuple[re.Pattern[str], ...]] = {
    AccessKind.EKS: (
        re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"),
        re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$"),
    ),
    AccessKind.GKE: (
        re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"),
        re.compile(r"^[a-z]+-[a-z]+[0-9]+(-[a-z])?$"),
        re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$"),
    ),
    AccessKind.AKS: (
        re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"),
        re.compile(r"^[-\w.()]{0,89}[-\w()]$"),
        re.compile(r"^[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$"),
    ),
}


@dataclass(frozen=True)
class ClusterSetting:
    """A parsed cluster setting: how to reach the API server and what identifies the cluster."""

    kind: AccessKind
    parts: tuple[str, ...] = ()
    """PATH for kubeconfig/local; REGION, NAME for eks; PROJECT, LOCATION, NAME for gke; ..."""
    context: str | None = None


def cluster_setting(flag: str | None) -> str:
    """The ``--cluster`` flag, else ``WEAVEFN_CLUSTER``, else the local in-memory cluster."""
    return flag or os.environ.get(CLUSTER_ENV) or DEFAULT_CLUSTER


def parse_setting(setting: str) -> ClusterSetting:
    """Parse one setting string; anything unknown or malformed is an InvalidInputError."""
    scheme, colon, rest = setting.strip().partition(":")
    try:
        kind = AccessKind(scheme)
    except ValueError:
        raise _bad(setting, "unknown form") from None
    if kind is AccessKind.IN_CLUSTER:
        if colon:
            raise _bad(setting, "in-cluster takes no value")
        return ClusterSetting(kind)
    if not rest:
        raise _bad(setting, f"{kind} needs a value")
    if kind in (AccessKind.KUBECONFIG, AccessKind.LOCAL):
        path, hashed, context = rest.partition("#")
        if kind is AccessKind.LOCAL and hashed:
            raise _bad(setting, "local takes no context")
        if not path or (hashed and not context):
            raise _bad(setting, "empty path or context")
        return ClusterSetting(kind, (os.path.expanduser(path),), context or None)
    parts = tuple(rest.split("/"))
    patterns = _PARTS[kind]
    if len(parts) != len(patterns) or not all(
        p.match(part) for p, part in zip(patterns, parts, strict=True)
    ):
        raise _bad(setting, f"expected {kind}:{_shape(kind)}")
    return ClusterSetting(kind, parts)


def connect(setting: str | ClusterSetting) -> AbstractContextManager[RealKube]:
    """Open the real API server a setting names; the connection closes when the context exits.

    The local cluster is not an API server this opens: ``weavefn.runtime.open_backend`` builds
    it, with the rest of the local backend, from weavefn.local.
    """
    parsed = parse_setting(setting) if isinstance(setting, str) else setting
    if parsed.kind is AccessKind.LOCAL:
        raise _bad(f"local:{parsed.parts[0]}", "the local cluster has no API server to connect to")
    return _real(parsed)


@contextmanager
def _real(parsed: ClusterSetting) -> Iterator[RealKube]:
    from kubernetes.client import ApiClient

    from weavefn.kube.real import RealKube

    client: Any = ApiClient(configuration(parsed))
    try:
        yield RealKube(client)
    except (ApiServerUnreachableError, ApiServerRefusedError) as exc:
        # Which server, from which setting: the first thing to check when it cannot be reached.
        raise type(exc)(f"{exc} [{describe(parsed, server=client.configuration.host)}]") from exc
    finally:
        client.close()


def describe(parsed: ClusterSetting, *, server: str | None) -> str:
    """``API server https://10.0.0.1:6443 from kubeconfig /home/me/.kube/config, context dev``."""
    where = f"API server {server}" if server else "the API server"
    if parsed.kind is AccessKind.KUBECONFIG:
        context = f", context {parsed.context}" if parsed.context else ", its current context"
        return f"{where} from kubeconfig {parsed.parts[0]}{context}"
    if parsed.kind is AccessKind.IN_CLUSTER:
        return f"{where} from the in-cluster service account"
    return f"{where} of {parsed.kind}:{'/'.join(parsed.parts)}"


def configuration(parsed: ClusterSetting) -> Any:
    """A ``kubernetes.client.Configuration`` for a parsed (non-local) setting."""
    from kubernetes import config as kube_config
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException

    if parsed.kind is AccessKind.EKS:
        from weavefn.kube.eks import eks_configuration

        return _bounded(eks_configuration(*parsed.parts))
    if parsed.kind is AccessKind.GKE:
        from weavefn.kube.gke import gke_configuration

        return _bounded(gke_configuration(*parsed.parts))
    if parsed.kind is AccessKind.AKS:
        from weavefn.kube.aks import aks_configuration

        return _bounded(aks_configuration(*parsed.parts))
    loader: Any = kube_config  # its loaders are untyped
    cfg = Configuration()
    try:
        if parsed.kind is AccessKind.IN_CLUSTER:
            loader.load_incluster_config(client_configuration=cfg)
        else:
            _check_kubeconfig(parsed.parts[0], parsed.context)
            loader.load_kube_config(
                config_file=parsed.parts[0],
                context=parsed.context,
                client_configuration=cfg,
                persist_config=False,
            )
    except (ConfigException, OSError) as exc:
        where = parsed.parts[0] if parsed.parts else "the service account"
        raise _unloadable(parsed, f"cannot load {where}: {exc}") from None
    return _bounded(cfg)


def _check_kubeconfig(path: str, context: str | None) -> None:
    """The file exists and names the context: say which, rather than the loader's words."""
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    loader: Any = kube_config  # its loaders are untyped
    parsed = ClusterSetting(AccessKind.KUBECONFIG, (path,), context)
    if not os.path.isfile(path):
        raise _unloadable(parsed, f"no kubeconfig file at {path}")
    if context is None:
        return
    try:
        contexts, _ = loader.list_kube_config_contexts(config_file=path)
    except ConfigException:
        return  # the loader says what is wrong with the file
    names = [c.get("name") for c in contexts or [] if isinstance(c, dict)]
    if context not in names:
        known = ", ".join(str(n) for n in names) or "none"
        raise _unloadable(parsed, f"context {context!r} is not in {path} (its contexts: {known})")


def _unloadable(parsed: ClusterSetting, why: str) -> InvalidInputError:
    """A setting of the right form that cannot be used: its value and why, not every form."""
    setting = str(parsed.kind)
    if parsed.parts:
        setting += ":" + "/".join(parsed.parts)
    if parsed.context:
        setting += f"#{parsed.context}"
    return InvalidInputError([FieldError("cluster", f"{setting!r}: {why}")], what="cluster setting")


def _bounded(cfg: Any) -> Any:
    from urllib3.util.retry import Retry

    # Connection failures are retried; a request the server may have received is not, so one
    # slow API server costs one timeout, not several.
    cfg.retries = Retry(total=2, read=0, status=0, redirect=0)
    return cfg


def _shape(kind: AccessKind) -> str:
    return {
        AccessKind.EKS: "REGION/NAME",
        AccessKind.GKE: "PROJECT/LOCATION/NAME",
        AccessKind.AKS: "SUBSCRIPTION/RESOURCE_GROUP/NAME",
    }[kind]


def _bad(setting: str, why: str) -> InvalidInputError:
    message = f"{setting!r}: {why}; use one of {_FORMS}"
    return InvalidInputError([FieldError("cluster", message)], what="cluster setting")
