"""``python -m bench.ktui_child MODE``: the entry of the process ktui is measured in (``bench.ktui_run``).

It starts as ``ktui`` does: arguments parsed, then (``app`` mode) the source made at once, so the
helper that reads the first lists is forked before anything else loads (``ktui.commands.tui``).
The instrumentation (asyncio, the harness's helpers: ~50 ms of imports ``ktui`` does not have
before its fork) loads after.
"""

from __future__ import annotations

import time

T_START = time.monotonic()

import argparse  # noqa: E402 - the start stamp comes first, before imports cost anything
import sys  # noqa: E402
from typing import Any  # noqa: E402


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The child's options."""
    parser = argparse.ArgumentParser(prog="python -m bench.ktui_child")
    parser.add_argument("mode", choices=("app", "feed", "forward"))
    parser.add_argument("--pod", default="")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--expect", type=int, default=1, help="pods that make the first sync complete")
    parser.add_argument("-n", "--namespace", default=None, help="one namespace (default: all)")
    parser.add_argument("--max-hz", type=float, default=30.0)
    parser.add_argument("--sync-timeout", type=float, default=300.0)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--no-prefetch", action="store_true",
                        help="start listing when the app starts its source, not before (B2's baseline)")
    return parser.parse_args(argv)


def main() -> int:
    """Parse; in app mode make the source first, as ``ktui`` does; then run the measured mode."""
    args = parse()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    source: Any = None
    if args.mode == "app" and not args.no_prefetch:
        from ktui.commands.tui import import_app, open_source

        cli = argparse.Namespace(kubeconfig=args.kubeconfig, context=None, selector=None,
                                 all_namespaces=args.namespace is None, namespace=args.namespace)
        source = open_source(cli, meanwhile=import_app)  # as build_app
    from bench import ktui_run

    return ktui_run.main(args, source, T_START)


if __name__ == "__main__":
    sys.exit(main())
