"""The Azure functions as the worker indexes them, on an in-memory local cluster.

Triggers are the worker's own binding types (azure.functions.timer/queue), as it decodes them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest
from weavefn import invocation
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.local.backend import local_backend
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.runtime import Runtime, build_runtime

from functions.azure import function_app

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events" / "azure"
EPOCH = 1_795_000_000.0
HOST = "https://func-weavefn-prod.azurewebsites.net"


@functools.cache
def built() -> dict[str, Any]:
    """The indexed functions by name; the app lets itself be indexed once per process."""
    return {f.get_function_name(): f for f in function_app.app.get_functions()}


def user_code(name: str) -> Callable[..., Any]:
    code: Callable[..., Any] = built()[name].get_user_function()
    return code


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def http_request(route: str, body: bytes | str, *, headers: dict[str, str] | None = None) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return func.HttpRequest(
        method="POST",
        url=f"{HOST}/api/{route}",
        headers={"Content-Type": "application/json", **(headers or {})},
        params={},
        body=data,
    )


def timer_request(document: dict[str, Any]) -> Any:
    return TimerRequest(
        past_due=document["IsPastDue"],
        schedule_status=document.get("ScheduleStatus"),
        schedule=document.get("Schedule"),
    )


def queue_message(document: dict[str, Any], *, body: str | bytes | None = None) -> Any:
    return QueueMessage(
        id=document["id"],
        body=document["body"] if body is None else body,
        dequeue_count=document["dequeueCount"],
        pop_receipt=document.get("popReceipt"),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(EPOCH)


@pytest.fixture
def kube(clock: ManualClock) -> LocalKube:
    return LocalKube(clock=clock, ready_delay=0.0)


@pytest.fixture
def runtime(kube: LocalKube, clock: ManualClock) -> Runtime:
    return build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))


@pytest.fixture
def instance(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Instance:
    """The warm-instance seam: every function gets this Instance instead of the env's."""
    chosen = Instance(
        settings=Settings(cluster="local:unused.json"),
        runtime_factory=lambda: fixed_runtime(runtime),
    )
    monkeypatch.setattr(invocation, "current", lambda: chosen)
    return chosen
