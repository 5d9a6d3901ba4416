"""Hypothesis strategies for fuzzing: mutated event samples, random JSON, hostile bodies."""

from __future__ import annotations

import base64
import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"

settings.register_profile(
    "fuzz-ci",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "fuzz-long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile(os.environ.get("WEAVEFN_FUZZ_PROFILE", "fuzz-ci"))
"""Applied per test (not loaded globally) so other property tests keep their own settings.
``WEAVEFN_FUZZ_PROFILE=fuzz-long`` runs 2,000 examples per test with a random seed."""

HUGE = 200_000
"""A long string that still fits the 1 MiB webhook body limit."""
DEEP = 5_000
"""Nesting beyond Python's recursion limit, so a recursive parser would blow up."""


@cache
def samples(cloud: str | None = None) -> dict[str, Any]:
    """Every sample payload in events/ (or one cloud's), by relative path."""
    base = EVENTS / cloud if cloud else EVENTS
    return {
        str(path.relative_to(EVENTS)): json.loads(path.read_text())
        for path in sorted(base.rglob("*.json"))
    }


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


class DeepDict(dict[str, Any]):
    """A deeply nested value that prints short: Hypothesis's printer would recurse to death."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"<{self.depth} levels deep>")

    depth = 0


def deep(depth: int, leaf: Any = 1) -> Any:
    """``depth`` nested lists and objects, built without recursion."""
    value = leaf
    for level in range(depth - 1):
        value = [value] if level % 2 else {"a": value}
    outer = DeepDict(a=value)
    outer.depth = depth
    return outer


def deep_json_text(depth: int = DEEP) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if len(prefix) > 20:  # inside an already deep mutation: nothing new to find there
        return found
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _retype(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return {"0": value[0]} if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return 0


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one to three mutations at random places in its tree."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(
            st.sampled_from(
                ["drop", "replace", "retype", "truncate", "huge", "nest", "null", "bad-text"]
            )
        )
        if not path:
            if action in ("replace", "retype", "null"):
                doc = draw(json_values) if action == "replace" else _retype(doc)
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        current = parent[key]
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "retype":
            parent[key] = _retype(current)
        elif action == "null":
            parent[key] = None
        elif action == "truncate" and isinstance(current, str):
            parent[key] = current[: draw(st.integers(min_value=0, max_value=len(current)))]
        elif action == "huge":
            parent[key] = draw(st.sampled_from(["x", "\u00e9", "9", "{"])) * HUGE
        elif action == "nest":
            parent[key] = deep(draw(st.sampled_from([50, 900, DEEP])), current)
        elif action == "bad-text":
            parent[key] = draw(
                st.sampled_from(
                    [
                        "\ud800",  # a lone surrogate: not encodable as UTF-8
                        "%%%not base64%%%",
                        base64.b64encode(b"\xff\xfe\xfd not utf-8").decode(),
                        base64.b64encode(deep_json_text().encode()).decode(),
                        deep_json_text(),
                        "\x00" * 8,
                        "NaN",
                    ]
                )
            )
    return doc


def payloads(cloud: str | None = None) -> st.SearchStrategy[Any]:
    """Mutated samples of one cloud (or all), plus random JSON and deep nesting."""
    found = samples(cloud)
    return st.one_of(
        st.sampled_from(sorted(found)).flatmap(lambda name: mutated(found[name])),
        json_values,
        st.builds(deep, st.just(DEEP)),
    )


def hostile_bytes(documents: list[Any]) -> st.SearchStrategy[bytes]:
    """Bodies: mutated documents as JSON, random bytes, invalid UTF-8, truncation, deep nesting."""
    encoded = st.sampled_from(documents).flatmap(mutated).map(encode)
    return st.one_of(
        encoded,
        encoded.flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
        st.binary(max_size=200),
        st.just(b"\xff\xfe" + b"\x80" * 10),
        st.just(deep_json_text().encode()),
        st.just(b"[" * 100_000),
        st.just(b'"' + b"x" * HUGE + b'"'),
    )


def encode(document: Any) -> bytes:
    """JSON bytes of a mutated document; lone surrogates become invalid UTF-8 on purpose."""
    try:
        return json.dumps(document).encode("utf-8", "surrogatepass")
    except RecursionError:  # nested past what the encoder can walk: send it as text instead
        return deep_json_text().encode()
