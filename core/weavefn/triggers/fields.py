"""Validation shared by the trigger parsers: payload models, JSON, base64 and cluster names.

Everything here turns bad input into InvalidInputError with field paths and never echoes the
offending value, since platform payloads may carry tokens or signatures.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from weavefn.errors import FieldError, InvalidInputError

CLUSTER_KEY = "weaviate.io/cluster"
"""The dimension, label or tag that names the cluster an alarm is about."""

_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_CLUSTER = re.compile(rf"^(?P<namespace>{_DNS_LABEL})/(?P<name>{_DNS_LABEL})$")
_MAX_NAME = 52  # the resource model's limit on metadata.name (room for StatefulSet suffixes)


class PayloadModel(BaseModel):
    """A platform payload: validated once, unknown fields ignored, immutable."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


M = TypeVar("M", bound=PayloadModel)


def join(prefix: str, part: str | int) -> str:
    """Extend a field path: ``join("Records", 0)`` is ``Records[0]``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def _loc_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        # pydantic names union members and tagged choices in loc; a user never wrote those
        if isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"}):
            continue
        path = join(path, part)
    return path or "(root)"


def validate(model: type[M], data: object, *, path: str = "", what: str) -> M:
    """Validate ``data`` into ``model``, reporting every problem with its full path."""
    if not isinstance(data, dict):
        raise InvalidInputError([FieldError(path or "(root)", "expected an object")], what=what)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, FieldError] = {}
        for item in exc.errors(include_url=False, include_input=False):
            where = _loc_path(path, item["loc"])
            errors.setdefault(where, FieldError(where, item["msg"].removeprefix("Value error, ")))
        raise InvalidInputError(errors.values(), what=what) from None
    except RecursionError:  # an enum's error message reprs the value, however deep it is
        raise InvalidInputError(
            [FieldError(path or "(root)", "is nested too deeply")], what=what
        ) from None


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
