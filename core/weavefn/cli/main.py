"""Entry point of the ``weavefn`` command: parse arguments, dispatch, map errors to exit codes.

Only the chosen command's module is imported (its arguments, then its work): ``weavefn
--help`` lists every command from the table below without loading any of them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

_SPEC, _CLUSTER, _LIFECYCLE = "commands_spec", "commands_cluster", "commands_lifecycle"
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (_SPEC, "check a WeaviateCluster manifest"),
    "render": (_SPEC, "print the Kubernetes objects a WeaviateCluster manifest becomes"),
    "crd": (_SPEC, "print the WeaviateCluster CustomResourceDefinition"),
    "apply": (_CLUSTER, "create or update a WeaviateCluster"),
    "reconcile": (_CLUSTER, "bring clusters to their spec now"),
    "plan": (_CLUSTER, "show what reconcile would change, without writing"),
    "status": (_CLUSTER, "show clusters, their phase, conditions and operation"),
    "upgrade": (
        _LIFECYCLE,
        "move a cluster to a Weaviate version: backup, rolling update, rollback on failure",
    ),
    "backup": (_LIFECYCLE, "take a backup of a cluster now"),
    "restore": (
        "commands_restore",
        "restore a backup into a cluster (refused, with the reason, when Weaviate would refuse)",
    ),
    "invoke": ("commands_invoke", "run a trigger payload (see events/) through its function"),
    "simulate": (
        "commands_simulate",
        "replay a load trace through weavefn and three baselines, compare cost and latency",
    ),
    "top": (
        "commands_top",
        "replicas, targets, decisions and operations, refreshed (Ctrl-C stops)",
    ),
}
"""Each command: the module that configures and runs it, and its one-line help.
Adding a command is one line here and a ``configure(name, parser)`` in its module."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"weavefn: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the line: the first word that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command listed; the arguments of the one ``argv`` names (all when None)."""
    chosen = None if argv is None else _chosen(argv)
    parser = _Parser(prog="weavefn", description="Run Weaviate on Kubernetes, serverless.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (module, text) in COMMANDS.items():
        command = commands.add_parser(name, help=text)
        if argv is None or name == chosen:
            importlib.import_module(f"weavefn.cli.{module}").configure(name, command)
    return parser


def _configure_logging(verbose: bool) -> None:
    """The CLI prints what happened; log lines (JSON in functions) only when asked for."""
    import logging

    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(arguments).parse_args(arguments)
    # after parsing: ``--help`` and usage errors exit above, having loaded nothing else
    from weavefn.errors import ConfigurationError, InvalidInputError, WeavefnError

    _configure_logging(args.verbose)
    try:
        code: int = args.run(args)
    except (InvalidInputError, ConfigurationError) as exc:  # the CLI's environment is its input
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
