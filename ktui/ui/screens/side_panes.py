"""What the side panes show for the selection: its diagnosis, its events, its logs and its path.

The main screen calls ``show_selection`` whenever the cursor, the view or the snapshot changes. A pod
gets its findings, the problems of the Services and Ingresses in front of it, its events (owner chain
included), its logs and its path; any other object gets its findings, the problems of what is behind
it (the pods a Service selects, a Deployment's pods, the Services an Ingress sends to), its events
and, for Services and Ingresses, its connection path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from ktui import resources as r
from ktui.model.object_rows import COLUMNS, ObjectRow, object_events
from ktui.model.paths import selects
from ktui.ui.widgets.diagnosis_view import DiagnosisView, findings_of_related
from ktui.ui.widgets.events_view import EventsView

if TYPE_CHECKING:
    from ktui.ui.screens.main import MainScreen

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "unknown": "bold magenta", "info": "green"}
MARKS = {"error": "✖", "warning": "▲", "unknown": "?", "info": "✔"}
RELATED_LIMIT = 12
"""At most this many findings of related objects (a node can run hundreds of pods)."""

RELATED_TITLE = {
    "Service": "Behind this Service: the pods it selects, the Ingresses routing to it",
    "Ingress": "Behind this Ingress: its backend Services (c shows the path)",
    "Deployment": "Its pods",
    "ReplicaSet": "Its pods",
    "Node": "Pods on this node",
}


def _forbidden(snapshot: r.ClusterSnapshot, verb_resource: str) -> str:
    return snapshot.forbidden.get(verb_resource, "")


def show_selection(screen: MainScreen) -> None:
    """Refresh the diagnosis, events, logs and path panes for the current selection."""
    if screen.view.kind == "Pod":
        _show_pod(screen)
    else:
        _show_object(screen)
    screen.update_path()


def _show_pod(screen: MainScreen) -> None:
    row, snapshot, pod = screen.pod_row, screen.snapshot, screen.selected_pod
    diagnosis_view = screen.query_one(DiagnosisView)
    events_view = screen.query_one(EventsView)
    if row is None or pod is None or snapshot is None:
        diagnosis_view.show_message(Text("No pod selected.", "dim"))
        events_view.show([], subject="no pod")
        screen.log_pane.set_pod(None)
        return
    findings = tuple(screen.diagnosis.for_uid(row.uid)) if screen.diagnosis is not None else ()
    title = Text()
    title.append(MARKS.get(row.severity, "?") + " ", SEVERITY_STYLE.get(row.severity, ""))
    title.append(f"{row.namespace}/{row.name}" if screen.status.namespace is None else row.name, "bold")
    title.append(f"  {row.status}", SEVERITY_STYLE.get(row.severity, ""))
    title.append(f"  {row.ready} ready  {row.restarts} restarts  on {row.node}\n", "dim")
    # The caches make a snapshot that changed other pods cost a few lookups here; each view then
    # compares what it would show with what it shows, and redraws only on a difference.
    related = findings_of_related(screen.diagnosis, screen.front.subjects(snapshot, pod))
    diagnosis_view.show(title, findings, related=related)
    events_view.show(
        screen.event_index.scoped(snapshot, pod),
        subject=f"pod {row.name}",
        forbidden=_forbidden(snapshot, "list events"),
    )
    log_pane = screen.log_pane
    if pod is not log_pane.pod:
        log_pane.set_pod(pod)


def object_title(row: ObjectRow, with_namespace: bool) -> Text:
    """'✖ Service nginx-typo' and a dim line of its columns (type, ports, selector, endpoints...)."""
    title = Text()
    title.append(MARKS.get(row.severity, "?") + " ", SEVERITY_STYLE.get(row.severity, ""))
    title.append(f"{row.kind} ", "bold")
    name = f"{row.namespace}/{row.name}" if with_namespace and row.namespace else row.name
    title.append(name, "bold")
    title.append("\n")
    for column, value in zip(COLUMNS[row.kind], row.cells, strict=True):
        if column in ("NAME", "VERDICT"):
            continue
        title.append(f"{column.lower()} ", "dim")
        title.append(f"{value}  ")
    title.append("\n")
    return title


def related_subjects(snapshot: r.ClusterSnapshot, obj: Any) -> list[Any]:
    """The objects behind one: a Service's pods and Ingresses, an Ingress's Services, a workload's pods."""
    ns = obj.metadata.namespace
    if obj.kind == "Service":
        from ktui.ui.probe_targets import ingresses_routing_to

        pods = [p for p in snapshot.pods if p.metadata.namespace == ns
                and selects(obj.spec.selector, p.metadata.labels or {})]
        return [*pods, *ingresses_routing_to(snapshot, [obj])]
    if obj.kind == "Ingress":
        from ktui.model.paths import backend_services

        names = set(backend_services(obj))
        return [s for s in snapshot.services if s.metadata.namespace == ns and s.metadata.name in names]
    if obj.kind in ("Deployment", "ReplicaSet"):
        owners = {obj.metadata.uid}
        if obj.kind == "Deployment":
            owners |= {
                rs.metadata.uid
                for rs in snapshot.replica_sets
                if any(o.uid == obj.metadata.uid for o in rs.metadata.owner_references)
            }
        return [p for p in snapshot.pods if any(o.uid in owners for o in p.metadata.owner_references)]
    if obj.kind == "Node":
        return [p for p in snapshot.pods if p.spec.node_name == obj.metadata.name]
    return []


def object_related_findings(diagnosis: Any, snapshot: r.ClusterSnapshot, obj: Any) -> tuple[Any, ...]:
    """Problems (and probe evidence) of the objects behind this one, worst first, bounded."""
    if diagnosis is None:
        return ()
    out = []
    for other in related_subjects(snapshot, obj):
        for finding in diagnosis.for_uid(other.metadata.uid):
            probed = any(line.startswith("probe ") for line in finding.evidence)
            if str(finding.severity) != "info" or probed:
                out.append(finding)
    rank = {"error": 0, "warning": 1, "unknown": 2, "info": 3}
    out.sort(key=lambda f: rank.get(str(f.severity), 3))
    return tuple(out[:RELATED_LIMIT])


def _show_object(screen: MainScreen) -> None:
    row, snapshot, obj = screen.object_row, screen.snapshot, screen.selected_object
    diagnosis_view = screen.query_one(DiagnosisView)
    events_view = screen.query_one(EventsView)
    what = screen.view.name.rstrip("s") if screen.view.name != "ingresses" else "ingress"
    if row is None or obj is None or snapshot is None:
        diagnosis_view.show_message(Text(f"No {what} selected.", "dim"))
        events_view.show([], subject=f"no {what}")
        return
    findings = tuple(screen.diagnosis.for_uid(row.uid)) if screen.diagnosis is not None else ()
    related = object_related_findings(screen.diagnosis, snapshot, obj)
    diagnosis_view.show(
        object_title(row, screen.status.namespace is None),
        findings,
        related=related,
        related_title=RELATED_TITLE.get(row.kind, "Related"),
    )
    events_view.show(
        object_events(snapshot, obj),
        subject=f"{row.kind.lower()} {row.name}",
        forbidden=_forbidden(snapshot, "list events"),
    )


def copy_choices(screen: MainScreen) -> list[tuple[str, str]]:
    """What `y` offers: selected text, log lines on screen, the diagnosis, each kubectl command."""
    from ktui.ui.widgets.diagnosis_view import findings_as_plain_text

    choices: list[tuple[str, str]] = []
    selected = screen.get_selected_text()
    if selected:
        choices.append(("the selected text", selected))
    logs = screen.log_pane
    if logs.ready and logs.active and screen.has_class("-panes") and logs.view.line_count:
        choices.append(("log lines on screen (or the current match)", logs.copy_text()))
    findings = screen.query_one(DiagnosisView).findings
    if findings:
        choices.append(("the diagnosis", findings_as_plain_text(findings)))
        for finding in findings:
            choices.extend((f"$ {command}", command) for command in finding.commands)
    return choices


def offer_copy(screen: MainScreen) -> None:
    """Open the copy picker on ``copy_choices`` (or say there is nothing to copy)."""
    from ktui.ui.screens.pickers import CopyPicker

    choices = copy_choices(screen)
    if not choices:
        screen.notify("Nothing to copy", severity="warning")
        return
    app: Any = screen.app
    app.push_screen(CopyPicker(choices), app.copy_text)
