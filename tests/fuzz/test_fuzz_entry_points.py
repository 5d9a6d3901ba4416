"""Every platform entry point fed mutated samples and hostile bodies.

What may come out: a weavefn error, a clean 4xx, an acknowledgement or a 2xx. Never a 500 or
an unhandled exception for bad input, and a refused input never writes to the cluster.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage
from functions_framework import create_app
from hypothesis import given
from hypothesis import strategies as st
from weavefn.cli.main import main as cli_main
from weavefn.errors import RetryableError, WeavefnError
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.signed_upgrade import sign_upgrade
from weavefn.webhooks import Route, handle_for

from functions.aws.handlers import AlarmRetryError, AwsHandlers, LocalContext
from tests.adapters.azure.conftest import user_code
from tests.fuzz.rig import ROOT, SECRET, Rig, as_current, build_rig
from tests.fuzz.strategies import (
    FUZZ,
    deep_json_text,
    encode,
    hostile_bytes,
    json_values,
    mutated,
    payloads,
    samples,
)

Response = dict[str, Any]


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    built = build_rig()
    with as_current(built.instance):
        yield built


def _bodies() -> list[Any]:
    docs: list[Any] = []
    for sample in samples().values():
        body = sample.get("body") if isinstance(sample, dict) else None
        if isinstance(body, str):
            try:
                docs.append(json.loads(body))
            except ValueError:
                continue
    # a cluster created from a backup: spec.restoreFrom through admission and validate too
    review = copy.deepcopy(json.loads(samples()["aws/apigw-admission-review.json"]["body"]))
    review["request"]["object"]["spec"]["restoreFrom"] = {
        "backend": "s3",
        "id": "weavefn-scheduled-v1-27-0-20261118t030000z",
        "include": ["Articles"],
        "nodeMapping": {"old-0": "production-0"},
    }
    return [*docs, review, review["request"]["object"]]


BODIES = _bodies()
paths = st.sampled_from(
    [f"/{r}" for r in Route] + ["/api/admission", "/fn-upgrade", "/", "/nope", "/%00", "/" * 300]
)
methods = st.sampled_from(["POST", "GET", "PUT", "DELETE", "post"])
header_maps = st.dictionaries(
    st.sampled_from(
        [
            "authorization",
            "content-type",
            "x-weavefn-timestamp",
            "x-weavefn-signature",
            "x-amz-sns-message-type",
            "x-cloudscheduler",
        ]
    ),
    st.text(max_size=60),
    max_size=4,
)


@FUZZ
@given(path=paths, method=methods, headers=header_maps, body=hostile_bytes(BODIES))
def test_router_answers_4xx_or_2xx_and_refusals_write_nothing(
    rig: Rig, path: str, method: str, headers: dict[str, str], body: bytes
) -> None:
    request = HttpRequest(method=method, path=path, headers=headers, body=body)
    before = rig.kube.writes
    response = handle_for(rig.instance, request, deadline=float("inf"))
    assert response.status != 500, response.body[:300]
    assert isinstance(response.json(), dict)
    if response.status >= 400:
        assert rig.kube.writes == before


RESTORE = json.loads(samples()["aws/apigw-restore-request.json"]["body"])


@FUZZ
@given(body=hostile_bytes([RESTORE]))
def test_signed_restore_requests_answer_4xx_or_2xx_and_refusals_write_nothing(
    rig: Rig, body: bytes
) -> None:
    """Past the signature: the body, the cluster and Weaviate's checks, and nothing else."""
    headers = sign_upgrade(body, secret=SECRET, timestamp=int(time.time()))
    request = HttpRequest(method="POST", path="/restore", headers=headers, body=body)
    before = rig.kube.writes
    response = handle_for(rig.instance, request, deadline=float("inf"))
    assert response.status != 500, response.body[:300]
    assert isinstance(response.json(), dict)
    if response.status >= 400:
        assert rig.kube.writes == before


aws = AwsHandlers()


@pytest.mark.parametrize("handler", ["alarm", "schedule", "queue", "webhook"])
@FUZZ
@given(event=payloads("aws"))
def test_aws_handlers_drop_or_answer_bad_events(rig: Rig, handler: str, event: Any) -> None:
    handlers = AwsHandlers(lambda: rig.instance)
    before = rig.kube.writes
    try:
        result = getattr(handlers, handler)(event, LocalContext(budget_seconds=30.0))
    except AlarmRetryError:
        return  # Lambda's own retry: a valid alarm met a transient failure
    assert isinstance(result, dict)
    if handler == "webhook":
        assert result["statusCode"] != 500, result["body"][:300]
        refused = result["statusCode"] >= 400
    elif handler == "queue":
        refused = not isinstance(event, dict) or not event.get("Records")
    else:
        refused = "dropped" in result["message"]
    if refused:
        assert rig.kube.writes == before


GCP_SOURCE = ROOT / "functions" / "gcp" / "main.py"


@pytest.fixture(scope="module")
def gcp_pubsub(rig: Rig) -> Any:
    return create_app(
        target="on_pubsub", source=str(GCP_SOURCE), signature_type="cloudevent"
    ).test_client()


@pytest.fixture(scope="module")
def gcp_http(rig: Rig) -> Any:
    return create_app(target="on_http", source=str(GCP_SOURCE), signature_type="http").test_client()


PUBSUB_SAMPLES = [s for s in samples("gcp").values() if "specversion" in s]
DEEP_DATA = base64.b64encode(deep_json_text().encode()).decode()
ENVELOPE = ("specversion", "id", "source", "type", "datacontenttype", "time")


@st.composite
def cloudevents(draw: st.DrawFn) -> Any:
    """Eventarc writes the CloudEvent envelope; what a publisher controls is its data."""
    original = draw(st.sampled_from(PUBSUB_SAMPLES))
    event = draw(mutated(original))
    event = event if isinstance(event, dict) else {}
    event = {**event, **{key: original[key] for key in ENVELOPE if key in original}}
    try:  # the envelope is Google's JSON: only the base64 message data can nest without bound
        json.loads(encode(event))
    except (RecursionError, ValueError):
        event = {**original, "data": {"message": {"data": DEEP_DATA, "messageId": "1"}}}
    return event


@FUZZ
@given(event=cloudevents())
def test_gcp_pubsub_acknowledges_or_rejects_bad_messages(
    rig: Rig, gcp_pubsub: Any, event: Any
) -> None:
    body = encode(event)
    answer = gcp_pubsub.post(
        "/", data=body, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert answer.status_code < 500, answer.get_data()[:300]


# a front end never forwards a header value with a line break in it
header_values = st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=60)
gcp_headers = st.dictionaries(st.sampled_from(["authorization", "x-cloudscheduler"]), header_values)


@FUZZ
@given(path=paths, headers=gcp_headers, body=hostile_bytes(BODIES))
def test_gcp_http_answers_4xx_or_2xx(
    rig: Rig, gcp_http: Any, path: str, headers: dict[str, str], body: bytes
) -> None:
    before = rig.kube.writes
    answer = gcp_http.post(path.replace("%", "%25"), data=body, headers=headers)
    assert answer.status_code < 500, answer.get_data()[:300]
    if answer.status_code >= 400:
        assert rig.kube.writes == before


def _azure(name: str) -> Any:
    # the app lets itself be indexed once per process: share the adapter tests' index
    return user_code(name)


AZURE_HTTP = {name: _azure(name) for name in ("alert", "admission", "upgrade", "restore")}
AZURE_FANOUT = _azure("fanout")


@pytest.mark.parametrize("name", sorted(AZURE_HTTP))
@FUZZ
@given(body=hostile_bytes([*BODIES, *samples("azure").values()]), headers=header_maps)
def test_azure_http_functions_answer_4xx_or_2xx(
    rig: Rig, name: str, body: bytes, headers: dict[str, str]
) -> None:
    request = func.HttpRequest(
        method="POST",
        url=f"https://fuzz.azurewebsites.net/api/{name}",
        headers=headers,
        params={},
        body=body,
    )
    before = rig.kube.writes
    answer = AZURE_HTTP[name](request)
    assert answer.status_code < 500, answer.get_body()[:300]
    if answer.status_code >= 400:
        assert rig.kube.writes == before


QUEUE_SAMPLE = samples("azure")["azure/queue-reconcile.json"]


@FUZZ
@given(
    body=st.one_of(
        mutated(json.loads(QUEUE_SAMPLE["body"])).map(encode),
        json_values.map(json.dumps),
        st.binary(max_size=100),
    )
)
def test_azure_queue_drops_malformed_messages(rig: Rig, body: str | bytes) -> None:
    message = QueueMessage(id="fuzz", body=body, dequeue_count=1)
    # a valid message that met a transient failure raises for redelivery: the right answer
    with contextlib.suppress(RetryableError):
        AZURE_FANOUT(message)


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.sampled_from(BODIES).flatmap(mutated).map(lambda d: encode(d).decode("latin-1")),
        st.just("[" * 2_000),
        st.just("a: &x [*x]"),
        st.just("\t- :"),
    )
)
def test_cli_manifest_loading_exits_cleanly(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = Path(tmp_path_factory.mktemp("manifest")) / "cluster.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            code = cli_main(["validate", "-f", str(path)])
        except WeavefnError as escaped:  # main maps these to exit codes
            pytest.fail(f"an error escaped main: {escaped}")
    assert code in (0, 2)
    err = stderr.getvalue()
    assert "Traceback" not in err
    if code == 2:
        assert err.strip()


@pytest.fixture(scope="module")
def backed_up_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A local cluster file holding the example cluster and one finished backup of it."""
    from weavefn.local.kube import ManualClock, open_local
    from weavefn.local.weaviate.api import EmbeddedWeaviateApi
    from weavefn.local.weaviate.connector import edit_sim

    path = Path(tmp_path_factory.mktemp("restore")) / "cluster.json"
    clock = ManualClock(1_795_000_000.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("weavefn.local.kube.persist.wall_clock", clock)
        setting = f"local:{path}"
        assert (
            cli_main(
                ["apply", "-f", str(ROOT / "examples/production-aws.yaml"), "--cluster", setting]
            )
            == 0
        )
        assert cli_main(["reconcile", "--cluster", setting]) == 0
        backup = "weavefn-on-demand-v1-27-0-20261118t110640z"
        with open_local(path) as kube, edit_sim(kube, "weaviate/production") as sim:
            EmbeddedWeaviateApi(sim).create_backup("s3", backup)
        clock.advance(60)
        with open_local(path) as kube, edit_sim(kube, "weaviate/production") as sim:
            sim.drop_collection(sim.state.collections[0].name)
        yield path, backup


OPTION_TEXT = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.lists(st.sampled_from(["Articles", "x", "", " ", "=", "a=b", "production-0"])).map(",".join),
)


@FUZZ
@given(
    backup=st.one_of(st.text(max_size=80), st.just("weavefn-on-demand-v1-27-0-20261118t110640z")),
    options=st.fixed_dictionaries(
        {
            "--include": OPTION_TEXT,
            "--node-mapping": OPTION_TEXT,
            "--version": OPTION_TEXT,
            "--backend": st.sampled_from([None, "s3", "gcs", "filesystem", "ftp"]),
        }
    ),
)
def test_cli_restore_refuses_bad_options_by_name_and_changes_nothing(
    backed_up_file: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
    backup: str,
    options: dict[str, str | None],
) -> None:
    source, _ = backed_up_file
    path = Path(tmp_path_factory.mktemp("restore-try")) / "cluster.json"
    pristine = source.read_bytes()
    path.write_bytes(pristine)
    argv = ["restore", "production", "--backup", backup, "--cluster", f"local:{path}"]
    argv += [f"{option}={value}" for option, value in options.items() if value is not None]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(argv)
        except WeavefnError as escaped:
            pytest.fail(f"an error escaped main: {escaped}")
        except SystemExit as usage:  # argparse's refusal (an unknown --backend)
            code = int(usage.code or 0)
    assert code in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert err.getvalue().strip()
        assert path.read_bytes() == pristine, "a refused restore changed the cluster"
