"""A one-line progress bar on a terminal's standard error, for commands that run for a while."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

SHOW_AFTER_SECONDS = 2.0
"""Quick runs finish before a bar would help; it appears only once a run takes this long."""
REDRAW_SECONDS = 0.1
WIDTH = 30


class ProgressBar:
    """``bar(share)`` with share in [0, 1]; draws only on a terminal, and only for slow runs."""

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self._drawn_at: float | None = None
        self.enabled = self.stream.isatty()

    def __call__(self, share: float) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < SHOW_AFTER_SECONDS:
            return
        if self._drawn_at is not None and now - self._drawn_at < REDRAW_SECONDS and share < 1:
            return
        self._drawn_at = now
        share = min(1.0, max(0.0, share))
        filled = round(share * WIDTH)
        elapsed = now - self.started
        left = f", {elapsed / share - elapsed:.0f} s left" if 0 < share < 1 else ""
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {share:4.0%}{left}   ")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, so what the command prints next starts on a clean line."""
        if self._drawn_at is not None:
            self.stream.write("\r" + " " * (len(self.label) + WIDTH + 30) + "\r")
            self.stream.flush()
