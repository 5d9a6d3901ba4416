"""The ``simulate`` command: replay a load trace through weavefn and the baselines, print, plot."""

from __future__ import annotations

import argparse
from typing import Any

from weavefn.cli.io import add_file_option, load_one_cluster
from weavefn.errors import FieldError, InvalidInputError


def configure(name: str, simulate: Any) -> None:
    """The arguments of ``simulate``."""
    add_file_option(simulate)
    simulate.add_argument("--trace", required=True, help="CSV: time,qps[,cpu]")
    simulate.add_argument("--plot", help="write a PNG of load, replicas and latency here")
    simulate.add_argument(
        "--ready-delay",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="seconds from a pod's start to Ready (default 120)",
    )
    simulate.set_defaults(run=_simulate)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return value


def _simulate(args: argparse.Namespace) -> int:
    from weavefn.cli.progress import ProgressBar
    from weavefn.simulate.report import render
    from weavefn.simulate.run import DEFAULT_READY_DELAY, simulate, simulation_spec
    from weavefn.simulate.trace import read_trace

    cluster = load_one_cluster(args.file, command="simulate")
    simulation_spec(cluster)
    trace = read_trace(args.trace)
    if args.plot:  # before a run that may take minutes, not after it
        from weavefn.simulate.plot import check_plot_target

        check_plot_target(args.plot)
    delay = DEFAULT_READY_DELAY if args.ready_delay is None else args.ready_delay
    bar = ProgressBar(f"simulating {trace.name}")
    try:
        comparison = simulate(cluster, trace, ready_delay=delay, progress=bar)
    finally:
        bar.close()
    print(render(comparison))
    if args.plot:
        from weavefn.simulate.plot import plot

        try:
            written = plot(comparison, args.plot)
        except OSError as exc:
            raise InvalidInputError(
                [FieldError("--plot", f"cannot write {args.plot}: {exc.strerror or exc}")],
                what="option",
            ) from None
        print(f"\nplot written to {written}")
    return 0
