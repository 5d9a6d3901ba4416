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
_SCOPE = "[-n NS] [NAME]"
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": (_SPEC, "-f FILE", "check WeaviateCluster manifests"),
    "render": (_SPEC, "-f FILE", "print the Kubernetes objects manifests become"),
    "crd": (_SPEC, "", "print the WeaviateCluster CustomResourceDefinition"),
    "apply": ("commands_apply", "-f FILE", "create or update WeaviateClusters (all or none)"),
    "reconcile": (_CLUSTER, _SCOPE, "bring clusters to their spec now"),
    "plan": (_CLUSTER, _SCOPE, "what a pass would change and start, without writing"),
    "status": ("commands_status", _SCOPE, "clusters, what holds them back, their operation"),
    "top": ("commands_top", _SCOPE, "decision metrics, refreshed (Ctrl-C stops)"),
    "upgrade": (_LIFECYCLE, "NAME --to VERSION", "move to a version: backup, roll, roll back"),
    "backup": (_LIFECYCLE, "NAME", "take a backup of a cluster now"),
    "restore": ("commands_restore", "NAME --backup ID", "restore a backup into a cluster"),
    "invoke": ("commands_invoke", "EVENT.json", "run a payload (see events/) through its function"),
    "simulate": (
        "commands_simulate",
        "-f FILE --trace CSV",
        "replay a load trace through weavefn and three baselines",
    ),
    "run": ("commands_run", "[--until-idle]", "fire schedule ticks and due follow-ups"),
}
"""Each command: the module that configures and runs it, its arguments in brief, its help.
Adding a command is one line here and a ``configure(name, parser)`` in its module."""

_EPILOG = """\
Cluster commands take --cluster (or $WEAVEFN_CLUSTER): local:PATH (default
local:.weavefn/cluster.json), kubeconfig:PATH[#CONTEXT], in-cluster, eks:REGION/NAME,
gke:PROJECT/LOCATION/NAME or aks:SUB/RG/NAME. FILE may be - (standard input).
Exit codes: 0 done, 1 failed, 2 invalid input or usage.
'weavefn COMMAND --help' shows a command's options."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"weavefn: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


class _Version(argparse.Action):
    """``--version``: read from the installed package only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("weavefn")
        except PackageNotFoundError:
            found = "(not installed)"
        print(f"weavefn {found} (Python {sys.version.split()[0]})")
        raise SystemExit(EXIT_OK)


def _listing() -> str:
    width = max(len(f"{name} {brief}") for name, (_, brief, _) in COMMANDS.items()) + 2
    lines = [
        f"  {f'{name} {brief}'.ljust(width)}{text}" for name, (_, brief, text) in COMMANDS.items()
    ]
    return "commands:\n" + "\n".join(lines)


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the line: the first word that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _add_verbose(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log what happens"
    )


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command listed; the arguments of the one ``argv`` names (all when None)."""
    chosen = None if argv is None else _chosen(argv)
    parser = _Parser(
        prog="weavefn",
        usage="weavefn [-h] [-v] [--version] COMMAND ...",
        description=f"Run Weaviate on Kubernetes, serverless.\n\n{_listing()}",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_verbose(parser, default=False)
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        parser_class=_Parser,
        metavar="COMMAND",
        help=argparse.SUPPRESS,
    )
    for name, (module, _, text) in COMMANDS.items():
        command = commands.add_parser(name, prog=f"weavefn {name}", help=text, description=text)
        # also after the command; SUPPRESS keeps a -v given before it
        _add_verbose(command, default=argparse.SUPPRESS)
        if argv is None or name == chosen:
            importlib.import_module(f"weavefn.cli.{module}").configure(name, command)
    return parser


def _configure_logging(verbose: bool) -> None:
    """The CLI prints what happened; log lines only when asked for, warnings and errors always.

    The level sits on the handler, not only on the root logger: a logger set to INFO to
    collect decisions (``invoke``) still propagates its records to the root's handlers, which
    the root logger's own level does not filter.
    """
    import logging

    level = logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "weavefn_cli", False)]:
        root.removeHandler(old)  # main() run again in one process (tests) replaces its own
    handler = logging.StreamHandler(sys.stderr)
    handler.weavefn_cli = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # urllib3 warns on each connection retry; the error that ends the command says it once.
    logging.getLogger("urllib3").setLevel(logging.NOTSET if verbose else logging.ERROR)


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
        hint = getattr(exc, "hint", None)
        if hint:
            print(f"weavefn: {hint}", file=sys.stderr)
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
