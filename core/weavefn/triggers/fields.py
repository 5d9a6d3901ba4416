"""Field checks shared by the trigger parsers and queues: paths, JSON, base64, cluster names.

Everything here turns bad input into InvalidInputError with field paths and never echoes the
offending value, since platform payloads may carry tokens or signatures. No pydantic: a
queue writing a message needs these without loading the payload models (payload.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from weavefn.errors import FieldError, InvalidInputError

CLUSTER_KEY = "weaviate.io/cluster"
"""The dimension, label or tag that names the cluster an alarm is about."""

_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_CLUSTER = re.compile(rf"^(?P<namespace>{_DNS_LABEL})/(?P<name>{_DNS_LABEL})$")
_MAX_NAME = 52  # the resource model's limit on metadata.name (room for StatefulSet suffixes)


def join(prefix: str, part: str | int) -> str:
    """Extend a field path: ``join("Records", 0)`` is ``Records[0]``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def decode_json(text: str | bytes, *, path: str, what: str) -> Any:
    """Parse JSON text carried inside a payload (an SNS Message, a queue body)."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise InvalidInputError([FieldError(path, "is not valid JSON")], what=what) from None


def decode_base64(text: str, *, path: str, what: str) -> bytes:
    """Decode standard base64 strictly: garbage is an error, not silently dropped."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError([FieldError(path, "is not valid base64")], what=what) from None


def check_cluster(value: str, *, path: str, what: str) -> str:
    """Return ``namespace/name`` unchanged, or fail naming the field (never the value)."""
    match = _CLUSTER.match(value)
    if match is None or len(match["name"]) > _MAX_NAME:
        raise InvalidInputError(
            [FieldError(path, "must be namespace/name (lowercase DNS labels)")], what=what
        )
    return value
