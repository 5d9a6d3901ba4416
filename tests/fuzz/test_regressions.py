"""Inputs the fuzzers found crashing a parser, pinned so they stay fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from weavefn.cli.io import load_yaml_file
from weavefn.errors import InvalidInputError
from weavefn.triggers.detect import detect
from weavefn.triggers.fields import decode_json
from weavefn.triggers.parse import parse_trigger

from tests.fuzz.strategies import deep, deep_json_text

CASES: dict[str, Any] = {
    "apigw-sns-type-header-is-a-list": {
        "version": "2.0",
        "rawPath": "/sns",
        "headers": {"x-amz-sns-message-type": []},
        "requestContext": {"http": {"method": "POST", "path": "/sns"}, "requestId": "r"},
        "body": "{}",
    },
    "sns-type-is-an-object": {"TopicArn": "arn:aws:sns:x", "Type": {"a": 1}},
    "apigw-body-nested-past-the-stack": {
        "version": "2.0",
        "rawPath": "/hook",
        "headers": {},
        "requestContext": {"http": {"method": "POST", "path": "/hook"}, "requestId": "r"},
        "body": deep_json_text(),
    },
    "bare-cluster-message-nested-past-the-stack": {"cluster": deep(5_000)},
}


@pytest.mark.parametrize("payload", list(CASES.values()), ids=list(CASES))
def test_refused_with_a_field_error(payload: Any) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_trigger(payload)
    assert refused.value.errors


def test_detect_names_the_sns_shape_only_for_a_string_type() -> None:
    with pytest.raises(InvalidInputError):
        detect(CASES["sns-type-is-an-object"])


def test_deep_json_text_is_invalid_json_not_a_recursion_error() -> None:
    with pytest.raises(InvalidInputError) as refused:
        decode_json(deep_json_text(), path="body", what="queue message")
    assert refused.value.errors[0].path == "body"


def test_a_manifest_nested_past_the_stack_is_invalid_input(tmp_path: Path) -> None:
    manifest = tmp_path / "deep.yaml"
    manifest.write_text("[" * 2_000)
    with pytest.raises(InvalidInputError) as refused:
        load_yaml_file(str(manifest))
    assert "nested too deeply" in str(refused.value)
