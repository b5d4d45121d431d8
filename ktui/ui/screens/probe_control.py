"""What the probe keys do on the main screen: choose (or ask) what to test, start it, report back.

``t`` probes the pod, ``T`` the Services in front of it, ``i`` the Ingresses routing to those, ``F``
opens a port-forward to the pod. One candidate runs at once; several open a picker that can also
run them all. Results go to the app's ``ProbeBook`` (then the diagnosis) and the Path pane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ktui.resources import ProbeResult
from ktui.ui.probe_keys import ProbeRunner
from ktui.ui.probe_targets import Choice, ingress_choices, nothing_in_front, pod_choices, service_choices
from ktui.ui.widgets.path_pane import forward_line

if TYPE_CHECKING:
    from ktui.ui.screens.main import MainScreen

TITLES = {
    "Pod": "Probe which port of pod {name}?",
    "Service": "Probe which Service in front of pod {name}?",
    "Ingress": "Probe which Ingress rule routing to pod {name}?",
    "Forward": "Port-forward to which port of pod {name}?",
}


def choices_for(screen: MainScreen, kind: str) -> list[Choice]:
    """The probes a key offers for the selected pod."""
    pod, snapshot = screen.selected_pod, screen.snapshot
    if pod is None or snapshot is None:
        return []
    if kind == "Service":
        return service_choices(snapshot, pod)
    if kind == "Ingress":
        return ingress_choices(snapshot, pod)
    return pod_choices(pod)


def _ask(screen: MainScreen, kind: str, choices: list[Choice], run: Any) -> None:
    """Run the only choice, or let the user pick one (or all)."""
    if len(choices) == 1:
        run(choices)
        return
    from ktui.ui.screens.pickers import ALL_CHOICES, ProbePicker

    def picked(value: str | None) -> None:
        if value == ALL_CHOICES:
            run(choices)
        elif value is not None:
            run([choices[int(value)]])

    pod = screen.selected_pod
    title = TITLES[kind].format(name=pod.metadata.name if pod else "?")
    everything = "all of them" if kind != "Forward" else "a forward to each"
    screen.app.push_screen(ProbePicker(title, [c.label for c in choices], everything=everything), picked)


def probe(screen: MainScreen, kind: str) -> None:
    """Probe the selected pod (kind "Pod"), its Services or its Ingresses; results land in the Path pane."""
    pod, snapshot = screen.selected_pod, screen.snapshot
    if pod is None or snapshot is None:
        screen.notify("No pod selected", severity="warning")
        return
    choices = choices_for(screen, kind)
    if not choices:
        screen.notify(nothing_in_front(kind, pod), severity="warning", timeout=6)
        return

    def run(picked: list[Choice]) -> None:
        screen.action_show_path()
        for choice in picked:
            screen.runner.probe(choice.target, snapshot, port=choice.port, path=choice.path, host=choice.host)

    _ask(screen, kind, choices, run)


def forward(screen: MainScreen) -> None:
    """Open a port-forward from 127.0.0.1 to a port of the selected pod."""
    pod, snapshot = screen.selected_pod, screen.snapshot
    if pod is None or snapshot is None:
        screen.notify("No pod selected", severity="warning")
        return
    choices = [c for c in pod_choices(pod) if c.port is not None]
    if not choices:
        screen.notify(f"pod {pod.metadata.name} declares no containerPort to forward to", severity="warning")
        return

    def run(picked: list[Choice]) -> None:
        screen.action_show_path()
        for choice in picked:
            screen.runner.open_forward(choice.target, snapshot, choice.port)

    _ask(screen, "Forward", choices, run)


def finished(screen: MainScreen, result: ProbeResult) -> None:
    """Keep a result, re-diagnose with it, and say it in a toast too (the Path pane may be hidden)."""
    app: Any = screen.app
    app.book.add(result)
    app.rediagnose()
    screen.notify(
        result.summary,
        title="Probe ok" if result.ok else "Probe failed",
        severity="information" if result.ok else "error",
        timeout=6,
    )


def forward_changed(screen: MainScreen, message: ProbeRunner.ForwardChanged, seen: set[int]) -> None:
    """Show the forwards; say when one opens, and when one dies, why."""
    forwards = screen.runner.forwards
    screen.path_pane.show_forwards(forwards)
    screen.status.forwards = sum(1 for f in forwards if f.dead is None)
    fwd = next((f for f in forwards if f.id == message.forward_id), None)
    if fwd is None:
        screen.notify(f"Cannot forward to {message.description}: {message.dead}", severity="error", timeout=8)
    elif message.dead:
        screen.notify(forward_line(fwd).plain, title="Forward dead", severity="error", timeout=10)
    elif fwd.id not in seen:
        screen.notify(forward_line(fwd).plain, title="Forward open", timeout=8)
    if fwd is not None:
        seen.add(fwd.id)
