"""Check an HTTP exchange against an operation of a Swagger 2.0 spec (Weaviate's own).

A request's path must match a templated path, its method an operation there, its query
parameters be declared (required ones present, enum values respected), its body validate against
the ``in: body`` parameter's schema; a response's status must be declared and its body validate
against that response's schema. ``$ref``s resolve against the spec's own definitions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

Json = dict[str, Any]


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    answer: Any

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"


_SHAPED = ("properties", "additionalProperties", "$ref", "allOf", "items")


def _as_go(node: Any) -> Any:
    """Read the spec as Weaviate's go-swagger server serves it: a bare ``type: object`` (no
    properties) is Go's ``interface{}``, so any JSON value goes there (``leaderId`` is a
    string); an array is a Go slice, and a nil slice is ``null`` (a node with no shards)."""
    if isinstance(node, list):
        return [_as_go(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _as_go(v) for k, v in node.items()}
    if out.get("type") == "object" and not any(k in out for k in _SHAPED):
        out.pop("type")
    elif out.get("type") == "array":
        out["type"] = ["array", "null"]
    return out


class Spec:
    def __init__(self, path: Path) -> None:
        self.document: Json = _as_go(json.loads(path.read_text()))
        self.base = self.document.get("basePath", "")
        self._routes = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
            for template in self.document["paths"]
        ]

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    def operation(self, method: str, path: str) -> tuple[str, Json]:
        relative = path.removeprefix(self.base)
        # Literal segments first: /replication/replicate/list is not /replicate/{id}.
        matches = sorted(
            (t for regex, t in self._routes if regex.match(relative)), key=lambda t: t.count("{")
        )
        if not matches:
            raise AssertionError(f"{method} {path}: no such path in Weaviate's API")
        item = self.document["paths"][matches[0]]
        if method.lower() not in item:
            raise AssertionError(f"{method} {path}: {matches[0]} has no {method} operation")
        return matches[0], item[method.lower()]

    def parameters(self, template: str, operation: Json) -> list[Json]:
        shared = self.document["paths"][template].get("parameters", [])
        return [self._resolve(p) for p in [*shared, *operation.get("parameters", [])]]

    def _resolve(self, node: Json) -> Json:
        ref = node.get("$ref")
        if ref is None:
            return node
        found: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            found = found[part]
        return self._resolve(found)

    def problems(self, exchange: Exchange) -> list[str]:
        """Everything about one exchange that the spec does not allow."""
        template, operation = self.operation(exchange.method, exchange.path)
        found: list[str] = []
        params = self.parameters(template, operation)
        query = {p["name"]: p for p in params if p.get("in") == "query"}
        for name, value in exchange.query.items():
            if name not in query:
                found.append(f"query parameter {name!r} is not declared")
            elif "enum" in query[name] and value not in query[name]["enum"]:
                found.append(f"query {name}={value!r} is not one of {query[name]['enum']}")
        found += [
            f"required query parameter {name!r} missing"
            for name, p in query.items()
            if p.get("required") and name not in exchange.query
        ]
        body = next((p for p in params if p.get("in") == "body"), None)
        if body is not None and (exchange.body is not None or body.get("required")):
            found += [f"request body: {e}" for e in self._validate(body["schema"], exchange.body)]
        elif body is None and exchange.body not in (None, {}):
            found.append("a request body the operation does not take")
        responses = operation.get("responses", {})
        answer = responses.get(str(exchange.status)) or responses.get("default")
        if answer is None:
            found.append(f"status {exchange.status} is not a documented answer")
        elif "schema" in answer and not _without_payload(exchange):
            found += [
                f"response body: {e}" for e in self._validate(answer["schema"], exchange.answer)
            ]
        return found

    def _validate(self, schema: Json, value: Any) -> list[str]:
        validator = _validator(json.dumps(schema, sort_keys=True), id(self))
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in validator.iter_errors(value)
        ]


def _without_payload(exchange: Exchange) -> bool:
    """A refusal sent with no body at all. go-swagger's responders write the payload only when
    one is set (``if o.Payload != nil``), and Weaviate's handlers leave it unset for some
    refusals whose schema the spec still names: the sharding state of an unknown collection
    (handlers_replicate.go, NewGetCollectionShardingStateNotFound()) and every 501 of a
    switched-off replication API (handlers_setup.go, setupUnimplementedHandlers). A success
    must still carry its body."""
    return exchange.answer is None and exchange.status >= 400


_SPECS: dict[int, Spec] = {}


@cache
def _validator(schema_text: str, spec_id: int) -> Draft4Validator:
    spec = _SPECS[spec_id]
    # Refs are "#/definitions/X": resolved against a root that carries the spec's definitions.
    return Draft4Validator({**json.loads(schema_text), "definitions": spec.document["definitions"]})


def load(path: Path) -> Spec:
    spec = Spec(path)
    _SPECS[id(spec)] = spec
    return spec
