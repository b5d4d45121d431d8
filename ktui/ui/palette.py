"""Command palette entries (`:` or ctrl+p): contexts, namespaces, sort, panes, probes, copy, help."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ktui.model.tables import SORT_KEYS
from ktui.ui.views import VIEWS


class KtuiCommands(Provider):
    """Everything ktui can do, by name."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: Any = self.app
        screen: Any = app.main_screen
        commands: list[tuple[str, str, Callable[[], Any]]] = []
        try:
            contexts = app.source.contexts()
        except Exception:  # a broken kubeconfig must not break the palette
            contexts = []
        for name in contexts:
            if name != app.source.context:
                commands.append(
                    (
                        f"Context: switch to {name}",
                        "Watch another kubeconfig context",
                        partial(app.switch_context, name),
                    )
                )
        for view in VIEWS:
            if view != screen.view:
                commands.append(
                    (
                        f"View: {view.name}",
                        f"List the {view.name}, each with its verdict (:{view.key})",
                        partial(screen.switch_view, view),
                    )
                )
        commands.append(
            ("Namespace: all namespaces", "Watch every namespace", partial(app.switch_namespace, None))
        )
        snapshot = screen.snapshot
        for ns in sorted({n.metadata.name for n in (snapshot.namespaces if snapshot else ())}):
            commands.append((f"Namespace: {ns}", "Watch this namespace", partial(app.switch_namespace, ns)))
        for key in SORT_KEYS:
            commands.append(
                (f"Sort by {key}", "Order the pod list", partial(setattr, screen.table, "sort_key", key))
            )
        commands += [
            (
                "Toggle problems only",
                "Show only pods with a problem (!)",
                screen.table.action_toggle_problems,
            ),
            ("Show logs", "Logs of the selected pod (l)", partial(screen.action_show_logs, False)),
            (
                "Show previous logs",
                "Logs of the previous container (p)",
                partial(screen.action_show_logs, True),
            ),
            ("Show events", "Events of the selected pod (e)", screen.action_show_events),
            ("Show connection path", "Ingress -> Service -> endpoints -> pod (c)", screen.action_show_path),
            ("Show detail (YAML)", "The selected pod from the server (d)", screen.action_detail),
            ("Copy…", "Copy the diagnosis, a command or log lines (y)", screen.action_copy),
            ("Filter pods", "Text or label selector (/)", screen.table.action_open_filter),
            ("Keys", "Every key (?)", app.action_help),
        ]
        if screen.runner.enabled and screen.subject is not None:
            from ktui.ui.screens.probe_control import available, subject_text

            what = subject_text(screen.subject)
            probes = [
                ("Pod", f"Probe {what}", "Port-forward, connect, HTTP GET (t)"),
                ("Service", f"Probe the Service(s) of {what}", "Service port -> targetPort -> endpoint (T)"),
                ("Ingress", f"Probe the Ingress(es) of {what}", "Through the ingress controller (i)"),
            ]
            commands += [
                (title, help_text, partial(screen.action_probe, kind))
                for kind, title, help_text in probes
                if available(screen, kind)
            ]
            if available(screen, "Forward"):
                forward = (f"Port-forward to {what}", "127.0.0.1:PORT -> its port (F)", screen.action_forward)
                commands.append(forward)
        if screen.runner.forwards:
            commands.append(
                ("Close all port-forwards", "Stop every forward ktui opened", screen.action_close_forwards)
            )
        return commands

    async def discover(self) -> Hits:
        """The commands shown before typing."""
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands matching the query."""
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
