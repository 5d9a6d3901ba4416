"""The generated CRD: in sync with infra/k8s, structural, and its CEL rules do what they say."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
import yaml
from celpy import celtypes
from weavefn.crd import build_crd
from weavefn.model.units import parse_quantity

ROOT = Path(__file__).resolve().parents[2]
CRD_FILE = ROOT / "infra" / "k8s" / "crd.yaml"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CRD = build_crd()
SCHEMA = CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
# Keywords a structural schema may not use (or only in forms weavefn never needs).
# OpenAPI v3.0 schema objects follow JSON Schema draft 4 (e.g. boolean exclusiveMinimum).
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
FORBIDDEN = {"$ref", "$defs", "anyOf", "oneOf", "allOf", "not", "definitions", "title", "const"}


def test_checked_in_crd_is_the_generated_one() -> None:
    assert yaml.safe_load(CRD_FILE.read_text()) == CRD, (
        "infra/k8s/crd.yaml is stale: regenerate with `.venv/bin/weavefn crd > infra/k8s/crd.yaml`"
    )


def test_crd_is_a_valid_kubernetes_object() -> None:
    kubernetes_validate.validate(CRD, "1.37.0", strict=True)


def _nodes(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path or "(root)", node
    for name, child in node.get("properties", {}).items():
        yield from _nodes(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from _nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _nodes(node["additionalProperties"], f"{path}{{}}")


def test_schema_is_structural() -> None:
    problems = []
    for path, node in _nodes(SCHEMA):
        free = node.get("x-kubernetes-int-or-string") or node.get(
            "x-kubernetes-preserve-unknown-fields"
        )
        if "type" not in node and not free:
            problems.append(f"{path}: no type")
        if node.get("x-kubernetes-int-or-string") and "type" in node:
            problems.append(f"{path}: int-or-string must not have a type")
        if FORBIDDEN & node.keys():
            problems.append(f"{path}: uses {sorted(FORBIDDEN & node.keys())}")
        if "default" in node and node["default"] is None:
            problems.append(f"{path}: default null")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{path}: properties and additionalProperties together")
        if node.get("additionalProperties") is False:
            problems.append(f"{path}: additionalProperties false")
    assert not problems, "\n".join(problems)


def test_quantities_are_int_or_string_and_free_form_maps_are_preserved() -> None:
    spec = SCHEMA["properties"]["spec"]["properties"]
    assert spec["storage"]["properties"]["size"] == {"x-kubernetes-int-or-string": True}
    assert spec["resources"]["properties"]["limits"]["properties"]["memory"][
        "x-kubernetes-int-or-string"
    ]
    assert spec["affinity"]["x-kubernetes-preserve-unknown-fields"] is True
    assert spec["terminationGracePeriodSeconds"]["default"] == 600


def test_scale_subresource_columns_and_names() -> None:
    version = CRD["spec"]["versions"][0]
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }
    assert "status" in version["subresources"]
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns == {
        "Version": ".spec.version",
        "Replicas": ".spec.replicas",
        "Ready": ".status.readyReplicas",
        "Phase": ".status.phase",
        "Age": ".metadata.creationTimestamp",
    }
    assert CRD["spec"]["names"]["shortNames"] == ["wvc"]
    assert CRD["spec"]["names"]["categories"] == ["weaviate"]


# --- the API server's view of a manifest: defaults, schema, CEL ------------------------------


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """Structural defaulting as the API server does it: missing fields of present objects."""
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name not in value and "default" in child:
                value[name] = copy.deepcopy(child["default"])
            if name in value:
                value[name] = apply_defaults(child, value[name])
    elif isinstance(value, list) and "items" in schema:
        return [apply_defaults(schema["items"], item) for item in value]
    return value


def _quantity(text: celtypes.StringType) -> celtypes.DoubleType:
    return celtypes.DoubleType(float(parse_quantity(str(text)).quantize(Decimal(1))))


def _compare_to(left: celtypes.DoubleType, right: celtypes.DoubleType) -> celtypes.IntType:
    return celtypes.IntType((left > right) - (left < right))


CEL_FUNCTIONS = {"quantity": _quantity, "compareTo": _compare_to}
ENV = celpy.Environment()


def _rules(
    schema: dict[str, Any], new: Any, old: Any, path: str = "spec"
) -> Iterator[tuple[str, dict[str, str], Any, Any]]:
    for rule in schema.get("x-kubernetes-validations", []):
        transition = "oldSelf" in rule["rule"]
        if not transition or old is not None:
            yield path, rule, new, old
    if isinstance(new, dict):
        for name, child in schema.get("properties", {}).items():
            if name in new:
                previous = old.get(name) if isinstance(old, dict) else None
                yield from _rules(child, new[name], previous, f"{path}.{name}")


def cel_failures(spec: dict[str, Any], old_spec: dict[str, Any] | None = None) -> list[str]:
    """Messages of every CEL rule the (defaulted) spec breaks, prefixed with the rule's path."""
    schema = SCHEMA["properties"]["spec"]
    spec = apply_defaults(schema, copy.deepcopy(spec))
    old = apply_defaults(schema, copy.deepcopy(old_spec)) if old_spec else None
    failures = []
    for path, rule, new, previous in _rules(schema, spec, old):
        program = ENV.program(ENV.compile(rule["rule"]), functions=CEL_FUNCTIONS)
        bindings = {"self": celpy.json_to_cel(new)}
        if previous is not None:
            bindings["oldSelf"] = celpy.json_to_cel(previous)
        if not program.evaluate(bindings):
            failures.append(f"{path}{rule.get('fieldPath', '')}: {rule['message']}")
    return failures


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_pass_the_crd_schema_and_its_rules(example: Path) -> None:
    manifest = yaml.safe_load(example.read_text())
    VALIDATOR.validate(apply_defaults(SCHEMA, copy.deepcopy(manifest)))
    assert cel_failures(manifest["spec"]) == []
    assert cel_failures(manifest["spec"], old_spec=manifest["spec"]) == []


@pytest.mark.parametrize(
    ("path", "value", "keyword"),
    [
        pytest.param(("replicas",), 0, "minimum", id="replicas-zero"),
        pytest.param(
            ("autoScaling",), {"latencyQuantile": 1.0}, "maximum", id="quantile-exclusive"
        ),
        pytest.param(("image",), {"pullPolicy": "Sometimes"}, "enum", id="pull-policy-enum"),
        pytest.param(("storage",), {}, "required", id="storage-size-required"),
    ],
)
def test_schema_rejects_what_the_model_rejects(
    path: tuple[str, ...], value: Any, keyword: str
) -> None:
    manifest = yaml.safe_load((ROOT / "examples" / "minimal.yaml").read_text())
    manifest["spec"][path[0]] = value
    errors = list(VALIDATOR.iter_errors(apply_defaults(SCHEMA, manifest)))
    assert [e.validator for e in errors] == [keyword]


BASE = {"version": "1.32.5", "replicas": 3, "storage": {"size": "10Gi"}}
SCALING = {"enabled": True, "minReplicas": 3, "maxReplicas": 6, "targetCPU": 70}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"autoScaling": {**SCALING, "minReplicas": 7}},
            "spec.autoScaling.minReplicas",
            id="min-above-max",
        ),
        pytest.param(
            {"replicas": 2, "autoScaling": SCALING}, "spec.replicas", id="replicas-below-min"
        ),
        pytest.param(
            {"replicas": 9, "autoScaling": SCALING}, "spec.replicas", id="replicas-above-max"
        ),
        pytest.param(
            {"autoScaling": {"enabled": True}},
            "spec.autoScaling: autoscaling is enabled",
            id="no-target",
        ),
        pytest.param(
            {"storage": {"size": "1Gi", "provisionStorageClass": True}},
            "spec.storage.storageClassName",
            id="provision-without-name",
        ),
        pytest.param(
            {"cloudProvider": {"type": "aws", "gcp": {}}},
            "spec.cloudProvider.gcp",
            id="cloud-block-mismatch",
        ),
        pytest.param({"version": "1.27"}, "spec.version", id="version-format"),
        pytest.param({"version": "v1.27.0"}, "spec.version", id="version-v-prefix"),
        pytest.param({"version": "1.24.9"}, "spec.version", id="version-before-raft"),
        pytest.param({"voters": 2}, "spec.voters", id="even-voters"),
        pytest.param(
            {
                "cloudProvider": {
                    "type": "azure",
                    "azure": {
                        "backup": {
                            "storageAccount": "acct1",
                            "container": "bk-1",
                            "accountKey": {"secretKeyRef": {"name": "s", "key": "k"}},
                            "connectionString": {"secretKeyRef": {"name": "s", "key": "c"}},
                        }
                    },
                }
            },
            "spec.cloudProvider.azure.backup.connectionString",
            id="azure-key-and-connection-string",
        ),
        pytest.param(
            {"resources": {"requests": {"memory": "8Gi"}, "limits": {"memory": "4Gi"}}},
            "spec.resources.requests.memory",
            id="request-above-limit",
        ),
    ],
)
def test_cel_rules_reject_invalid_specs(change: dict[str, Any], expected: str) -> None:
    failures = cel_failures({**BASE, **change})
    assert len(failures) == 1, failures
    assert failures[0].startswith(expected)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param({"size": "100Gi"}, {"size": "50Gi"}, ["spec.storage.size"], id="shrink"),
        pytest.param({"size": "100Gi"}, {"size": "200Gi"}, [], id="grow"),
        pytest.param({"size": "1Ti"}, {"size": "1024Gi"}, [], id="same-size-other-unit"),
        pytest.param(
            {"size": "10Gi", "storageClassName": "a"},
            {"size": "10Gi", "storageClassName": "b"},
            ["spec.storage.storageClassName"],
            id="class-changed",
        ),
        pytest.param(
            {"size": "10Gi"},
            {"size": "10Gi", "storageClassName": "b"},
            ["spec.storage.storageClassName"],
            id="class-added",
        ),
    ],
)
def test_transition_rules_guard_volumes(
    old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    failures = cel_failures({**BASE, "storage": new}, old_spec={**BASE, "storage": old})
    assert [f.split(":")[0] for f in failures] == expected


@pytest.mark.parametrize(
    "version",
    [
        "1.25.0",
        "1.27.3",
        "1.32.16",
        "1.100.2",
        "1.250.0",
        "2.0.0",
        "10.1.0",
        "1.30.0-rc.1",
        "v1.27.0",
        "V1.27.0",
        "1.24.9",
        "1.2.0",
        "0.99.0",
        "01.27.0",
        "1.027.0",
        "1.27",
        " 1.27.0",
        "1.27.0+build",
    ],
)
def test_crd_and_model_agree_on_versions(version: str) -> None:
    """The CEL rule is a regex; the model a parser: both must take exactly the same versions."""
    from weavefn.model.base import version_problem

    by_crd = not any(
        f.startswith("spec.version") for f in cel_failures({**BASE, "version": version})
    )
    assert by_crd == (version_problem(version) is None)
