"""A stand-in SNS signing key and certificate, so tests can send genuinely signed SNS messages."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from weavefn.triggers.sns_signature import SnsVerifier, string_to_sign

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"


class SnsSigner:
    """Signs SNS documents the way SNS does (SignatureVersion 2) and serves its certificate."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem

    def verifier(self) -> SnsVerifier:
        return SnsVerifier(self.fetch)

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        signed = {**document, "SignatureVersion": "2", "SigningCertURL": CERT_URL}
        signature = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), hashes.SHA256())
        return {**signed, "Signature": base64.b64encode(signature).decode()}

    def resign_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """An API Gateway event whose SNS body is signed by this signer."""
        return {**event, "body": json.dumps(self.sign(json.loads(event["body"])))}
