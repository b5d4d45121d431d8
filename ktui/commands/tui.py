"""``ktui`` with no subcommand: the full-screen TUI on the current kubeconfig context.

The cluster options (--kubeconfig, --context, -n / -A, --readonly, -l) live on the top-level parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.kube.client import Connection
    from ktui.ui.app import KtuiApp
    from ktui.ui.source import ClusterSource


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Nothing to add: the TUI is what `ktui` does without a subcommand."""


def build_app(args: argparse.Namespace) -> KtuiApp:
    """The app the command line asks for, its first lists already on their way (``open_source``).

    No network error is raised here: the TUI shows and retries an unreachable cluster.

    UsageError for a kubeconfig that cannot be read or a label selector that cannot be parsed.
    """
    source = open_source(args, meanwhile=import_app)
    from ktui.ui.app import KtuiApp

    return KtuiApp(source, readonly=bool(getattr(args, "readonly", False)))


def import_app() -> None:
    """Import the app module (and Textual with it)."""
    import ktui.ui.app  # noqa: F401  (Textual: ~140 ms)


def open_source(args: argparse.Namespace, *, meanwhile: Callable[[], None] = lambda: None) -> ClusterSource:
    """The cluster source the command line asks for, listing already; ``meanwhile`` (the UI's
    imports) runs while the first lists are on their way.

    A helper process (``ktui.kube.prelist``) loads the kubeconfig and reads the first lists while
    ``meanwhile`` runs on this process's core; where it cannot be forked, the connection is made
    here and the first page of pods is listed from a thread instead (``ClusterSource.prefetch``).

    UsageError for a kubeconfig that cannot be read or a label selector that cannot be parsed.
    """
    from ktui.cli import UsageError
    from ktui.kube.prelist import Prelist

    selector = (getattr(args, "selector", None) or "").strip() or None
    if selector is not None:
        # Only with -l: the model's import (~30 ms) would otherwise come before the helper's fork.
        from ktui.model.tables import SelectorError, parse_selector

        try:
            parse_selector(selector)
        except SelectorError as exc:
            raise UsageError(f"-l: {exc}") from None
    kubeconfig, context = getattr(args, "kubeconfig", None), getattr(args, "context", None)
    all_namespaces = bool(getattr(args, "all_namespaces", False))
    asked = getattr(args, "namespace", None)
    prelist = Prelist.start(kubeconfig, context, all_namespaces=all_namespaces, namespace=asked,
                            label_selector=selector)
    # After the fork (this import alone is ~25 ms). The imports leave ~200k long-lived objects
    # (Textual, our records' types, the client's configuration) and hardly any garbage: the
    # collector is held off while they load (its passes over them cost ~15-20 ms on the way to the
    # first screen) and they are frozen at the end, so later collections never walk them.
    from ktui.kube.client import KubeError, connect
    from ktui.resources import collector

    with collector.paused():
        try:
            if prelist is None:
                conn = connect(kubeconfig, context)
                namespace = conn.scope(all_namespaces, asked)
                source = _source(conn, namespace, selector)
                meanwhile()
                return source
            meanwhile()
            conn, namespace = prelist.connection()
        except KubeError as exc:
            raise UsageError(exc.message) from None
        return _source(conn, namespace, selector)


def _source(conn: Connection, namespace: str | None, selector: str | None) -> ClusterSource:
    from ktui.ui.source import ClusterSource

    source = ClusterSource(conn, namespace, label_selector=selector)
    source.prefetch()
    return source


def run(args: argparse.Namespace) -> int:
    """Connect and run the app; its exit status (129 when the terminal went away)."""
    app = build_app(args)
    app.run()
    return app.return_code or 0
