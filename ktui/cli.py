"""Composition root: parse the command line and hand over to one command module.

``ktui`` alone opens the TUI; ``ktui demo | sandbox | diagnose | probe`` are subcommands. Each
command lives in ``ktui.commands.<name>`` with ``register(subparsers)`` and ``run(args) -> int``,
imported lazily so that ``ktui diagnose`` never pays for Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("demo", "sandbox", "diagnose", "probe")
"""Subcommands, each a module of ktui.commands."""


class UsageError(Exception):
    """Bad input from the user: reported on one line, exit code 2."""


def add_cluster_options(parser: argparse.ArgumentParser, *, namespaces: bool = True) -> None:
    """The kubectl-style options every command that reads a cluster takes.

    Defaults are suppressed so that a subcommand's copy of an option never overwrites the value
    given before the subcommand (`ktui --context c diagnose`); `build_parser` sets the defaults once.
    """
    quiet = argparse.SUPPRESS
    parser.add_argument("--kubeconfig", metavar="PATH", default=quiet,
                        help="kubeconfig file(s) (default: $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("--context", metavar="NAME", default=quiet,
                        help="kubeconfig context (default: the current one)")
    if namespaces:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("-n", "--namespace", metavar="NS", default=quiet,
                           help="namespace (default: the context's)")
        group.add_argument("-A", "--all-namespaces", action="store_true", default=quiet,
                           help="all namespaces")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (subcommands registered by their modules)."""
    parser = argparse.ArgumentParser(
        prog="ktui",
        description="Find out why a Kubernetes workload does not work.",
    )
    add_cluster_options(parser)
    parser.set_defaults(kubeconfig=None, context=None, namespace=None, all_namespaces=False)
    parser.add_argument("--readonly", action="store_true", help="never start port-forwards (probes off)")
    parser.add_argument("-l", "--selector", metavar="SELECTOR", default=None,
                        help="list only the pods this label selector matches (e.g. app=nginx,tier!=db)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"ktui.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ktui` and `kubectl-ktui` scripts."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "tui"
    module = importlib.import_module(f"ktui.commands.{command}")
    try:
        code: int = module.run(args)
    except UsageError as exc:
        print(f"ktui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
