"""A canary secret value fed through every path that handles a secret never reaches output.

Paths: Secret references in the spec (env, module config, Weaviate API key), the function's
environment (upgrade secret, admission token), signed upgrade requests, SNS messages (the
subscription token), the Weaviate API key sent to an endpoint that echoes it back, and the CLI.
Outputs checked: log lines, Events, status, error messages, HTTP answers, CLI output.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.cli.main import main as cli_main
from weavefn.errors import WeavefnError
from weavefn.invocation import ADMISSION_TOKEN_ENV, Settings
from weavefn.local.kube import open_local
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.signed_upgrade import SECRET_ENV, sign_upgrade
from weavefn.weaviate.http import WeaviateHttpApi
from weavefn.webhooks import handle_for

from tests.fuzz.rig import Rig, build_rig
from tests.soak.fleet import CANARY_SECRET, manifest, secret
from tests.soak.invariants import no_secret_leaked
from tests.soak.soak import Captured

CANARY = CANARY_SECRET


@pytest.fixture
def logs() -> Iterator[Captured]:
    captured = Captured()
    logger = logging.getLogger("weavefn")
    logger.addHandler(captured)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        logger.removeHandler(captured)
        logger.setLevel(previous)


@pytest.fixture
def rig() -> Rig:
    built = build_rig()
    built.instance.settings = Settings(
        cluster="local:unused.json", upgrade_secret=CANARY.encode(), admission_token=CANARY
    )
    return built


def post(rig: Rig, path: str, body: bytes, headers: dict[str, str] | None = None) -> str:
    request = HttpRequest(method="POST", path=path, headers=headers or {}, body=body)
    response = handle_for(rig.instance, request, deadline=float("inf"))
    return f"{response.status} {response.body.decode()}"


REQUESTS: dict[str, tuple[str, Any]] = {
    "admission-wrong-token": ("/admission", {"authorization": "Bearer not-it"}),
    "admission-token-as-body": ("/admission", {"authorization": f"Bearer {CANARY}x"}),
    "upgrade-wrong-signature": ("/upgrade", "sign-with-other"),
    "upgrade-signed-bad-body": ("/upgrade", "sign"),
    "restore-wrong-signature": ("/restore", "sign-with-other"),
    "restore-signed-bad-body": ("/restore", "sign"),
    "sns-subscription-token": ("/sns", {}),
}


@pytest.mark.parametrize("case", list(REQUESTS), ids=list(REQUESTS))
def test_webhook_answers_and_logs_never_hold_the_secret(
    rig: Rig, logs: Captured, case: str
) -> None:
    path, how = REQUESTS[case]
    body = json.dumps({"cluster": "weaviate/production", "version": f"1.{CANARY}"}).encode()
    headers: dict[str, str] = how if isinstance(how, dict) else {}
    if how == "sign":
        headers = sign_upgrade(body, secret=CANARY.encode(), timestamp=int(rig.clock()))
    elif how == "sign-with-other":
        headers = sign_upgrade(body, secret=b"other", timestamp=int(rig.clock()))
    if path == "/sns":
        body = json.dumps(
            {
                "Type": "SubscriptionConfirmation",
                "Token": CANARY,
                "SubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Token={CANARY}",
                "SignatureVersion": "2",
                "Signature": "AAAA",
                "SigningCertURL": "https://sns.us-east-1.amazonaws.com/c.pem",
                "TopicArn": "arn:aws:sns:us-east-1:1:t",
            }
        ).encode()
    answer = post(rig, path, body, headers)
    assert answer.split()[0].startswith("4"), answer
    assert no_secret_leaked(rig.kube, [CANARY], texts=[answer, *logs.lines]) == []


def test_settings_never_show_their_secrets() -> None:
    settings = Settings.from_env(
        {SECRET_ENV: CANARY, ADMISSION_TOKEN_ENV: CANARY, "WEAVEFN_CLUSTER": "local:x.json"}
    )
    assert settings.upgrade_secret == CANARY.encode()
    assert CANARY not in repr(settings) and CANARY not in str(settings)


class Echo(BaseHTTPRequestHandler):
    """A Weaviate that refuses every request, quoting the credentials it was sent."""

    def do_GET(self) -> None:
        body = json.dumps({"error": [{"message": f"bad key {self.headers.get('Authorization')}"}]})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_weaviate_api_key_is_redacted_from_errors_and_repr(logs: Captured) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = WeaviateHttpApi(f"http://127.0.0.1:{server.server_address[1]}", api_key=CANARY)
        with pytest.raises(WeavefnError) as refused:
            api.nodes()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert CANARY not in str(refused.value)
    assert CANARY not in repr(api)
    assert all(CANARY not in line for line in logs.lines)


def test_spec_references_never_copy_the_secret_into_objects_events_status_or_cli(
    tmp_path: Path, logs: Captured
) -> None:
    state = tmp_path / "cluster.json"
    with open_local(state) as kube:
        kube.apply(secret("search"))
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(manifest("c1", "search", _mover(), rng=random.Random(0))))
    target = f"local:{state}"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for argv in (
            ["apply", "-f", str(path), "--cluster", target],
            ["reconcile", "--cluster", target],
            ["status", "--cluster", target],
            ["render", "-f", str(path)],
        ):
            assert cli_main(argv) == 0, err.getvalue()
    assert CANARY not in out.getvalue() + err.getvalue()
    with open_local(state) as kube:
        rendered = [
            json.dumps(o)
            for kind in ("StatefulSet", "ConfigMap", "Service")
            for o in kube.list("apps/v1" if kind == "StatefulSet" else "v1", kind)
        ]
        assert rendered and all(CANARY not in text for text in rendered)
        assert "secretKeyRef" in rendered[0] or any("secretKeyRef" in t for t in rendered)
        assert no_secret_leaked(kube, [CANARY], texts=logs.lines) == []


def _mover() -> Any:
    from tests.soak.fleet import Flavor

    return Flavor.MOVER
