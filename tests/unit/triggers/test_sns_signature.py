"""SNS message signatures: genuine v1/v2 messages pass, anything forged or altered does not."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from weavefn.errors import UnavailableError
from weavefn.triggers.parse import parse_alarm
from weavefn.triggers.sns_signature import (
    SNS_PARTITIONS,
    SignatureError,
    SnsVerifier,
    check_certificate_url,
    confirm_subscription,
    fetch_certificate_url,
    string_to_sign,
)

from tests.unit.triggers.test_samples import load

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0a1b2c3d.pem"
NOW = dt.datetime(2025, 11, 26, 10, 5, tzinfo=dt.UTC)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:weavefn-alarms"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def pem(key: rsa.RSAPrivateKey) -> bytes:
    return _certificate(key)


class Fetcher:
    """Serves the certificate for one URL and records what was asked for."""

    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


def verifier(fetch: Callable[[str], bytes]) -> SnsVerifier:
    return SnsVerifier(fetch, now=NOW.timestamp)


def notification(**over: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Subject": 'ALARM: "weaviate-production-qps-high"',
        "Message": '{"AlarmName":"weaviate-production-qps-high","NewStateValue":"ALARM"}',
        "Timestamp": "2025-11-26T10:05:12.402Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    } | over


def confirmation(kind: str = "SubscriptionConfirmation", **over: Any) -> dict[str, Any]:
    return {
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e2425c464de",
        "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336",
        "Timestamp": "2025-11-26T10:00:00.000Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
    } | over


def signed(message: dict[str, Any], key: rsa.RSAPrivateKey) -> dict[str, Any]:
    algorithm = hashes.SHA1() if message["SignatureVersion"] == "1" else hashes.SHA256()
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
    return message | {"Signature": base64.b64encode(signature).decode()}


def test_string_to_sign_has_the_documented_field_order() -> None:
    message = notification(Message="hello", Subject="subj", MessageId="id-1", Timestamp="t")
    assert string_to_sign(message) == (
        b"Message\nhello\nMessageId\nid-1\nSubject\nsubj\nTimestamp\nt\n"
        b"TopicArn\n" + TOPIC.encode() + b"\nType\nNotification\n"
    )
    assert string_to_sign(confirmation(Message="m", MessageId="i", Timestamp="t")) == (
        b"Message\nm\nMessageId\ni\nSubscribeURL\n"
        b"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336\n"
        b"Timestamp\nt\nToken\n2336412f37fb687f5d51e6e2425c464de\nTopicArn\n"
        + TOPIC.encode()
        + b"\nType\nSubscriptionConfirmation\n"
    )


GENUINE = {
    "notification-v1": lambda: notification(SignatureVersion="1"),
    "notification-v2": notification,
    "notification-without-subject": lambda: {
        k: v for k, v in notification().items() if k != "Subject"
    },
    "subscription-confirmation": confirmation,
    "unsubscribe-confirmation": lambda: confirmation("UnsubscribeConfirmation"),
    "china-region": lambda: notification(
        SigningCertURL="https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem"
    ),
    **{
        f"partition-{partition}": (
            lambda host=host: notification(
                SigningCertURL=f"https://{host}/SimpleNotificationService-1.pem"
            )
        )
        for partition, host in {
            "aws-us-gov": "sns.us-gov-west-1.amazonaws.com",
            "aws-iso": "sns.us-iso-east-1.c2s.ic.gov",
            "aws-iso-b": "sns.us-isob-east-1.sc2s.sgov.gov",
            "aws-iso-e": "sns.eu-isoe-west-1.cloud.adc-e.uk",
            "aws-iso-f": "sns.us-isof-south-1.csp.hci.ic.gov",
            "aws-eusc": "sns.eusc-de-east-1.amazonaws.eu",
            "aws-newer-region": "sns.mx-central-1.amazonaws.com",
        }.items()
    },
}


@pytest.mark.parametrize("make", GENUINE.values(), ids=GENUINE.keys())
def test_genuine_message_verifies(
    make: Callable[[], dict[str, Any]], key: rsa.RSAPrivateKey, pem: bytes
) -> None:
    fetch = Fetcher(pem)
    message = signed(make(), key)
    verifier(fetch).verify(message)
    assert fetch.urls == [message["SigningCertURL"]]


def test_certificate_is_fetched_once_per_url(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    fetch = Fetcher(pem)
    check = verifier(fetch)
    for version in ("1", "2", "2"):
        check.verify(signed(notification(SignatureVersion=version), key))
    assert fetch.urls == [CERT_URL]


ALTERED = [
    *[
        ("notification", field)
        for field in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn")
    ],
    *[
        ("confirmation", field)
        for field in ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn")
    ],
]


@pytest.mark.parametrize(("kind", "field"), ALTERED, ids=[f"{k}-{f}" for k, f in ALTERED])
def test_altered_field_is_rejected(
    kind: str, field: str, key: rsa.RSAPrivateKey, pem: bytes
) -> None:
    message = signed(notification() if kind == "notification" else confirmation(), key)
    message[field] = message[field] + "x"
    with pytest.raises(SignatureError):
        verifier(Fetcher(pem)).verify(message)


def test_type_swapped_after_signing_is_rejected(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    message = signed(confirmation(), key) | {"Type": "UnsubscribeConfirmation"}
    with pytest.raises(SignatureError):
        verifier(Fetcher(pem)).verify(message)


def test_forged_signature_from_another_key_is_rejected(pem: bytes) -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verifier(Fetcher(pem)).verify(signed(notification(), _key()))


def test_attacker_certificate_for_attacker_key_is_rejected_by_url(key: rsa.RSAPrivateKey) -> None:
    # whoever controls the certificate URL controls the key; only SNS hosts are trusted
    attacker = _key()
    fetch = Fetcher(_certificate(attacker))
    message = signed(notification(SigningCertURL="https://attacker.example/sns.pem"), attacker)
    with pytest.raises(SignatureError, match="SigningCertURL"):
        verifier(fetch).verify(message)
    assert fetch.urls == []


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.pop("Signature"),
        lambda m: m.update(Signature=""),
        lambda m: m.update(Signature="not base64 at all!"),
    ],
    ids=["unsigned", "empty-signature", "signature-not-base64"],
)
def test_unsigned_message_is_rejected(
    edit: Callable[[dict[str, Any]], object], key: rsa.RSAPrivateKey, pem: bytes
) -> None:
    message = signed(notification(), key)
    edit(message)
    with pytest.raises(SignatureError, match="Signature"):
        verifier(Fetcher(pem)).verify(message)


BAD_URLS = {
    "http-scheme": "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0a1b2c3d.pem",
    "foreign-host": "https://evil.example/SimpleNotificationService-0a1b2c3d.pem",
    "sns-host-as-prefix": "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
    "userinfo-trick": "https://sns.eu-west-1.amazonaws.com@evil.example/cert.pem",
    "other-aws-service": "https://s3.eu-west-1.amazonaws.com/bucket/cert.pem",
    # S3 legacy bucket hosts: whoever owns a bucket named "sns" would pick the key
    "s3-bucket-named-sns": "https://sns.s3-external-1.amazonaws.com/SimpleNotificationService.pem",
    "s3-global-bucket": "https://sns.s3.amazonaws.com/SimpleNotificationService.pem",
    "region-of-another-partition": "https://sns.eusc-de-east-1.amazonaws.com/SimpleNotificationService.pem",
    "suffix-of-another-partition": "https://sns.eu-west-1.amazonaws.eu/SimpleNotificationService.pem",
    "not-a-pem": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0a1b2c3d.txt",
    "odd-port": "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService.pem",
    "missing": None,
}


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_certificate_url_off_sns_is_rejected_before_fetching(
    url: str | None, key: rsa.RSAPrivateKey, pem: bytes
) -> None:
    fetch = Fetcher(pem)
    message = signed(notification(SigningCertURL=url), key)
    with pytest.raises(SignatureError, match="SigningCertURL"):
        verifier(fetch).verify(message)
    assert fetch.urls == []


@pytest.mark.parametrize(
    "version", ["3", "0", None, 2], ids=["three", "zero", "missing", "integer"]
)
def test_unknown_signature_version_is_rejected(
    version: object, key: rsa.RSAPrivateKey, pem: bytes
) -> None:
    message = signed(notification(), key) | {"SignatureVersion": version}
    if version is None:
        del message["SignatureVersion"]
    with pytest.raises(SignatureError, match="SignatureVersion"):
        verifier(Fetcher(pem)).verify(message)


def test_unknown_type_is_rejected(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    message = signed(notification(), key) | {"Type": "Telegram"}
    with pytest.raises(SignatureError, match="Type"):
        verifier(Fetcher(pem)).verify(message)


def test_expired_certificate_is_rejected(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    later = SnsVerifier(Fetcher(pem), now=(NOW + dt.timedelta(days=60)).timestamp)
    with pytest.raises(SignatureError, match="not valid now"):
        later.verify(signed(notification(), key))


def test_garbage_certificate_is_rejected(key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(SignatureError, match="PEM"):
        verifier(Fetcher(b"<html>not a certificate</html>")).verify(signed(notification(), key))


def test_errors_never_echo_the_subscribe_token(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    message = signed(confirmation(), key) | {"Token": "changed-token-value"}
    with pytest.raises(SignatureError) as caught:
        verifier(Fetcher(pem)).verify(message)
    assert "token-value" not in str(caught.value)
    assert "2336" not in str(caught.value)


def test_confirm_subscription_gets_the_sns_url() -> None:
    fetched: list[str] = []
    confirm_subscription(confirmation(), fetch=lambda url: fetched.append(url) or b"<ok/>")
    assert fetched == [confirmation()["SubscribeURL"]]


@pytest.mark.parametrize(
    "message",
    [
        confirmation(SubscribeURL="https://evil.example/?Action=ConfirmSubscription"),
        confirmation(SubscribeURL="http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"),
        notification(SubscribeURL="https://sns.eu-west-1.amazonaws.com/"),
        confirmation("UnsubscribeConfirmation"),
    ],
    ids=["foreign-host", "http-scheme", "not-a-confirmation", "unsubscribe"],
)
def test_confirm_subscription_refuses_anything_else(message: dict[str, Any]) -> None:
    fetched: list[str] = []
    with pytest.raises(SignatureError):
        confirm_subscription(message, fetch=lambda url: fetched.append(url) or b"")
    assert fetched == []


# --- the default fetcher, against a real local HTTP server ------------------------------


@pytest.fixture
def server(pem: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            bodies = {"/cert.pem": pem, "/huge.pem": b"A" * (128 * 1024)}
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_default_fetcher_reads_the_certificate(server: str, pem: bytes) -> None:
    assert fetch_certificate_url(f"{server}/cert.pem") == pem


def test_default_fetcher_refuses_an_oversized_body(server: str) -> None:
    with pytest.raises(SignatureError, match="large"):
        fetch_certificate_url(f"{server}/huge.pem")


def test_default_fetcher_failure_is_retryable(server: str) -> None:
    with pytest.raises(UnavailableError):
        fetch_certificate_url(f"{server}/missing.pem")


def test_sns_http_sample_needs_a_real_signature(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    event = load("aws/sns-http-notification.json")
    document = json.loads(event["body"]) | {"SigningCertURL": CERT_URL}
    with pytest.raises(SignatureError):
        verifier(Fetcher(pem)).verify(document)  # the sample's signature is a placeholder
    document = signed(document, key)
    verifier(Fetcher(pem)).verify(document)
    event["body"] = json.dumps(document)
    [alarm] = parse_alarm(event)
    assert (alarm.cluster, alarm.state.value) == ("weaviate/production", "firing")


def test_every_aws_partition_with_sns_is_accepted_and_no_other() -> None:
    """The allowlist follows AWS's partition metadata as the SDK ships it."""
    botocore = pytest.importorskip("botocore")
    data = Path(botocore.__file__).parent / "data"
    endpoints = json.loads((data / "endpoints.json").read_text())
    seen = set()
    for partition in endpoints["partitions"]:
        sns = partition["services"].get("sns", {}).get("endpoints", {})
        regions = [r for r in sns if not r.startswith("fips-") and "global" not in r]
        if not regions:
            continue
        seen.add(partition["partition"])
        for region in regions:
            url = f"https://sns.{region}.{partition['dnsSuffix']}/SimpleNotificationService-1.pem"
            assert check_certificate_url(url) == url
    assert seen == set(SNS_PARTITIONS), "a partition appeared or went: review SNS_PARTITIONS"
