"""Verify that a message POSTed to an HTTP(S) endpoint really comes from Amazon SNS.

Only the certificate URL's shape is trusted to pick the certificate: HTTPS on the SNS endpoint
of an AWS partition, ``sns.<region>.<partition DNS suffix>``. Messages and URLs are never
echoed in errors (a SubscribeURL carries the subscription token).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from weavefn.errors import TerminalError, UnavailableError

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_FIELDS = {
    "Notification": NOTIFICATION_FIELDS,
    "SubscriptionConfirmation": CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": CONFIRMATION_FIELDS,
}
_OPTIONAL = {"Subject"}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
# Every AWS partition with its region pattern and DNS suffix, from AWS's partition metadata as
# the SDKs ship it (botocore/data/partitions.json; endpoints.json lists SNS in all eight, at
# {service}.{region}.{dnsSuffix}). The region must fit its partition: a bare
# ``sns.<anything>.amazonaws.com`` would also match S3's legacy bucket hosts (a bucket named
# "sns" at sns.s3-external-1.amazonaws.com), whose owner could serve any certificate.
SNS_PARTITIONS: dict[str, tuple[str, str]] = {
    "aws": (r"(us|eu|ap|sa|ca|me|af|il|mx)-[a-z0-9]+-[0-9]+", "amazonaws.com"),
    "aws-cn": (r"cn-[a-z0-9]+-[0-9]+", "amazonaws.com.cn"),
    "aws-us-gov": (r"us-gov-[a-z0-9]+-[0-9]+", "amazonaws.com"),
    "aws-iso": (r"us-iso-[a-z0-9]+-[0-9]+", "c2s.ic.gov"),
    "aws-iso-b": (r"us-isob-[a-z0-9]+-[0-9]+", "sc2s.sgov.gov"),
    "aws-iso-e": (r"eu-isoe-[a-z0-9]+-[0-9]+", "cloud.adc-e.uk"),
    "aws-iso-f": (r"us-isof-[a-z0-9]+-[0-9]+", "csp.hci.ic.gov"),
    "aws-eusc": (r"eusc-de-[a-z0-9]+-[0-9]+", "amazonaws.eu"),
}
_SNS_HOST = re.compile(
    "^(?:"
    + "|".join(rf"sns\.{region}\.{re.escape(suffix)}" for region, suffix in SNS_PARTITIONS.values())
    + ")$"
)
_MAX_CERTIFICATE_BYTES = 64 * 1024
FETCH_TIMEOUT_SECONDS = 5.0


class SignatureError(TerminalError):
    """The message is not provably from SNS: reject it, do not retry."""


def _is_sns_url(url: str, *, suffix: str = "") -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.hostname is not None
        and _SNS_HOST.match(parts.hostname) is not None
        and not parts.username
        and port in (None, 443)
        and parts.path.endswith(suffix)
    )


def check_certificate_url(url: object) -> str:
    """The SigningCertURL, if it is an HTTPS ``.pem`` on an SNS host; SignatureError if not."""
    if not isinstance(url, str) or not _is_sns_url(url, suffix=".pem"):
        raise SignatureError("SigningCertURL is not an HTTPS .pem URL on an SNS host")
    return url


def string_to_sign(message: Mapping[str, object]) -> bytes:
    """The canonical ``Key\\nValue\\n`` text SNS signs, fields in its fixed order per type."""
    fields = _FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise SignatureError("Type is not one SNS signs")
    text = []
    for name in fields:
        value = message.get(name)
        if value is None and name in _OPTIONAL:
            continue
        if not isinstance(value, str):
            raise SignatureError(f"{name} is missing or not a string")
        text.append(f"{name}\n{value}\n")
    return "".join(text).encode()


def fetch_certificate_url(url: str) -> bytes:
    """The default certificate fetcher: a bounded GET with a timeout."""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # nosec B310 # only https URLs on an SNS host reach here
            body: bytes = response.read(_MAX_CERTIFICATE_BYTES + 1)
    except OSError as exc:
        raise UnavailableError(
            f"fetching the SNS signing certificate failed ({type(exc).__name__})"
        ) from None
    if len(body) > _MAX_CERTIFICATE_BYTES:
        raise SignatureError("the SNS signing certificate is implausibly large")
    return body


class SnsVerifier:
    """Checks SNS message signatures; one instance caches certificates across invocations."""

    def __init__(
        self,
        fetch_certificate: Callable[[str], bytes] | None = None,
        *,
        now: Callable[[], float] | None = None,
    ) -> None:
        self._fetch = fetch_certificate or fetch_certificate_url
        self._now = now or time.time
        self._certificates: dict[str, x509.Certificate] = {}

    def _certificate(self, url: str) -> x509.Certificate:
        certificate = self._certificates.get(url)
        if certificate is None:
            try:
                certificate = x509.load_pem_x509_certificate(self._fetch(url))
            except ValueError:
                raise SignatureError(
                    "the SNS signing certificate is not a PEM certificate"
                ) from None
            self._certificates[url] = certificate
        return certificate

    def verify(self, message: Mapping[str, object]) -> None:
        """Return if ``message`` is signed by SNS; raise SignatureError otherwise."""
        version = message.get("SignatureVersion")
        algorithm = _HASHES.get(version) if isinstance(version, str) else None
        if algorithm is None:
            raise SignatureError("SignatureVersion must be 1 or 2")
        url = check_certificate_url(message.get("SigningCertURL"))
        signed = string_to_sign(message)
        signature = message.get("Signature")
        if not isinstance(signature, str) or not signature:
            raise SignatureError("Signature is missing")
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("Signature is not base64") from None
        certificate = self._certificate(url)
        now = datetime.fromtimestamp(self._now(), UTC)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise SignatureError("the SNS signing certificate is not valid now")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("the SNS signing certificate does not hold an RSA key")
        try:
            key.verify(raw, signed, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise SignatureError("the SNS signature does not match the message") from None


def confirm_subscription(message: Mapping[str, object], *, fetch: Callable[[str], bytes]) -> None:
    """GET the SubscribeURL of a verified SubscriptionConfirmation, only if it is on SNS."""
    if message.get("Type") != "SubscriptionConfirmation":
        raise SignatureError("not a SubscriptionConfirmation")
    url = message.get("SubscribeURL")
    if not isinstance(url, str) or not _is_sns_url(url):
        raise SignatureError("SubscribeURL is not an HTTPS URL on an SNS host")
    fetch(url)
