"""Kubernetes Events: the note fits the API server's limit, which counts bytes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from weavefn.events import NOTE_LIMIT, ClusterEvent, EventReason, event_object

CLUSTER = {"metadata": {"name": "wv", "namespace": "prod", "uid": "u-1"}}


@pytest.mark.parametrize(
    "note",
    [
        pytest.param("x" * 5000, id="ascii"),
        pytest.param("é" * 1000, id="two-byte-characters"),
        pytest.param("a" + "🚀" * 400, id="four-byte-characters-off-the-boundary"),
        pytest.param("shard 'Artikel-\u00fcber' \ud800 failed " * 60, id="lone-surrogate"),
    ],
)
def test_the_note_fits_in_1024_bytes_of_valid_utf8(note: str) -> None:
    event = event_object(
        ClusterEvent(EventReason.DRAIN_FAILED, note), cluster=CLUSTER, now=datetime.now(UTC)
    )
    encoded = event["note"].encode("utf-8")  # raises on anything the API could not take
    assert len(encoded) <= NOTE_LIMIT
    assert event["note"].endswith("...")


def test_a_short_note_is_kept_whole() -> None:
    note = "upgrade 1.27.3 -> 1.28.0 started: réplicas ünchanged"
    event = event_object(
        ClusterEvent(EventReason.UPGRADE_STARTED, note), cluster=CLUSTER, now=datetime.now(UTC)
    )
    assert event["note"] == note
