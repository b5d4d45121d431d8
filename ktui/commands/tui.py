"""``ktui`` with no subcommand: the full-screen TUI on the current kubeconfig context.

The cluster options (--kubeconfig, --context, -n / -A, --readonly, -l) live on the top-level parser.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Nothing to add: the TUI is what `ktui` does without a subcommand."""


def build_app(args: argparse.Namespace) -> KtuiApp:
    """The app the command line asks for, its first list of pods already on its way (``prefetch``).

    No network error is raised here: the TUI shows and retries an unreachable cluster.

    UsageError for a kubeconfig that cannot be read or a label selector that cannot be parsed.
    """
    from ktui.cli import UsageError
    from ktui.resources import collector

    # The imports leave ~200k long-lived objects (Textual, the client's configuration, our records'
    # types) and hardly any garbage (a collection after them frees ~5 objects): hold the collector
    # off while they load (its passes over them cost ~15-20 ms on the way to the first screen) and
    # freeze them at the end, so later collections never walk them. The collector is back on after.
    with collector.paused():
        from ktui.kube.client import KubeError, connect
        from ktui.model.tables import SelectorError, parse_selector
        from ktui.ui.source import ClusterSource

        selector = (getattr(args, "selector", None) or "").strip() or None
        if selector is not None:
            try:
                parse_selector(selector)
            except SelectorError as exc:
                raise UsageError(f"-l: {exc}") from None
        try:
            conn = connect(getattr(args, "kubeconfig", None), getattr(args, "context", None))
        except KubeError as exc:
            raise UsageError(exc.message) from None
        namespace = (
            None
            if getattr(args, "all_namespaces", False)
            else (getattr(args, "namespace", None) or conn.namespace or "default")
        )
        source = ClusterSource(conn, namespace, label_selector=selector)
        # The first page of pods is listed while Textual imports and the screen mounts (see prefetch).
        source.prefetch()
        from ktui.ui.app import KtuiApp
    return KtuiApp(source, readonly=bool(getattr(args, "readonly", False)))


def run(args: argparse.Namespace) -> int:
    """Connect and run the app; its exit status (129 when the terminal went away)."""
    app = build_app(args)
    app.run()
    return app.return_code or 0
