"""Real local services for end-to-end tests: the Pub/Sub emulator, a functions-framework server,
and a WeaviateCluster scenario on the real API server as weavefn's ServiceAccount.

Each service runs as its own process group on a free port and is torn down with the test. A
missing tool skips the test on a workstation but fails it in CI (env ``CI`` set), so CI never
passes by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from weavefn.kube.real import RealKube
from weavefn.local.weaviate.cluster import EmbeddedWeaviate

from tests.e2e.real_cluster import FAST, NAME, Scenario, service_account_kubeconfig
from tests.support.kubelet import Kubelet
from tests.support.realk8s import ControlPlane

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_START_SECONDS = 60.0
SERVER_START_SECONDS = 30.0
PROJECT = "weavefn-e2e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_tool(reason: str) -> None:
    """Skip locally; in CI a missing tool is a broken image, so fail loudly instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@dataclass
class Process:
    """A child process in its own group, with its output kept in a log file."""

    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        # gcloud starts the emulator's JVM as a child: end the whole group, not just gcloud
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def start(args: list[str], *, log: Path, env: dict[str, str] | None = None) -> Process:
    out: IO[bytes] = log.open("wb")
    try:
        popen = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    finally:
        out.close()
    return Process(popen, log)


def _gcloud_emulator() -> str:
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        missing_tool("gcloud is not installed (Pub/Sub emulator)")
        raise AssertionError("unreachable")
    sdk = Path(gcloud).resolve().parent.parent
    if not (sdk / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator").exists():
        missing_tool("the gcloud pubsub-emulator component is not installed")
    if shutil.which("java") is None:
        missing_tool("the Pub/Sub emulator needs Java (17+)")
    return gcloud


class PubSubEmulator:
    """The emulator's REST API: topics, push subscriptions, publishing."""

    def __init__(self, base: str, project: str) -> None:
        self.base = base
        self.project = project

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}/v1/projects/{self.project}/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def topic(self, name: str) -> str:
        self._call("PUT", f"topics/{name}")
        return f"projects/{self.project}/topics/{name}"

    def push_subscription(self, name: str, *, topic: str, endpoint: str) -> None:
        self._call(
            "PUT",
            f"subscriptions/{name}",
            {"topic": topic, "pushConfig": {"pushEndpoint": endpoint}, "ackDeadlineSeconds": 30},
        )

    def publish(self, topic: str, data: str, *, attributes: dict[str, str] | None = None) -> str:
        name = topic.rsplit("/", 1)[-1]
        answer = self._call(
            "POST",
            f"topics/{name}:publish",
            {"messages": [{"data": data, "attributes": attributes or {}}]},
        )
        return str(answer["messageIds"][0])


@pytest.fixture
def pubsub_emulator(tmp_path: Path) -> Iterator[PubSubEmulator]:
    gcloud = _gcloud_emulator()
    port = free_port()
    data_dir = tmp_path / "pubsub-data"
    data_dir.mkdir()
    process = start(
        [
            gcloud,
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port=127.0.0.1:{port}",
            f"--project={PROJECT}",
            f"--data-dir={data_dir}",
        ],
        log=tmp_path / "pubsub-emulator.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: answers(base) or not process.alive(),
            timeout=EMULATOR_START_SECONDS,
            what="the Pub/Sub emulator",
        )
        assert process.alive(), f"the Pub/Sub emulator exited:\n{process.output()}"
        yield PubSubEmulator(base, PROJECT)
    finally:
        process.stop()


@dataclass
class FunctionServer:
    url: str
    process: Process


@pytest.fixture
def gcp_function_server(tmp_path: Path) -> Iterator[Callable[..., FunctionServer]]:
    """Start ``functions-framework`` on functions/gcp/main.py as a real HTTP server."""
    started: list[Process] = []

    def launch(*, target: str, signature_type: str, env: dict[str, str]) -> FunctionServer:
        port = free_port()
        process = start(
            [
                sys.executable,
                "-m",
                "functions_framework",
                f"--target={target}",
                f"--signature-type={signature_type}",
                f"--source={ROOT / 'functions' / 'gcp' / 'main.py'}",
                "--host=127.0.0.1",
                f"--port={port}",
            ],
            log=tmp_path / f"functions-framework-{target}.log",
            env={**os.environ, **env},
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: answers(url) or not process.alive(),
            timeout=SERVER_START_SECONDS,
            what="the functions-framework server",
        )
        assert process.alive(), f"functions-framework exited:\n{process.output()}"
        return FunctionServer(url, process)

    try:
        yield launch
    finally:
        for process in started:
            process.stop()


# weavefn on the real API server (tests/e2e/real_cluster.py)


@pytest.fixture(scope="module")
def kubeconfig(
    control_plane: ControlPlane, real_kube: RealKube, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    target = tmp_path_factory.mktemp("weavefn") / "kubeconfig"
    return service_account_kubeconfig(control_plane, real_kube, target)


@pytest.fixture
def scenario(real_kube: RealKube, kubelet: Kubelet, kubeconfig: Path) -> Iterator[Scenario]:
    found = Scenario(
        admin=real_kube,
        kubelet=kubelet,
        namespace=f"e2e-{uuid.uuid4().hex[:8]}",
        name=NAME,
        sim=EmbeddedWeaviate(timing=FAST),
        kubeconfig=kubeconfig,
    )
    try:
        yield found
    finally:
        kubelet.failing_images.clear()
        found.stop()
