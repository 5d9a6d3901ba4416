"""Load traces: read and validate a CSV (time, qps, optional cpu), resample it on a fixed step.

Format: a header row ``time,qps`` or ``time,qps,cpu``, then one row per sample. ``time`` is in
seconds (any origin, strictly increasing), ``qps`` the whole cluster's queries per second, and
``cpu`` (optional) the CPU the load demands in percent of one replica, summed over the cluster
(see capacity.py). Blank lines and lines starting with ``#`` are skipped. Between rows the load
is interpolated linearly. Every problem is reported with its line and column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from weavefn.errors import FieldError, InvalidInputError

COLUMNS = ("time", "qps", "cpu")
REQUIRED = 2
MAX_ERRORS = 20
"""A broken file can fail on every line; the first few say enough."""


@dataclass(frozen=True)
class Trace:
    """A validated load trace; times start at 0 (the first row's time is subtracted)."""

    name: str
    times: tuple[float, ...]
    qps: tuple[float, ...]
    cpu: tuple[float, ...] | None = None

    @property
    def duration(self) -> float:
        return self.times[-1]

    @property
    def peak_qps(self) -> float:
        return max(self.qps)


@dataclass(frozen=True)
class LoadPoint:
    """The load at one simulation step: ``cpu`` is None when the trace has no cpu column."""

    time: float
    qps: float
    cpu: float | None


def read_trace(path: str | Path) -> Trace:
    """Read a trace file; a missing or unreadable file is an error naming the path."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInputError(
            [FieldError(where, f"cannot read file: {reason}")], what="trace"
        ) from None
    return parse_trace(text, source=where)


def _header(row: list[str], *, source: str, line: int) -> tuple[str, ...]:
    names = tuple(cell.strip().lower() for cell in row)
    if names not in (COLUMNS[:REQUIRED], COLUMNS):
        raise InvalidInputError(
            [
                FieldError(
                    f"{source} line {line}",
                    f"header must be 'time,qps' or 'time,qps,cpu', got {','.join(row)!r}",
                )
            ],
            what="trace",
        )
    return names


def _number(cell: str, *, where: str, errors: list[FieldError]) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        errors.append(FieldError(where, f"{cell.strip()!r} is not a number"))
        return None
    if not math.isfinite(value):
        errors.append(FieldError(where, f"{cell.strip()!r} is not a finite number"))
        return None
    return value


def parse_trace(text: str, *, source: str = "trace") -> Trace:
    """Validate CSV text into a Trace, reporting every bad cell as ``SOURCE line N column C``."""
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise InvalidInputError([FieldError(source, "the trace is empty")], what="trace")
    header_line, header_row = rows[0]
    names = _header(header_row, source=source, line=header_line)
    errors: list[FieldError] = []
    columns: dict[str, list[float]] = {name: [] for name in names}
    previous: float | None = None
    for line, row in rows[1:]:
        if len(row) != len(names):
            errors.append(
                FieldError(
                    f"{source} line {line}", f"expected {len(names)} columns, got {len(row)}"
                )
            )
            continue
        values = {
            name: _number(cell, where=f"{source} line {line} column {name}", errors=errors)
            for name, cell in zip(names, row, strict=True)
        }
        time, qps = values["time"], values["qps"]
        if time is not None and previous is not None and time <= previous:
            errors.append(
                FieldError(
                    f"{source} line {line} column time",
                    f"{time:g} is not after the previous row's {previous:g}",
                )
            )
        if qps is not None and qps < 0:
            errors.append(FieldError(f"{source} line {line} column qps", "must not be negative"))
        cpu = values.get("cpu")
        if cpu is not None and cpu < 0:
            errors.append(FieldError(f"{source} line {line} column cpu", "must not be negative"))
        if time is not None:
            previous = time
        for name, value in values.items():
            columns[name].append(value if value is not None else 0.0)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise InvalidInputError(errors[:MAX_ERRORS], what="trace")
    if len(columns["time"]) < REQUIRED:
        raise InvalidInputError(
            [FieldError(source, "a trace needs at least two rows after the header")], what="trace"
        )
    start = columns["time"][0]
    return Trace(
        name=Path(source).stem,
        times=tuple(t - start for t in columns["time"]),
        qps=tuple(columns["qps"]),
        cpu=tuple(columns["cpu"]) if "cpu" in columns else None,
    )


def resample(trace: Trace, *, step: float) -> tuple[LoadPoint, ...]:
    """The load at 0, step, 2 step, ... before the trace's end, linearly interpolated; each
    point stands for the step that follows it, so none is taken at the end itself."""
    if step <= 0:
        raise ValueError("the step must be positive")
    points: list[LoadPoint] = []
    index = 0
    count = max(1, math.ceil(trace.duration / step - 1e-9))
    for n in range(count):
        t = n * step
        while index + 1 < len(trace.times) - 1 and trace.times[index + 1] <= t:
            index += 1
        t0, t1 = trace.times[index], trace.times[index + 1]
        share = min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        qps = trace.qps[index] + share * (trace.qps[index + 1] - trace.qps[index])
        cpu = None
        if trace.cpu is not None:
            cpu = trace.cpu[index] + share * (trace.cpu[index + 1] - trace.cpu[index])
        points.append(LoadPoint(t, qps, cpu))
    return tuple(points)
