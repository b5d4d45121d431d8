"""What the probe keys do on the main screen: choose (or ask) what to test, start it, report back.

In the pods view ``t`` probes the pod, ``T`` the Services in front of it, ``i`` the Ingresses routing
to those, ``F`` opens a port-forward to the pod. In the services view ``T`` probes the selected
Service (port -> targetPort -> endpoint, as kube-proxy maps it), ``i`` the Ingresses routing to it,
``F`` opens a Service forward (it re-targets when its pod goes). In the ingresses view ``i`` probes
the selected Ingress through its controller and ``T`` the Services it sends to. One candidate runs
at once; several open a picker that can also run them all. Results go to the app's ``ProbeBook``
(then the diagnosis) and the Path pane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ktui import resources as r
from ktui.resources import ProbeResult
from ktui.ui.probe_keys import ProbeRunner
from ktui.ui.probe_targets import (
    Choice,
    backend_choices,
    ingress_choices,
    ingress_choices_for,
    nothing_in_front,
    pod_choices,
    rule_choices,
    service_choices,
    service_port_choices,
)
from ktui.ui.widgets.path_pane import forward_line

if TYPE_CHECKING:
    from ktui.ui.screens.main import MainScreen

WHAT = {
    "Pod": "which port of {subject}",
    "Service": "which Service port for {subject}",
    "Ingress": "which Ingress rule for {subject}",
    "Forward": "which port of {subject}",
}


def subject_text(obj: Any) -> str:
    """'pod running', 'service nginx-typo'."""
    return f"{obj.kind.lower()} {obj.metadata.name}" if obj is not None else "nothing"


def choices_for(screen: MainScreen, kind: str) -> list[Choice]:
    """The probes a key ("Pod", "Service", "Ingress") or "Forward" offers for the selection."""
    subject, snapshot = screen.subject, screen.snapshot
    if subject is None or snapshot is None:
        return []
    if isinstance(subject, r.Pod):
        if kind == "Service":
            return service_choices(snapshot, subject)
        if kind == "Ingress":
            return ingress_choices(snapshot, subject)
        ports = pod_choices(subject)
        return [c for c in ports if c.port is not None] if kind == "Forward" else ports
    if isinstance(subject, r.Service):
        if kind in ("Service", "Forward"):
            return service_port_choices(subject)
        if kind == "Ingress":
            return ingress_choices_for(snapshot, [subject])
    if isinstance(subject, r.Ingress):
        if kind == "Ingress":
            return rule_choices(snapshot, subject)
        if kind == "Service":
            return backend_choices(snapshot, subject)
    return []


def available(screen: MainScreen, kind: str) -> bool:
    """Whether a probe key has something to act on (else the footer greys it out).

    On a pod every key stays on (it explains when nothing is in front); on other objects only the
    keys that can test something.
    """
    subject = screen.subject
    if subject is None:
        return False
    if isinstance(subject, r.Pod):
        return True
    return bool(choices_for(screen, kind))


def _why_nothing(screen: MainScreen, kind: str) -> str:
    subject = screen.subject
    if isinstance(subject, r.Pod):
        if kind == "Forward":
            return f"pod {subject.metadata.name} declares no containerPort to forward to"
        return nothing_in_front(kind, subject)
    what = subject_text(subject)
    return {
        "Pod": f"t probes a pod: select one (:po), or Enter lists the pods behind {what}",
        "Service": f"no existing Service behind {what} to probe",
        "Ingress": f"no Ingress routes to {what}",
        "Forward": f"F forwards to a pod or a Service, not to {what}",
    }[kind]


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

    verb = "Port-forward to" if kind == "Forward" else "Probe"
    title = f"{verb} {WHAT[kind].format(subject=subject_text(screen.subject))}?"
    everything = "all of them" if kind != "Forward" else "a forward to each"
    screen.app.push_screen(ProbePicker(title, [c.label for c in choices], everything=everything), picked)


def probe(screen: MainScreen, kind: str) -> None:
    """Probe the selection, the Services in front of (or behind) it, or the Ingresses routing to it."""
    snapshot = screen.snapshot
    if screen.subject is None or snapshot is None:
        screen.notify("Nothing selected", severity="warning")
        return
    choices = choices_for(screen, kind)
    if not choices:
        screen.notify(_why_nothing(screen, kind), severity="warning", timeout=6)
        return

    def run(picked: list[Choice]) -> None:
        screen.action_show_path()
        for choice in picked:
            screen.runner.probe(choice.target, snapshot, port=choice.port, path=choice.path, host=choice.host)

    _ask(screen, kind, choices, run)


def forward(screen: MainScreen) -> None:
    """Open a port-forward from 127.0.0.1 to a port of the selected pod or Service."""
    snapshot = screen.snapshot
    if screen.subject is None or snapshot is None:
        screen.notify("Nothing selected", severity="warning")
        return
    choices = choices_for(screen, "Forward")
    if not choices:
        screen.notify(_why_nothing(screen, "Forward"), severity="warning")
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


class ProbeKeys:
    """The probe keys' actions and the probe runner's reports, mixed into the main screen.

    The handlers use Textual's naming convention (``on_probe_runner_finished``), which dispatch finds
    on a mixin too; ``@on`` would not register outside a Textual class.
    """

    _forwards_seen: set[int]
    """Forwards already announced (set by the screen's __init__)."""

    def action_probe(self, kind: str) -> None:
        """Probe the selection ("Pod"), the Services in front of (or behind) it, or the Ingresses."""
        probe(self._screen, kind)

    def action_forward(self) -> None:
        """Port-forward 127.0.0.1 to a port of the selected pod or Service."""
        forward(self._screen)

    def action_close_forwards(self) -> None:
        """Close every port-forward."""
        screen = self._screen
        screen.runner.close_forwards()
        screen.path_pane.show_forwards(())
        screen.status.forwards = 0
        screen._show_status()
        screen.notify("Port-forwards closed", timeout=3)

    def on_probe_runner_started(self, message: ProbeRunner.Started) -> None:
        """Show the probe in flight."""
        self._screen.path_pane.probe_started(message.key, message.what)

    def on_probe_runner_finished(self, message: ProbeRunner.Finished) -> None:
        """Keep the result, re-diagnose, and show it on the path."""
        screen = self._screen
        screen.path_pane.probe_finished(message.key)
        finished(screen, message.result)
        screen.update_path()

    def on_probe_runner_forward_changed(self, message: ProbeRunner.ForwardChanged) -> None:
        """Show the forwards and say what changed."""
        screen = self._screen
        forward_changed(screen, message, self._forwards_seen)
        screen._show_status()

    @property
    def _screen(self) -> MainScreen:
        screen: Any = self
        return screen  # type: ignore[no-any-return]
