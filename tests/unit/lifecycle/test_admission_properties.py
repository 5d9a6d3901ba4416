"""Property tests: whatever reaches the admission webhook, it answers with an AdmissionReview."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from weavefn.lifecycle.admission import review

from tests.unit.lifecycle.reviews import admission, cluster

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
SPEC_KEYS = [
    "version",
    "replicas",
    "storage",
    "voters",
    "autoScaling",
    "replication",
    "env",
    "modules",
]


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200), JSON.map(json.dumps)))
def test_any_body_gets_an_answer_never_an_exception(body: bytes | str) -> None:
    result = review(body)
    assert result.http_status in (200, 400, 413)
    assert result.response["kind"] == "AdmissionReview"


@settings(max_examples=150, deadline=None)
@given(
    operation=st.sampled_from(["CREATE", "UPDATE"]),
    new=st.dictionaries(st.sampled_from(SPEC_KEYS), JSON, max_size=5),
    old=st.dictionaries(st.sampled_from(SPEC_KEYS), JSON, max_size=5),
)
def test_any_spec_gets_an_answer_never_an_exception(
    operation: str, new: dict[str, Any], old: dict[str, Any]
) -> None:
    result = review(admission(operation, cluster(**new), cluster(**old)))
    assert result.http_status == 200
    assert result.allowed or result.response["response"]["status"]["code"] == 422
