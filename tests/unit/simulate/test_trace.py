"""Trace files: what is accepted, and errors that name the line and column to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from weavefn.errors import InvalidInputError
from weavefn.simulate.trace import parse_trace, read_trace, resample


def test_a_trace_with_cpu_is_read_and_starts_at_zero() -> None:
    trace = parse_trace("time,qps,cpu\n100,10,5\n160,30,7\n", source="t.csv")
    assert trace.times == (0.0, 60.0)
    assert trace.qps == (10.0, 30.0)
    assert trace.cpu == (5.0, 7.0)
    assert (trace.duration, trace.peak_qps, trace.name) == (60.0, 30.0, "t")


def test_comments_and_blank_lines_are_skipped() -> None:
    trace = parse_trace("# generated\ntime,qps\n\n0,1\n# gap\n60,2\n")
    assert trace.qps == (1.0, 2.0) and trace.cpu is None


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        pytest.param("", "t.csv", "empty", id="empty"),
        pytest.param("when,load\n0,1\n", "t.csv line 1", "header", id="bad-header"),
        pytest.param("time,qps\n0,1\n", "t.csv", "two rows", id="one-row"),
        pytest.param("time,qps\n0,1\n60,abc\n", "t.csv line 3 column qps", "abc", id="not-number"),
        pytest.param("time,qps\n0,1\n60,nan\n", "t.csv line 3 column qps", "finite", id="nan"),
        pytest.param("time,qps\n0,1\n60,-5\n", "t.csv line 3 column qps", "negative", id="neg"),
        pytest.param("time,qps\n60,1\n60,2\n", "t.csv line 3 column time", "after", id="same-t"),
        pytest.param("time,qps\n0,1\n60\n", "t.csv line 3", "columns", id="short-row"),
        pytest.param(
            "time,qps,cpu\n0,1,2\n60,2,-1\n", "t.csv line 3 column cpu", "negative", id="neg-cpu"
        ),
    ],
)
def test_bad_traces_name_the_line_and_column(text: str, path: str, words: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_trace(text, source="t.csv")
    assert caught.value.errors[0].path == path
    assert words in caught.value.errors[0].message


def test_every_bad_row_is_reported_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_trace("time,qps\n0,x\n60,y\n120,1\n", source="t.csv")
    assert [e.path for e in caught.value.errors] == [
        "t.csv line 2 column qps",
        "t.csv line 3 column qps",
    ]


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InvalidInputError) as caught:
        read_trace(missing)
    assert caught.value.errors[0].path == str(missing)


def test_resampling_interpolates_between_rows() -> None:
    trace = parse_trace("time,qps,cpu\n0,0,100\n60,600,200\n120,0,100\n")
    points = resample(trace, step=15)
    assert [p.time for p in points] == [15.0 * n for n in range(8)]
    assert [p.qps for p in points] == [0, 150, 300, 450, 600, 450, 300, 150]
    assert points[2].cpu == 150
