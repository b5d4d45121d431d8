"""The connection path, head to tail, each hop green / red / yellow, and the probe results on it.

Given a ``ConnectionPath`` (``ktui.model.paths.path_for``) and the ProbeResults known for the
subject, renders a rich Tree: the ingress controller first, then rules, backends, Service ports,
endpoints, pods and container ports; a broken hop carries its reason on the next line; a probe
result is shown under the hop it tested (``ProbeResult.hop``) with its time, and listed below; the
latest result on a hop also sets its mark (refused: red; answered: green where the snapshot could
not tell).
Cluster data is always ``Text`` (never markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree
from textual.widgets import Static

from ktui.model.paths import ConnectionPath, Hop, HopState
from ktui.resources import ProbeResult

_RANK = {HopState.OK: 0, HopState.UNKNOWN: 1, HopState.BROKEN: 2}
STYLE = {HopState.OK: "green", HopState.BROKEN: "bold red", HopState.UNKNOWN: "yellow"}
MARK = {HopState.OK: "✓", HopState.BROKEN: "✗", HopState.UNKNOWN: "?"}


def result_time(result: ProbeResult) -> str:
    """HH:MM:SS of a result, local time."""
    if result.at is None:
        return "--:--:--"
    at = result.at if result.at.tzinfo else result.at.replace(tzinfo=UTC)
    return at.astimezone().strftime("%H:%M:%S")


def result_line(result: ProbeResult) -> Text:
    """'12:03:04 ✓ probe: service web:80 answers HTTP 200 ...'."""
    line = Text()
    line.append(f"{result_time(result)} ", style="dim")
    line.append("✓ " if result.ok else "✗ ", style="green" if result.ok else "bold red")
    line.append(result.summary, style="" if result.ok else "red")
    return line


def _hop_text(hop: Hop, state: HopState) -> Text:
    text = Text()
    text.append(f"{MARK[state]} ", style=STYLE[state])
    text.append(hop.label, style="" if state is HopState.OK else STYLE[state])
    if hop.reason:
        text.append("\n  ")
        text.append(hop.reason, style="italic " + STYLE[hop.state])
    return text


def probed_state(hop: Hop, results: Sequence[ProbeResult]) -> HopState:
    """A hop's state with the evidence of the latest probe that tested it: a refusal breaks it, an
    answer proves a hop the snapshot alone could not judge (a port no container declares)."""
    if not results:
        return hop.state
    latest = max(results, key=lambda r: r.at.timestamp() if r.at else 0.0)
    if not latest.ok:
        return HopState.BROKEN
    return HopState.OK if hop.state is HopState.UNKNOWN else hop.state


def _placement(path: ConnectionPath, results: Sequence[ProbeResult]) -> dict[int, list[ProbeResult]]:
    """id(hop) -> the results that tested it (the first hop of the result's kind and port)."""
    placed: dict[int, list[ProbeResult]] = {}
    hops = [hop for _, hop in path.walk()]
    for result in results:
        same_kind = [h for h in hops if h.kind == result.hop]
        hop = next((h for h in same_kind if result.port is not None and h.port == result.port), None)
        hop = hop or (same_kind[0] if same_kind else None)
        if hop is not None:
            placed.setdefault(id(hop), []).append(result)
    return placed


def relevant_results(path: ConnectionPath | None, results: Sequence[ProbeResult]) -> tuple[ProbeResult, ...]:
    """Results about the subject or any object on its path (a Service probe shows on a pod's path)."""
    if path is None:
        return ()
    keys = {(path.subject.kind, path.subject.namespace, path.subject.name)}
    keys |= {(h.ref.kind, h.ref.namespace, h.ref.name) for _, h in path.walk() if h.ref is not None}
    return tuple(r for r in results if (r.target.kind, r.target.namespace, r.target.name) in keys)


def render_path(path: ConnectionPath | None, results: Sequence[ProbeResult] = ()) -> RenderableType:
    """The whole view as one renderable (also used by tests and screenshots)."""
    if path is None:
        return Text("Select a pod, service or ingress to see how traffic reaches it.", style="dim")
    placed = _placement(path, results)
    states = [probed_state(hop, placed.get(id(hop), ())) for _, hop in path.walk()]
    worst = max(states, key=_RANK.__getitem__) if states else HopState.UNKNOWN
    title = Text()
    title.append(f"{path.subject.kind} {path.subject.namespace}/{path.subject.name}", style="bold")
    title.append(f"  {MARK[worst]} ", style=STYLE[worst])
    title.append(
        {
            HopState.OK: "traffic path ok",
            HopState.BROKEN: "traffic path broken",
            HopState.UNKNOWN: "traffic path not fully known",
        }[worst],
        style=STYLE[worst],
    )
    tree = Tree(title, guide_style="dim")

    def add(node: Tree, hop: Hop) -> None:
        branch = node.add(_hop_text(hop, probed_state(hop, placed.get(id(hop), ()))))
        for result in placed.get(id(hop), ()):
            branch.add(result_line(result))
        for child in hop.children:
            add(branch, child)

    for root in path.roots:
        add(tree, root)
    parts: list[RenderableType] = [tree]
    if path.note:
        parts.append(Text(path.note, style="dim italic"))
    if results:
        parts.append(Text("Probes", style="bold"))
        for result in sorted(results, key=lambda r: r.at.timestamp() if r.at else 0.0, reverse=True):
            parts.append(result_line(result))
            if result.tested:
                parts.append(Text(f"   tested: {result.tested}", style="dim"))
    return Group(*parts)


class PathView(Static):
    """Shows one connection path and its probe results; call ``show`` to change either."""

    DEFAULT_CSS = """
    PathView { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.path: ConnectionPath | None = None
        self.results: tuple[ProbeResult, ...] = ()

    def on_mount(self) -> None:
        """Start with the hint."""
        self.update(render_path(None))

    def show(self, path: ConnectionPath | None, results: Sequence[ProbeResult] = ()) -> None:
        """Render a path with the results that concern its subject (others are ignored)."""
        self.path = path
        self.results = relevant_results(path, results)
        self.update(render_path(path, self.results))
