"""The `:` prompt (k9s's command mode) and Enter on an object: switch views, namespaces, contexts.

``:svc`` lists Services, ``:ing`` Ingresses, ``:deploy`` Deployments, ``:rs`` ReplicaSets, ``:no``
Nodes, ``:po`` pods again (its cursor where it was); ``:svc kube-system`` switches the namespace too,
``:ns NAME`` / ``:ctx NAME`` switch namespace or context, ``:q`` quits. Enter on a Service,
Deployment, ReplicaSet or Ingress lists the pods behind it (its selector in the filter bar); on a
Node, the pods on that node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.suggester import Suggester

from ktui.model.object_rows import ObjectRow
from ktui.ui.views import BY_NAME, completions, parse_command

if TYPE_CHECKING:
    from ktui.ui.screens.main import MainScreen


class CommandSuggester(Suggester):
    """Completes view aliases, ``ns NAME`` and ``ctx NAME`` from what the cluster has now."""

    def __init__(self, words: Any) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._words = words

    async def get_suggestion(self, value: str) -> str | None:
        """The first completion that extends what was typed."""
        typed = value.lstrip(":").lower()
        if not typed:
            return None
        for word in self._words():
            if word.lower().startswith(typed) and len(word) > len(typed):
                return value[: len(value) - len(typed)] + word
        return None


def words_for(screen: MainScreen) -> list[str]:
    """What the prompt completes: aliases, the namespaces in the snapshot, the kubeconfig's contexts."""
    app: Any = screen.app
    namespaces = sorted({n.metadata.name for n in (screen.snapshot.namespaces if screen.snapshot else ())})
    try:
        contexts = app.source.contexts()
    except Exception:  # a broken kubeconfig must not break the prompt
        contexts = []
    return completions(namespaces, contexts)


def run_command(screen: MainScreen, text: str) -> None:
    """Do what a `:` command says; an unknown one says so in a toast."""
    app: Any = screen.app
    command = parse_command(text)
    if command.action == "error":
        screen.notify(command.argument or "?", title="Command", severity="error", timeout=6)
    elif command.action == "quit":
        app.exit()
    elif command.action == "help":
        app.action_help()
    elif command.action == "namespace":
        if command.has_argument:
            app.switch_namespace(command.argument)
        else:
            screen.action_pick_namespace()
    elif command.action == "context":
        if command.argument:
            app.switch_context(command.argument)
        else:
            from ktui.ui.screens.pickers import ContextPicker

            app.push_screen(ContextPicker(app.source.contexts(), app.source.context), app.switch_context)
    elif command.view is not None:
        if command.has_argument and command.view.kind != "Node":
            app.switch_namespace(command.argument)
        screen.switch_view(command.view)


def open_row(screen: MainScreen, row: ObjectRow) -> None:
    """Enter on an object: the pods view, filtered to the pods behind it."""
    what = f"{row.kind.lower()} {row.name}"
    if not row.pods_query:
        why = {
            "Ingress": "its backends are not one existing Service with a selector",
            "Service": "it has no selector (its endpoints are managed by hand)",
        }.get(row.kind, "it selects no pods")
        screen.notify(f"No pods to list for {what}: {why}", severity="warning", timeout=6)
        return
    screen.switch_view(BY_NAME["pods"], query=row.pods_query)
    screen.notify(f"Pods of {what}: {row.pods_query}  (esc clears the filter)", timeout=4)


def show_detail(screen: MainScreen) -> None:
    """Show the selected object's YAML as the server has it."""
    from ktui.ui.screens.detail import DetailScreen

    subject = screen.subject
    if subject is None:
        screen.notify("Nothing selected", severity="warning")
        return
    app: Any = screen.app
    app.push_screen(DetailScreen(subject, app.source))


def pick_namespace(screen: MainScreen) -> None:
    """Choose a namespace (or all) from the cluster's namespaces."""
    from ktui.ui.screens.pickers import NamespacePicker

    app: Any = screen.app
    names = sorted({n.metadata.name for n in (screen.snapshot.namespaces if screen.snapshot else ())})
    app.push_screen(NamespacePicker(names, app.source.namespace), app.switch_namespace)
