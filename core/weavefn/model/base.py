"""Shared pydantic building blocks for the custom resource: camelCase models and checked scalars."""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from weavefn.model.units import Version, parse_duration, parse_quantity


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


def _check_version(value: str) -> str:
    Version.parse(value)
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
"""A Weaviate release, MAJOR.MINOR.PATCH."""

Percent = Annotated[int, Field(ge=1, le=100)]

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
