"""The progress bar: only on a terminal, only once a run is slow, erased at the end."""

from __future__ import annotations

import io

from weavefn.cli.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_slow_run_on_a_terminal_shows_its_share_then_erases_the_bar() -> None:
    out, clock = Terminal(), Clock()
    bar = ProgressBar("simulating week", stream=out, clock=clock)
    bar(0.1)
    assert out.getvalue() == ""  # a quick run never shows a bar
    clock.now += 5
    bar(0.5)
    drawn = out.getvalue()
    assert "simulating week [" in drawn and " 50%" in drawn and "5 s left" in drawn
    bar.close()
    assert out.getvalue().endswith("\r")
    assert out.getvalue().count("\r") == 3


def test_nothing_is_drawn_when_standard_error_is_not_a_terminal() -> None:
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar("simulating", stream=out, clock=clock)
    clock.now += 60
    bar(0.5)
    bar.close()
    assert out.getvalue() == ""


def test_redraws_are_rate_limited_but_the_end_is_always_drawn() -> None:
    out, clock = Terminal(), Clock()
    bar = ProgressBar("x", stream=out, clock=clock)
    clock.now += 3
    bar(0.2)
    bar(0.3)  # same instant: skipped
    bar(1.0)  # the end: drawn
    assert out.getvalue().count("\r") == 2
    assert "100%" in out.getvalue()
