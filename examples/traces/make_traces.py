"""Write the simulator's example traces, reproducibly: diurnal-week.csv and spiky-day.csv.

Both are sized to examples/production-aws.yaml (targetQPS 1000 per replica, 3 to 10 replicas):
their peaks need 9 to 10 replicas at the target.

- diurnal-week.csv: seven days from Monday 00:00, one row a minute. A daily cycle (trough near
  04:00, peak mid-afternoon, a second harmonic making mornings climb faster than evenings fall),
  weekends at 60% of weekdays, each day's height varying by a few percent, and noise: a slow
  AR(1) wander (about 4%) plus 2% white noise.
- spiky-day.csv: one weekday, a row every 15 s: a lower daily cycle and four bursts (a launch,
  a batch job, a retry storm) that climb in 30-90 s, hold 4-15 minutes and decay over minutes.

Run: python examples/traces/make_traces.py [OUTPUT_DIR]   (default: this file's directory)
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Iterable
from pathlib import Path

SEED = 20260101
DAY = 86_400
WEEKEND_SHARE = 0.6


def daily(hour: float) -> float:
    """0 at the 04:00 trough, 1 near the 15:00 peak."""
    phase = 2 * math.pi * (hour - 4) / 24
    shape = 0.5 - 0.5 * math.cos(phase) + 0.12 * math.sin(2 * phase)
    return max(0.0, min(1.0, shape / 1.05))


class Noise:
    """Multiplicative noise: a slow AR(1) wander plus white noise."""

    def __init__(self, rng: random.Random, *, wander: float, white: float, keep: float) -> None:
        self.rng, self.wander, self.white, self.keep = rng, wander, white, keep
        self.level = 0.0

    def next(self) -> float:
        spread = self.wander * math.sqrt(1 - self.keep**2)
        self.level = self.keep * self.level + self.rng.gauss(0, spread)
        return 1 + self.level + self.rng.gauss(0, self.white)


def diurnal_week(rng: random.Random) -> list[tuple[int, float]]:
    trough, peak = 2400.0, 8700.0
    noise = Noise(rng, wander=0.04, white=0.02, keep=0.98)
    heights = [rng.uniform(0.96, 1.04) for _ in range(7)]
    rows = []
    for t in range(0, 7 * DAY + 1, 60):
        day = min(t // DAY, 6)
        scale = (WEEKEND_SHARE if day >= 5 else 1.0) * heights[day]
        qps = (trough + (peak - trough) * daily((t % DAY) / 3600)) * scale
        rows.append((t, max(0.0, qps * noise.next())))
    return rows


def burst(t: float, *, start: float, rise: float, hold: float, decay: float) -> float:
    """0..1: a linear climb, a plateau, then an exponential fall."""
    if t < start:
        return 0.0
    if t < start + rise:
        return (t - start) / rise
    if t < start + rise + hold:
        return 1.0
    return math.exp(-(t - start - rise - hold) / decay)


def spiky_day(rng: random.Random) -> list[tuple[int, float]]:
    trough, peak = 1800.0, 5200.0
    noise = Noise(rng, wander=0.03, white=0.02, keep=0.995)
    # (start hour, extra qps, climb s, plateau s, decay s)
    bursts = [
        (9.5 + rng.uniform(0, 0.5), rng.uniform(4000, 4400), 60.0, 600.0, 240.0),
        (13.0 + rng.uniform(0, 0.5), rng.uniform(3800, 4300), 30.0, 300.0, 120.0),
        (16.5 + rng.uniform(0, 0.5), rng.uniform(4000, 4500), 90.0, 900.0, 300.0),
        (21.0 + rng.uniform(0, 0.5), rng.uniform(4500, 5000), 30.0, 240.0, 90.0),
    ]
    rows = []
    for t in range(0, DAY + 1, 15):
        base = (trough + (peak - trough) * daily(t / 3600)) * noise.next()
        extra = sum(
            height * burst(t, start=hour * 3600, rise=rise, hold=hold, decay=decay)
            for hour, height, rise, hold, decay in bursts
        )
        rows.append((t, max(0.0, base + extra)))
    return rows


def write(path: Path, rows: Iterable[tuple[int, float]]) -> None:
    lines = ["time,qps", *(f"{t},{qps:.1f}" for t, qps in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    write(out / "diurnal-week.csv", diurnal_week(rng))
    write(out / "spiky-day.csv", spiky_day(rng))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
