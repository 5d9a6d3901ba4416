"""The WeaviateCluster CustomResourceDefinition, generated from the pydantic resource model.

pydantic emits JSON Schema; Kubernetes wants a structural OpenAPI v3 schema. This module
inlines ``$ref``s, collapses nullable unions, marks quantities int-or-string and free-form maps
preserve-unknown-fields, drops ``default: null`` and adds the cross-field CEL rules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from weavefn.model.resource import GROUP, KIND, PLURAL, SHORT_NAME, VERSION
from weavefn.model.spec import WeaviateClusterSpec
from weavefn.model.status import WeaviateClusterStatus

Schema = dict[str, Any]
_DROPPED = ("title", "$defs")
_FIRST = {"type": 0, "description": 1}
_EXCLUSIVE = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}
# MAJOR.MINOR.PATCH as the image tag writes it (no "v"), 1.25 or later (model.base.version_problem).
_VERSION_RE = (
    r"^(1[.](2[5-9]|[3-9][0-9]|[1-9][0-9]{2,})|([2-9]|[1-9][0-9]+)[.](0|[1-9][0-9]*))"
    r"[.](0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$"
)
# Bounds CEL cost estimation for the regex rule; real versions are far shorter.
_VERSION_MAX_LENGTH = 64


def _rule(rule: str, message: str, field_path: str | None = None) -> dict[str, str]:
    entry = {"rule": rule, "message": message}
    if field_path:
        entry["fieldPath"] = field_path
    return entry


def _quantity_le(low: str, high: str) -> str:
    return f"quantity(string({low})).compareTo(quantity(string({high}))) <= 0"


# Cross-field rules, keyed by the property path inside spec where each one is attached. Rules
# rely on API-server defaulting (e.g. minReplicas is always present once defaulted).
CEL_RULES: dict[tuple[str, ...], list[dict[str, str]]] = {
    (): [
        _rule(
            "!has(self.autoScaling) || !self.autoScaling.enabled || "
            "self.autoScaling.minReplicas > self.autoScaling.maxReplicas || "
            "(self.replicas >= self.autoScaling.minReplicas && "
            "self.replicas <= self.autoScaling.maxReplicas)",
            "replicas must lie within [autoScaling.minReplicas, autoScaling.maxReplicas] "
            "while autoscaling is enabled",
            ".replicas",
        ),
        _rule(
            f"self.version.matches('{_VERSION_RE}')",
            "version must be a Weaviate image tag MAJOR.MINOR.PATCH without a 'v', 1.25 or "
            "later, e.g. 1.27.3",
            ".version",
        ),
        _rule(
            "!has(self.voters) || self.voters % 2 == 1",
            "voters must be odd: Raft needs a majority",
            ".voters",
        ),
    ],
    ("autoScaling",): [
        _rule(
            "self.minReplicas <= self.maxReplicas",
            "minReplicas must not exceed maxReplicas",
            ".minReplicas",
        ),
        _rule(
            "!self.enabled || has(self.targetCPU) || has(self.targetMemory) || "
            "has(self.targetQPS) || has(self.targetLatency)",
            "autoscaling is enabled but no target (targetCPU, targetMemory, targetQPS, "
            "targetLatency) is set",
        ),
    ],
    ("storage",): [
        _rule(
            "!self.provisionStorageClass || has(self.storageClassName)",
            "storageClassName is required when provisionStorageClass is true",
            ".storageClassName",
        ),
        _rule(
            _quantity_le("oldSelf.size", "self.size"),
            "storage.size may not shrink; volumes can only grow",
            ".size",
        ),
        _rule(
            "has(self.storageClassName) == has(oldSelf.storageClassName) && "
            "(!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",
            "storageClassName is immutable: the volume claim template cannot change",
            ".storageClassName",
        ),
    ],
    ("resources",): [
        _rule(
            f"!has(self.requests) || !has(self.limits) || !has(self.requests.{name}) || "
            f"!has(self.limits.{name}) || "
            + _quantity_le(f"self.requests.{name}", f"self.limits.{name}"),
            f"requests.{name} must not exceed limits.{name}",
            f".requests.{name}",
        )
        for name in ("cpu", "memory")
    ],
    ("cloudProvider", "azure", "backup"): [
        _rule(
            "!has(self.accountKey) || !has(self.connectionString)",
            "set accountKey or connectionString, not both",
            ".connectionString",
        )
    ],
    ("cloudProvider",): [
        _rule(
            f"!has(self.{cloud}) || self.type == '{cloud}'",
            f"cloudProvider.{cloud} is set but cloudProvider.type is not {cloud}",
            f".{cloud}",
        )
        for cloud in ("aws", "gcp", "azure")
    ],
    ("restoreFrom",): [
        _rule(
            "!has(self.include) || !has(self.exclude) || size(self.include) == 0 || "
            "size(self.exclude) == 0",
            "set include or exclude, not both (Weaviate refuses both)",
            ".exclude",
        )
    ],
}

# Extra OpenAPI keywords the model cannot express, keyed like CEL_RULES.
_EXTRAS: dict[tuple[str, ...], Schema] = {
    ("version",): {"maxLength": _VERSION_MAX_LENGTH},
    # Module names are unique: a list-map lets the API server enforce it and lets server-side
    # apply merge modules by name.
    ("modules",): {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    ("restoreFrom", "include"): {"x-kubernetes-list-type": "set"},
    ("restoreFrom", "exclude"): {"x-kubernetes-list-type": "set"},
}


class NonStructuralError(ValueError):
    """The model produced a schema node Kubernetes would reject as non-structural."""


def _resolve(node: Schema, defs: Schema) -> Schema:
    """Inline a $ref and collapse ``X | None`` unions, keeping the node's own annotations."""
    node = dict(node)
    ref = node.pop("$ref", None)
    if ref:
        target = copy.deepcopy(defs[ref.rsplit("/", 1)[-1]])
        return _resolve({**target, **node}, defs)
    for key in ("anyOf", "oneOf"):
        options = node.pop(key, None)
        if options is None:
            continue
        options = [o for o in options if o.get("type") != "null"]
        if len(options) == 1:
            return _resolve({**options[0], **node}, defs)
        # A genuinely mixed value (e.g. module config: literal or secretKeyRef): keep it as is.
        node.pop("type", None)
        return {**node, "x-kubernetes-preserve-unknown-fields": True}
    return node


def _keyword(key: str, value: Any, child: Callable[[Schema], Schema]) -> Schema:
    """One JSON Schema keyword in OpenAPI v3.0 form; empty when it has no equivalent."""
    result: Schema
    match key:
        case "properties":
            result = {key: {name: child(node) for name, node in value.items()}}
        case "items":
            result = {key: child(value)}
        case "additionalProperties" if value is True:
            result = {"x-kubernetes-preserve-unknown-fields": True}
        case "additionalProperties":
            # False (extra="forbid") is implicit: the API server prunes unknown fields.
            result = {key: child(value)} if isinstance(value, dict) else {}
        case "const":
            result = {"enum": [value]}
        case "exclusiveMinimum" | "exclusiveMaximum":
            # JSON Schema's numeric bound is OpenAPI v3.0's bound plus a boolean flag.
            result = {_EXCLUSIVE[key]: value, key: True}
        case "default":
            result = {key: _without_nulls(value)}
        case _:
            result = {key: value}
    return result


def structural(node: Schema, defs: Schema, *, keep_defaults: bool = True) -> Schema:
    """Turn one pydantic JSON Schema node into a structural OpenAPI v3 node."""

    def child(sub: Schema) -> Schema:
        return structural(sub, defs, keep_defaults=keep_defaults)

    out: Schema = {}
    for key, value in _resolve(node, defs).items():
        if key in _DROPPED or (key == "default" and (value is None or not keep_defaults)):
            continue
        out.update(_keyword(key, value, child))
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    elif "type" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        raise NonStructuralError(f"schema node without a type: {sorted(out)}")
    # type and description first: the generated YAML is read by people too.
    return {k: out[k] for k in sorted(out, key=lambda k: _FIRST.get(k, len(_FIRST)))}


def _without_nulls(value: Any) -> Any:
    """Defaults are applied by the API server; a null inside one would fail validation."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _node_at(schema: Schema, path: tuple[str, ...]) -> Schema:
    for name in path:
        schema = schema["properties"][name]
    return schema


def spec_schema() -> Schema:
    raw = WeaviateClusterSpec.model_json_schema(by_alias=True, mode="validation")
    schema = structural(raw, raw.get("$defs", {}))
    for path, extra in _EXTRAS.items():
        _node_at(schema, path).update(extra)
    for path, rules in CEL_RULES.items():
        _node_at(schema, path)["x-kubernetes-validations"] = list(rules)
    return schema


def status_schema() -> Schema:
    raw = WeaviateClusterStatus.model_json_schema(by_alias=True, mode="validation")
    # Status is written whole by weavefn; server-side defaults there would only mislead.
    return structural(raw, raw.get("$defs", {}), keep_defaults=False)


def _printer_columns() -> list[dict[str, Any]]:
    return [
        {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Ready", "type": "integer", "jsonPath": ".status.readyReplicas"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


def build_crd() -> dict[str, Any]:
    """The CustomResourceDefinition; infra/k8s/crd.yaml is this, written by ``weavefn crd``."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{PLURAL}.{GROUP}",
            "labels": {"app.kubernetes.io/part-of": "weavefn"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": KIND.lower(),
                "shortNames": [SHORT_NAME],
                "categories": ["weaviate"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.replicas",
                            "statusReplicasPath": ".status.replicas",
                            "labelSelectorPath": ".status.selector",
                        },
                    },
                    "additionalPrinterColumns": _printer_columns(),
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A Weaviate cluster managed by weavefn.",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema(),
                                "status": status_schema(),
                            },
                        }
                    },
                }
            ],
        },
    }
