"""Shared pydantic building blocks for the custom resource: camelCase models and checked scalars."""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from weavefn.model.units import SPEC_VERSION, Version, parse_duration, parse_quantity
from weavefn.weaviate.releases import SUPPORTED_SINCE


class StatusModel(BaseModel):
    """Status parts: camelCase, tolerant of fields written by newer weavefn versions."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class SpecModel(BaseModel):
    """A part of the resource: camelCase in YAML, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)


def _to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_quantity(value: str) -> str:
    if parse_quantity(value) < 0:
        raise ValueError(f"{value!r} must not be negative")
    return value


def _check_duration(value: str) -> str:
    if parse_duration(value) <= 0:
        raise ValueError(f"{value!r} must be a positive duration")
    return value


def version_problem(value: str) -> str | None:
    """Why ``value`` cannot be a spec.version, or None when it can.

    The image tag is the version as written, and Weaviate's tags have no ``v``
    (``cr.weaviate.io/semitechnologies/weaviate:1.27.3``); releases before 1.25 lack the Raft
    settings every rendered StatefulSet carries.
    """
    if not SPEC_VERSION.match(value):
        hint = f" (the image tag has no 'v': {value[1:]})" if value[:1] in ("v", "V") else ""
        return f"{value!r} must be a Weaviate version MAJOR.MINOR.PATCH, e.g. 1.27.3{hint}"
    if Version.parse(value).minor_line < SUPPORTED_SINCE:
        floor = ".".join(map(str, SUPPORTED_SINCE))
        return f"{value} is older than {floor}, the oldest Weaviate weavefn manages (Raft)"
    return None


def _check_version(value: str) -> str:
    problem = version_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Quantity = Annotated[
    str,
    BeforeValidator(_to_text),
    AfterValidator(_check_quantity),
    Field(json_schema_extra={"x-kubernetes-int-or-string": True}),
]
"""A Kubernetes resource quantity such as ``100Gi`` or ``2000m`` (an integer is accepted)."""

Duration = Annotated[str, AfterValidator(_check_duration)]
"""A Go-style duration such as ``50ms`` or ``1m30s``."""

WeaviateVersion = Annotated[str, AfterValidator(_check_version)]
"""A Weaviate release, MAJOR.MINOR.PATCH (an image tag), 1.25 or later."""

Percent = Annotated[int, Field(ge=1, le=100)]

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
