"""``weavefn invoke EVENT.json``: run a platform payload through the function code, locally.

AWS payloads go through the Lambda handler itself with a local context object. GCP and Azure
payloads take the shared core path their adapters call (the HTTP router, or the trigger
runner), since their entry points need the platform's own request objects.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from weavefn.cli.io import read_text_file
from weavefn.cli.options import add_target_options
from weavefn.errors import FieldError, InvalidInputError
from weavefn.invocation import (
    Instance,
    RuntimeProvider,
    Settings,
    deadline_from,
    run_schedule,
    run_trigger,
)
from weavefn.kube.access import cluster_setting
from weavefn.triggers.detect import Category, Cloud, Detected, PayloadKind, detect
from weavefn.triggers.http import is_apigw_v2, read_http
from weavefn.triggers.model import ScheduleTrigger
from weavefn.triggers.parse import parse_trigger
from weavefn.triggers.signed_upgrade import SECRET_ENV, SIGNATURE_HEADER, sign_upgrade
from weavefn.triggers.sns_signature import SignatureError, SnsVerifier
from weavefn.webhooks import handle_for

BUDGET_SECONDS = 60.0
_AWS_HANDLER = {
    Category.ALARM: "alarm",
    Category.SCHEDULE: "schedule",
    Category.QUEUE: "queue",
    Category.WEBHOOK: "webhook",
}


def register(commands: Any) -> None:
    invoke = commands.add_parser(
        "invoke", help="run a trigger payload (see events/) through the function code"
    )
    invoke.add_argument("event", metavar="EVENT.json", help="the payload, e.g. events/aws/...")
    invoke.add_argument(
        "--cloud",
        choices=[c.value for c in Cloud if c is not Cloud.ANY],
        help="whose function receives it (default: recognised from the payload)",
    )
    invoke.add_argument(
        "--sign",
        action="store_true",
        help=f"re-sign an upgrade request with ${SECRET_ENV} (a one-off secret if unset)",
    )
    invoke.add_argument("-o", "--output", choices=["text", "json"], default="text")
    add_target_options(invoke, names=False)
    invoke.set_defaults(run=_invoke)


def _load(path: str) -> Any:
    text = read_text_file(path)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInputError([FieldError(path, f"not JSON: {exc}")]) from None


class _Decisions(logging.Handler):
    """Collects the per-cluster decision lines the function code logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.decisions: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        cluster, decision = record.__dict__.get("cluster"), record.__dict__.get("decision")
        if cluster and decision:
            self.decisions.append((str(cluster), str(decision)))
        elif record.levelno >= logging.WARNING and record.__dict__.get("error"):
            self.notes.append(f"{record.getMessage()} ({record.__dict__['error']})")


@contextmanager
def _collecting() -> Iterator[_Decisions]:
    logger = logging.getLogger("weavefn")
    handler, level = _Decisions(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _placeholder_signature(payload: dict[str, Any]) -> bool:
    headers = {str(k).lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
    return "<" in headers.get(SIGNATURE_HEADER.lower(), "")


def _sign(payload: dict[str, Any], secret: bytes) -> dict[str, Any]:
    request = read_http(payload)
    signed = sign_upgrade(request.body, secret=secret, timestamp=int(time.time()))
    headers = {
        k: v
        for k, v in (payload.get("headers") or {}).items()
        if str(k).lower() not in {h.lower() for h in signed}
    }
    return {**payload, "headers": {**headers, **{k.lower(): v for k, v in signed.items()}}}


def _refuse_placeholder_certificates(url: str) -> bytes:
    # samples carry placeholder SNS signatures: say so instead of fetching a real certificate
    raise SignatureError("placeholder signature in a sample; real SNS deliveries verify")


def _instance(args: argparse.Namespace, payload: dict[str, Any], kind: PayloadKind) -> Instance:
    settings = replace(Settings.from_env(), cluster=cluster_setting(args.cluster))
    if kind is PayloadKind.UPGRADE_REQUEST and not settings.upgrade_secret:
        # a local run still checks signatures: against a secret that lives for this run only
        settings = replace(settings, upgrade_secret=secrets.token_bytes(32))
        if args.sign:
            print(f"note: {SECRET_ENV} is unset; signed with a one-off secret for this run")
    verifier = SnsVerifier(_refuse_placeholder_certificates) if _sns_sample(payload) else None
    instance = Instance(settings=settings, runtime_factory=RuntimeProvider(settings.cluster))
    if verifier is not None:
        instance.verifier = verifier
    return instance


def _sns_sample(payload: dict[str, Any]) -> bool:
    body = payload.get("body")
    return isinstance(body, str) and '"Signature": "EXAMPLE' in body.replace('\\"', '"')


def _aws_handler(detected: Detected, payload: dict[str, Any]) -> str:
    if is_apigw_v2(payload):
        return "webhook"  # SNS over HTTPS, upgrades and admission all arrive through the API
    return _AWS_HANDLER[detected.category]


def _run_aws(handler: str, payload: dict[str, Any], instance: Instance) -> Any:
    from functions.aws.handlers import AwsHandlers, LocalContext

    handlers = AwsHandlers(lambda: instance)
    return getattr(handlers, handler)(payload, LocalContext(budget_seconds=BUDGET_SECONDS))


def _run_core(detected: Detected, payload: dict[str, Any], instance: Instance) -> Any:
    deadline = deadline_from(BUDGET_SECONDS)
    if "method" in payload:
        response = handle_for(instance, read_http(payload), deadline=deadline)
        return {"statusCode": response.status, "body": response.body.decode()}
    results = []
    for trigger in parse_trigger(payload):
        if isinstance(trigger, ScheduleTrigger):
            outcome = run_schedule(trigger, instance=instance, deadline=deadline)
        else:
            outcome = run_trigger(trigger, instance=instance, deadline=deadline)
        results.append({"ok": outcome.ok, "retry": outcome.retry, "message": outcome.message})
    return results


def _failed(result: Any) -> bool:
    if isinstance(result, list):
        return any(_failed(r) for r in result)
    if not isinstance(result, dict):
        return False
    return (
        int(result.get("statusCode", 200)) >= 400
        or result.get("ok") is False
        or bool(result.get("batchItemFailures"))
    )


def _invoke(args: argparse.Namespace) -> int:
    payload = _load(args.event)
    detected = detect(payload)
    cloud = Cloud(args.cloud) if args.cloud else detected.cloud
    instance = _instance(args, payload, detected.kind)
    if detected.kind is PayloadKind.UPGRADE_REQUEST and args.sign:
        payload = _sign(payload, instance.settings.upgrade_secret)
    with _collecting() as seen:
        if cloud in (Cloud.AWS, Cloud.ANY) and detected.kind is not PayloadKind.CLUSTER_MESSAGE:
            result = _run_aws(_aws_handler(detected, payload), payload, instance)
        else:
            result = _run_core(detected, payload, instance)
    _report(args, detected=detected, cloud=cloud, result=result, seen=seen, payload=payload)
    return 1 if _failed(result) else 0


def _report(
    args: argparse.Namespace,
    *,
    detected: Detected,
    cloud: Cloud,
    result: Any,
    seen: _Decisions,
    payload: dict[str, Any],
) -> None:
    if args.output == "json":
        print(json.dumps({"kind": detected.kind, "cloud": cloud, "result": result}, indent=2))
        return
    print(f"{detected.kind} ({cloud}) -> {_target(cloud, detected, payload)}")
    for cluster, decision in seen.decisions:
        print(f"{cluster}: {decision}")
    for note in seen.notes:
        print(f"note: {note}", file=sys.stderr)
    if isinstance(result, dict) and "statusCode" in result:
        print(f"HTTP {result['statusCode']}: {result['body']}")
    elif isinstance(result, dict) and "batchItemFailures" in result:
        failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
        print("batch: " + (f"retry {', '.join(failed)}" if failed else "all records done"))
    elif not seen.decisions:
        print(json.dumps(result))
    if detected.kind is PayloadKind.UPGRADE_REQUEST and _placeholder_signature(payload):
        print(
            f"note: this sample's {SIGNATURE_HEADER} is a placeholder, so the webhook answers "
            "401; re-run with --sign to sign it",
            file=sys.stderr,
        )
    if _sns_sample(payload):
        print(
            "note: this sample's SNS signature is a placeholder, so the webhook answers 403; "
            "real SNS deliveries are verified against Amazon's signing certificate",
            file=sys.stderr,
        )


def _target(cloud: Cloud, detected: Detected, payload: dict[str, Any]) -> str:
    if cloud in (Cloud.AWS, Cloud.ANY) and detected.kind is not PayloadKind.CLUSTER_MESSAGE:
        return f"functions/aws/handlers.{_aws_handler(detected, payload)}"
    return "the shared webhook router" if "method" in payload else "the service"
