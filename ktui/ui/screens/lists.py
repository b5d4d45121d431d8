"""The main screen's lists: rows in (with the message an empty list shows), the view switch, the status.

One list per view is mounted; these helpers keep the shown one, the filter bar, the Logs tab and the
status line in step with the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual.widgets import Input, TabbedContent

from ktui.model.object_rows import ObjectRow
from ktui.model.object_rows_memo import rows_of_kind
from ktui.model.tables import PodRow
from ktui.resources import ClusterSnapshot
from ktui.ui.views import VIEWS, View
from ktui.ui.widgets.status_bar import StatusInfo

if TYPE_CHECKING:
    from ktui.ui.screens.main import MainScreen


def resource_of(view: View) -> str:
    """The API resource a view lists ("services"), as the forbidden map names it."""
    return {"Ingress": "ingresses"}.get(view.kind, view.kind.lower() + "s")


def apply_pods(screen: MainScreen, snapshot: ClusterSnapshot, rows: Sequence[PodRow]) -> None:
    """Give the pod list its rows, and the words it shows when none are left."""
    table = screen.table
    namespace = screen.status.namespace
    table.show_namespace = namespace is None
    pods_forbidden = snapshot.forbidden.get("list pods", "")
    selector = screen.status.selector
    where = "any namespace" if namespace is None else f'namespace "{namespace}"'
    if pods_forbidden:
        table.empty_message = f"Cannot list pods (forbidden): {pods_forbidden}"
    elif selector:
        table.empty_message = f"No pods match -l {selector} in {where}."
    else:
        table.empty_message = f"No pods in {where}."
    if table.filter_query and not rows:
        table.empty_message = "No pods match the filter."
    table.set_rows(rows)
    if table.total and not table.rows:
        table.empty_message = (
            "No pods match the filter (esc clears it)."
            if table.filter_query
            else "No problems: every pod is healthy (! shows all)."
        )
        table.refresh()


def apply_objects(
    screen: MainScreen, snapshot: ClusterSnapshot, objects: dict[str, tuple[ObjectRow, ...]]
) -> None:
    """Give the object lists shown their rows, and the words each shows when it has none to show.

    A list not in ``objects`` (its rows were not made), or no longer shown, keeps what it has.
    """
    namespace = screen.status.namespace
    for view in VIEWS[1:]:
        rows = objects.get(view.kind)
        if rows is None or view.kind not in screen.object_kinds:
            continue  # (made before the view switched): the list was emptied when hidden
        table = screen.object_table(view)
        table.show_namespace = namespace is None and view.kind != "Node"
        table.set_rows(rows)
        forbidden = snapshot.forbidden.get(f"list {resource_of(view)}", "")
        if forbidden:
            message = f"Cannot list {view.name} (forbidden): {forbidden}"
        elif not rows and snapshot.synced and view.kind not in snapshot.synced:
            message = f"Loading {view.name}…"
        elif rows and table.filter_query:
            message = "Nothing matches the filter (esc clears it)."
        elif rows:
            message = f"No problems: all {len(rows)} {view.name} are healthy (! shows all)."
        elif namespace is None or view.kind == "Node":
            message = f"No {view.name}."
        else:
            message = f'No {view.name} in namespace "{namespace}".'
        if message != table.empty_message:
            table.empty_message = message
            table.refresh()


def want_rows(screen: MainScreen, kinds: frozenset[str]) -> None:
    """Make the rows of the object lists in ``kinds`` now, and only theirs from the next snapshot on.

    A list leaving ``kinds`` lets its rows go (they are made again when it is shown); one entering
    it gets rows made here from the screen's snapshot, without waiting for the feed's next one.
    """
    old, screen.object_kinds = screen.object_kinds, kinds
    for view in VIEWS[1:]:
        if view.kind in old - kinds:
            screen.object_table(view).drop_rows()  # (about to be hidden: no frame shows it empty)
            screen._objects.pop(view.kind, None)
    snapshot = screen.snapshot
    if snapshot is not None and kinds - old:
        made = {kind: rows_of_kind(snapshot, screen.diagnosis, kind) for kind in kinds - old}
        screen._objects = {**screen._objects, **made}
        apply_objects(screen, snapshot, made)


def clear_lists(screen: MainScreen) -> None:
    """Empty every list until the next snapshot (another namespace or context is being read)."""
    screen.snapshot = None
    screen.table.empty_message = "Loading pods…"
    screen.table.set_rows(())
    for view in VIEWS[1:]:
        table = screen.object_table(view)
        table.empty_message = f"Loading {view.name}…"
        table.set_rows(())


def switch_view(screen: MainScreen, view: View, query: str | None) -> None:
    """Show the view's list (hiding the other), its filter in the filter bar, Logs only for pods."""
    old = screen.list_widget
    screen.view = view
    new = screen.list_widget
    if new is not old:
        old.display = False
        new.display = True
    if query is not None:
        new.set_query(query)
    box = screen.query_one("#filter", Input)
    with box.prevent(Input.Changed):
        box.value = new.filter_query
    box.display = bool(new.filter_query)
    tabs = screen.query_one(TabbedContent)
    if view.kind == "Pod":
        tabs.show_tab("tab-logs")
    else:
        if tabs.active == "tab-logs":
            tabs.active = "tab-events"
        tabs.hide_tab("tab-logs")
    new.focus()


def fill_status(screen: MainScreen, info: StatusInfo) -> StatusInfo:
    """The status line's fields for the current view and source."""
    app: Any = screen.app
    info.context = app.source.context
    info.namespace = app.source.namespace
    info.selector = getattr(app.source, "label_selector", None) or ""
    info.readonly = bool(getattr(app, "readonly", False))
    info.view = screen.view.name
    table = screen.list_widget
    info.pods, info.shown = table.total, len(table.rows)
    info.query, info.problems_only = table.filter_query, table.problems_only
    info.counts = dict(table.counts)
    return info
