"""``weavefn invoke EVENT.json``: run a platform payload through its cloud's function, locally.

The payload goes to the real entry point of the cloud it belongs to (``--cloud`` must agree):
the Lambda handler, the functions-framework app, or the Azure function (entry_points.py).
Only the cluster differs: the one ``--cluster`` names, the local one by default.
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

from weavefn.cli.entry_points import Delivery, deliver
from weavefn.cli.io import read_text_file
from weavefn.cli.options import add_target_options
from weavefn.errors import FieldError, InvalidInputError
from weavefn.invocation import Instance, RuntimeProvider, Settings
from weavefn.kube.access import cluster_setting
from weavefn.queue.follow_ups import follow_up_queue
from weavefn.triggers.detect import Cloud, Detected, PayloadKind, detect
from weavefn.triggers.http_payloads import read_http
from weavefn.triggers.signed_upgrade import SECRET_ENV, SIGNATURE_HEADER, sign_upgrade
from weavefn.triggers.sns_signature import SignatureError, SnsVerifier

BUDGET_SECONDS = 60.0
SIGNED = (PayloadKind.UPGRADE_REQUEST, PayloadKind.RESTORE_REQUEST)
"""Requests CI/CD signs with the shared secret."""


def configure(name: str, invoke: Any) -> None:
    """The arguments of ``invoke``."""
    invoke.add_argument("event", metavar="EVENT.json", help="the payload, e.g. events/aws/...")
    invoke.add_argument(
        "--cloud",
        choices=[c.value for c in Cloud if c is not Cloud.ANY],
        help="whose function receives it (default: recognised from the payload)",
    )
    invoke.add_argument(
        "--sign",
        action="store_true",
        help=f"re-sign an upgrade or restore request with ${SECRET_ENV} (a one-off secret if "
        "unset)",
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
    if kind in SIGNED and not settings.upgrade_secret:
        # a local run still checks signatures: against a secret that lives for this run only
        settings = replace(settings, upgrade_secret=secrets.token_bytes(32))
        if args.sign:
            print(f"note: {SECRET_ENV} is unset; signed with a one-off secret for this run")
    verifier = SnsVerifier(_refuse_placeholder_certificates) if _sns_sample(payload) else None
    # follow-ups as the deployed function would queue them; on the local cluster, beside it
    provider = RuntimeProvider(settings.cluster, follow_ups=follow_up_queue(settings.follow_ups))
    instance = Instance(settings=settings, runtime_factory=provider)
    if verifier is not None:
        instance.verifier = verifier
    return instance


def _sns_sample(payload: dict[str, Any]) -> bool:
    body = payload.get("body")
    return isinstance(body, str) and '"Signature": "EXAMPLE' in body.replace('\\"', '"')


def _cloud(args: argparse.Namespace, detected: Detected) -> Cloud:
    """The cloud whose function receives the payload: its own, which --cloud may only confirm."""
    if not args.cloud:
        return Cloud.AWS if detected.cloud is Cloud.ANY else detected.cloud
    chosen = Cloud(args.cloud)
    if detected.cloud not in (Cloud.ANY, chosen):
        raise InvalidInputError(
            [
                FieldError(
                    "--cloud",
                    f"{args.event} belongs to {detected.cloud.upper()} ({detected.kind}): "
                    f"no {chosen.upper()} function receives it; use --cloud {detected.cloud} "
                    "or omit --cloud",
                )
            ],
            what="option",
        )
    return chosen


def _invoke(args: argparse.Namespace) -> int:
    payload = _load(args.event)
    detected = detect(payload)
    cloud = _cloud(args, detected)
    instance = _instance(args, payload, detected.kind)
    if detected.kind in SIGNED and args.sign:
        payload = _sign(payload, instance.settings.upgrade_secret)
    with _collecting() as seen:
        delivery = deliver(cloud, detected, payload, instance=instance, budget=BUDGET_SECONDS)
    _report(args, detected=detected, cloud=cloud, delivery=delivery, seen=seen, payload=payload)
    return 1 if delivery.failed else 0


def _report(
    args: argparse.Namespace,
    *,
    detected: Detected,
    cloud: Cloud,
    delivery: Delivery,
    seen: _Decisions,
    payload: dict[str, Any],
) -> None:
    result = delivery.result
    if args.output == "json":
        document = {"kind": detected.kind, "cloud": cloud, "target": delivery.target}
        print(json.dumps({**document, "result": result}, indent=2))
        return
    print(f"{detected.kind} ({cloud}) -> {delivery.target}")
    for cluster, decision in seen.decisions:
        print(f"{cluster}: {decision}")
    for note in seen.notes:
        print(f"note: {note}", file=sys.stderr)
    if "statusCode" in result:
        print(f"HTTP {result['statusCode']}: {result['body']}")
    elif "batchItemFailures" in result:
        failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
        print("batch: " + (f"retry {', '.join(failed)}" if failed else "all records done"))
    elif "raised" in result:
        print(f"raised {result['raised']} (the platform delivers it again): {result['message']}")
    elif not seen.decisions:
        print(json.dumps(result))
    if detected.kind in SIGNED and _placeholder_signature(payload):
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
