"""The main screen's keys, declared once: the footer, the `?` help and the tests read these lists."""

from __future__ import annotations

from textual.binding import Binding

PANE_BINDINGS = [
    # `?` and `q` are the app's too; repeated here so the footer shows them before the pane keys,
    # which a narrow terminal cuts off (the footer lists the focused widget's keys, then the screen's).
    Binding("question_mark", "app.help", "Keys", id="main.help"),
    Binding("q", "app.quit", "Quit", id="main.quit"),
    Binding(
        "colon",
        "command_prompt",
        "Views",
        id="main.command",
        tooltip=":svc :ing :deploy :rs :no :po switch the list; :ns NAME, :ctx NAME, :q",
    ),
    Binding("l", "show_logs(False)", "Logs", id="main.logs", tooltip="Logs of the selected pod (pods view)"),
    Binding(
        "p",
        "show_logs(True)",
        "Prev",
        id="main.previous_logs",
        tooltip="Logs of the previous (crashed) container",
    ),
    Binding("e", "show_events", "Events", id="main.events"),
    Binding(
        "c",
        "show_path",
        "Path",
        id="main.path",
        tooltip="Connection path of the pod, Service or Ingress: Ingress -> Service -> endpoints -> pod",
    ),
    Binding("enter", "show_diagnosis", "Diagnosis", id="main.enter", show=False),
    Binding("d", "detail", "YAML", id="main.detail", tooltip="The object's YAML from the server"),
    Binding("y", "copy", "Copy", id="main.copy", tooltip="Copy the diagnosis, a command or log lines"),
    Binding("n", "pick_namespace", "NS", id="main.namespace", tooltip="Switch namespace (or all)"),
    Binding("escape", "back", "Back", show=False, id="main.back"),
]
"""Keys that show panes or act on the selection."""

PROBE_BINDINGS = [
    Binding(
        "t",
        "probe('Pod')",
        "Probe pod",
        id="main.probe_pod",
        tooltip="Probe the pod: port-forward to its port, TCP connect, HTTP GET",
    ),
    Binding(
        "T",
        "probe('Service')",
        "Probe svc",
        id="main.probe_service",
        tooltip="Probe the Service (or those in front of the pod), port -> targetPort as kube-proxy maps it",
    ),
    Binding(
        "i",
        "probe('Ingress')",
        "Probe ing",
        id="main.probe_ingress",
        tooltip="Probe the Ingress (or those routing to the selection) through the ingress controller",
    ),
    Binding(
        "F",
        "forward",
        "Forward",
        id="main.forward",
        tooltip="Port-forward 127.0.0.1:PORT to the pod or Service (in the Path pane; closed on quit)",
    ),
]
"""The one-key probes on the selection (greyed out in --readonly or with nothing to test)."""
