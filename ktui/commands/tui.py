"""``ktui`` with no subcommand: the full-screen TUI on the current kubeconfig context.

The cluster options (--kubeconfig, --context, -n / -A, --readonly) live on the top-level parser.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Nothing to add: the TUI is what `ktui` does without a subcommand."""


def run(args: argparse.Namespace) -> int:
    """Connect (no network yet: the TUI shows and retries an unreachable cluster) and run the app."""
    from ktui.cli import UsageError
    from ktui.kube.client import KubeError, connect
    from ktui.ui.app import make_app

    try:
        conn = connect(getattr(args, "kubeconfig", None), getattr(args, "context", None))
    except KubeError as exc:
        raise UsageError(exc.message) from None
    namespace = (
        None
        if getattr(args, "all_namespaces", False)
        else (getattr(args, "namespace", None) or conn.namespace or "default")
    )
    app = make_app(conn, namespace, readonly=bool(getattr(args, "readonly", False)))
    app.run()
    return 0
