"""``weavefn run``: be the platform: schedule ticks and due follow-ups until nothing is in flight.

On the local cluster time is simulated: instead of sleeping until the next follow-up, the
cluster's clock is moved on to it (the offset is kept in its state file), so an upgrade or a
drain that takes minutes finishes in a moment and each line shows the simulated time. Against
a real cluster it sleeps real time until the next due check (status.nextCheckAt) or tick.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

from weavefn.backend import Access
from weavefn.cli.options import add_target_options, open_runtime
from weavefn.running import SCHEDULE_PERIOD, Fired, Runner, Turn

DEFAULT_TIMEOUT = 3600.0


def configure(name: str, parser: Any) -> None:
    """The arguments of ``run``."""
    add_target_options(parser, names=False)
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="stop once no cluster has an operation or a follow-up pending (exit 0)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="stop after S seconds of cluster time (simulated on the local cluster); "
        f"with --until-idle, still busy then exits 1 (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=SCHEDULE_PERIOD,
        metavar="S",
        help=f"seconds between schedule ticks (default {SCHEDULE_PERIOD:g}, as the deployed schedule)",
    )
    parser.set_defaults(run=_run)


def _clock(moment: datetime, start: datetime) -> str:
    elapsed = int((moment - start).total_seconds())
    return f"{moment.strftime('%H:%M:%S')} +{elapsed // 60}m{elapsed % 60:02d}s"


def _lines(fired: Fired, turn: Turn, start: datetime) -> list[str]:
    """One line per cluster the trigger reached: where it stands now (or why nothing ran)."""
    head = f"{_clock(fired.at, start)}  {fired.trigger:9}"
    if not fired.outcome.clusters:
        return [f"{head}  {fired.outcome.message}"]
    lines = []
    for key, text in sorted(fired.outcome.clusters.items()):
        dropped = "superseded" in text or "delayed again" in text or "gone" in text
        state = text if dropped or key not in turn.states else turn.states[key]
        lines.append(f"{head}  {key}: {state}")
    return lines


def _report(turn: Turn, start: datetime, *, simulated: bool, verbose: bool) -> None:
    for fired in turn.fired:
        for line in _lines(fired, turn, start):
            print(line)
        if verbose:
            for key, text in sorted(fired.outcome.clusters.items()):
                print(f"    {key}: {text}")
    if turn.in_flight and not simulated:
        wait = (turn.next_at - turn.now).total_seconds()
        print(f"{_clock(turn.now, start)}  waiting {wait:.0f} s for the next check or tick")
    sys.stdout.flush()


def _run(args: argparse.Namespace) -> int:
    if args.timeout <= 0 or args.tick <= 0:
        print("weavefn: --timeout and --tick must be positive", file=sys.stderr)
        return 2
    runner = Runner(lambda: open_runtime(args, access=Access.WRITE), period=args.tick)
    start: datetime | None = None
    began = time.monotonic()
    try:
        while True:
            turn, simulated = runner.round()
            start = start or turn.now
            _report(turn, start, simulated=simulated, verbose=args.verbose)
            elapsed = (turn.now - start).total_seconds()
            if not simulated:
                elapsed = max(elapsed, time.monotonic() - began)
            if args.until_idle and not turn.in_flight:
                print(f"{_clock(turn.now, start)}  idle: nothing in flight")
                return 0
            if elapsed >= args.timeout:
                if args.until_idle:
                    print(
                        f"weavefn: still in flight after {args.timeout:g} s: "
                        + ", ".join(sorted(turn.in_flight)),
                        file=sys.stderr,
                    )
                    return 1
                return 0
            if not simulated:
                runner.wait(turn, limit=args.timeout - elapsed)
    except KeyboardInterrupt:
        print()
        return 0
