"""Every HTTP entry point refuses an oversize body with 413 before parsing it, writing nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest
from functions_framework import create_app
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.signed_upgrade import MAX_BODY_BYTES as UPGRADE_LIMIT
from weavefn.triggers.signed_upgrade import sign_upgrade
from weavefn.webhooks import MAX_BODY_BYTES, Route, handle_for

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.adapters.azure.conftest import user_code
from tests.fuzz.rig import ROOT, SECRET, Rig, as_current, build_rig

OVERSIZE = b'{"a":"' + b"x" * MAX_BODY_BYTES + b'"}'


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    built = build_rig()
    with as_current(built.instance):
        yield built


def router(rig: Rig, path: str, body: bytes, headers: dict[str, str]) -> int:
    request = HttpRequest(method="POST", path=path, headers=headers, body=body)
    return handle_for(rig.instance, request, deadline=float("inf")).status


def aws(rig: Rig, path: str, body: bytes, headers: dict[str, str]) -> int:
    event = {
        "version": "2.0",
        "rawPath": path,
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": path}, "requestId": "r"},
        "body": body.decode(),
        "isBase64Encoded": False,
    }
    answer = AwsHandlers(lambda: rig.instance).webhook(event, LocalContext())
    return int(answer["statusCode"])


def gcp(rig: Rig, path: str, body: bytes, headers: dict[str, str]) -> int:
    source = ROOT / "functions" / "gcp" / "main.py"
    client = create_app(target="on_http", source=str(source), signature_type="http").test_client()
    return int(client.post(path, data=body, headers=headers).status_code)


def azure(rig: Rig, path: str, body: bytes, headers: dict[str, str]) -> int:
    name = path.strip("/")
    request = func.HttpRequest(
        method="POST",
        url=f"https://limits.azurewebsites.net/api/{name}",
        headers=headers,
        params={},
        body=body,
    )
    return int(user_code(name)(request).status_code)


ENTRY_POINTS: dict[str, tuple[Callable[[Rig, str, bytes, dict[str, str]], int], str]] = {
    **{f"router-{r}": (router, f"/{r}") for r in Route},
    **{f"aws-webhook-{r}": (aws, f"/{r}") for r in Route},
    **{f"gcp-on-http-{r}": (gcp, f"/{r}") for r in Route},
    **{f"azure-{n}": (azure, f"/{n}") for n in ("alert", "admission", "upgrade", "restore")},
}


@pytest.mark.parametrize("case", list(ENTRY_POINTS), ids=list(ENTRY_POINTS))
def test_oversize_body_is_413_and_writes_nothing(rig: Rig, case: str) -> None:
    call, path = ENTRY_POINTS[case]
    before = rig.kube.writes
    assert call(rig, path, OVERSIZE, {"content-type": "application/json"}) == 413
    assert rig.kube.writes == before


@pytest.mark.parametrize("route", ["upgrade", "restore"])
def test_a_signed_request_above_16_kib_is_413_before_hashing(rig: Rig, route: str) -> None:
    body = b'{"cluster":"weaviate/production","version":"1.28.0","pad":"' + b"x" * UPGRADE_LIMIT
    headers: dict[str, Any] = sign_upgrade(body + b'"}', secret=SECRET, timestamp=int(rig.clock()))
    assert router(rig, f"/{route}", body + b'"}', headers) == 413
