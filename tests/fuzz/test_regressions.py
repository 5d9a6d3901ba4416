"""Inputs the fuzzers found crashing a parser, pinned so they stay fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from weavefn.cli.io import load_manifests
from weavefn.errors import InvalidInputError
from weavefn.lifecycle.admission import review
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
        load_manifests(str(manifest))
    assert "nested too deeply" in str(refused.value)


def test_a_manifest_with_a_control_character_is_invalid_input(tmp_path: Path) -> None:
    manifest = tmp_path / "control.yaml"
    manifest.write_text("\x08")  # found by the fuzzer: the reader refuses it on construction
    with pytest.raises(InvalidInputError) as refused:
        load_manifests(str(manifest))
    assert refused.value.errors[0].message == (
        "unacceptable character #x0008: special characters are not allowed at character 1"
    )


LONG_PROFILE_CASES: dict[str, Any] = {
    "apigw-body-with-a-lone-surrogate": {
        "version": "2.0",
        "rawPath": "/schedule",
        "headers": {"x-cloudscheduler": "true"},
        "requestContext": {"http": {"method": "POST", "path": "/schedule"}, "requestId": "r"},
        "body": "\ud800",
    },
    "http-document-url-nested-past-repr": {"method": "POST", "url": deep(5_000)},
    "eventbridge-state-nested-past-repr": {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "id": "e",
        "time": "2025-11-26T10:05:12Z",
        "detail": {"alarmName": "a", "state": {"value": deep(5_000)}},
    },
}


@pytest.mark.parametrize("payload", list(LONG_PROFILE_CASES.values()), ids=list(LONG_PROFILE_CASES))
def test_long_profile_finds_are_field_errors(payload: Any) -> None:
    with pytest.raises(InvalidInputError):
        parse_trigger(payload)


def test_admission_of_a_module_named_by_a_list_is_an_answer_not_a_crash() -> None:
    cluster = {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": "c", "namespace": "n"},
        "spec": {
            "version": "1.27.3",
            "replicas": 1,
            "storage": {"size": "1Gi"},
            "modules": [{"name": ["text2vec-openai"]}, {"name": ["text2vec-openai"]}],
        },
    }
    body = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"uid": "u", "operation": "CREATE", "object": cluster},
    }
    result = review(json.dumps(body).encode())
    assert result.http_status == 200 and result.allowed is False
    assert "spec.modules[0].name" in result.message


def test_an_authorization_header_with_a_lone_surrogate_is_401_not_500() -> None:
    from weavefn.triggers.http import HttpRequest
    from weavefn.webhooks import handle_for

    from tests.fuzz.rig import build_rig

    rig = build_rig()
    request = HttpRequest(
        method="POST", path="/admission", headers={"authorization": "\ud800"}, body=b"{}"
    )
    assert handle_for(rig.instance, request, deadline=float("inf")).status == 401
