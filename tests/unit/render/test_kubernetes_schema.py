"""Every rendered object is valid for the Kubernetes API server (strict OpenAPI validation)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from weavefn.render import default_voters, render_all

from tests.unit.render.conftest import EXAMPLE_FILES, load_example

KUBERNETES_VERSION = "1.37.0"

# kubernetes-validate knows only built-in kinds; Istio's CRDs get a small hand schema that is
# strict about the fields weavefn sets.
_META = {
    "type": "object",
    "required": ["name", "namespace", "labels"],
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "ownerReferences": {"type": "array"},
    },
    "additionalProperties": False,
}
_SELECTOR = {
    "type": "object",
    "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}},
    "additionalProperties": False,
}
_MTLS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"mode": {"enum": ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]}},
}
ISTIO_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("security.istio.io/v1", "PeerAuthentication"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "security.istio.io/v1"},
            "kind": {"const": "PeerAuthentication"},
            "metadata": _META,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "selector": _SELECTOR,
                    "mtls": _MTLS,
                    # keyed by container port (Istio: map<uint32, MutualTLS>)
                    "portLevelMtls": {
                        "type": "object",
                        "propertyNames": {"pattern": "^[1-9][0-9]{0,4}$"},
                        "additionalProperties": _MTLS,
                    },
                },
            },
        },
        "additionalProperties": False,
    },
    ("networking.istio.io/v1", "DestinationRule"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "networking.istio.io/v1"},
            "kind": {"const": "DestinationRule"},
            "metadata": _META,
            "spec": {
                "type": "object",
                "required": ["host"],
                "additionalProperties": False,
                "properties": {
                    "host": {"type": "string"},
                    "trafficPolicy": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "tls": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "mode": {
                                        "enum": ["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]
                                    }
                                },
                            }
                        },
                    },
                },
            },
        },
        "additionalProperties": False,
    },
}


def validate(obj: dict[str, Any]) -> None:
    hand = ISTIO_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
    if hand is not None:
        jsonschema.validate(obj, hand)
    else:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def _rendered(name: str) -> list[dict[str, Any]]:
    cluster = load_example(name)
    voters = default_voters(cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters)
    return render_all(cluster, voters=voters)


CASES = [
    pytest.param(obj, id=f"{name}:{obj['kind']}/{obj['metadata']['name']}")
    for name in EXAMPLE_FILES
    for obj in _rendered(name)
]


@pytest.mark.parametrize("obj", CASES)
def test_rendered_object_is_valid_for_kubernetes(obj: dict[str, Any]) -> None:
    validate(obj)


def _unknown_container_field(obj: dict[str, Any]) -> None:
    obj["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "Always"


def _port_as_text(obj: dict[str, Any]) -> None:
    obj["spec"]["ports"][0]["port"] = "http"


def _unknown_tls_mode(obj: dict[str, Any]) -> None:
    obj["spec"]["trafficPolicy"]["tls"]["mode"] = "MTLS"


@pytest.mark.parametrize(
    ("kind", "breakage"),
    [
        pytest.param("StatefulSet", _unknown_container_field, id="statefulset-unknown-field"),
        pytest.param("Service", _port_as_text, id="service-port-type"),
        pytest.param("DestinationRule", _unknown_tls_mode, id="istio-tls-mode"),
    ],
)
def test_the_validation_is_not_vacuous(
    kind: str, breakage: Callable[[dict[str, Any]], None]
) -> None:
    obj = copy.deepcopy(next(o for o in _rendered("production-aws.yaml") if o["kind"] == kind))
    breakage(obj)
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        validate(obj)
