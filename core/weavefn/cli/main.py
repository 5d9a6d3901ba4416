"""Entry point of the ``weavefn`` command: parse arguments, dispatch, map errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from weavefn.cli import (
    commands_cluster,
    commands_invoke,
    commands_lifecycle,
    commands_simulate,
    commands_spec,
    commands_top,
)
from weavefn.errors import InvalidInputError, WeavefnError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

# Each command module registers its subcommands; adding a command is one line here.
COMMAND_MODULES = [
    commands_spec,
    commands_cluster,
    commands_lifecycle,
    commands_invoke,
    commands_simulate,
    commands_top,
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"weavefn: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="weavefn", description="Run Weaviate on Kubernetes, serverless.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _configure_logging(verbose: bool) -> None:
    """The CLI prints what happened; log lines (JSON in functions) only when asked for."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code: int = args.run(args)
    except InvalidInputError as exc:
        for error in exc.errors:
            print(str(error), file=sys.stderr)
        if not exc.errors:
            print(f"weavefn: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WeavefnError as exc:
        print(f"weavefn: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `weavefn status | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    raise SystemExit(main())
