"""Nodes: not ready, under pressure, cordoned."""

from __future__ import annotations

from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit
from ktui.diagnosis.rules.events import age, event_line
from ktui.diagnosis.shell import DESCRIBE_SUBJECT
from ktui.resources import Node

_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def not_ready_reason(node: Node) -> str | None:
    """Why the node is not Ready ('NodeStatusUnknown: Kubelet stopped posting node status.'), or None."""
    ready = next((c for c in node.status.conditions if c.type == "Ready"), None)
    if ready is None or ready.status == "True":
        return None
    text = f"Ready={ready.status}"
    if ready.reason:
        text += f" {ready.reason}"
    if ready.message:
        text += f": {ready.message}"
    return text


def node_hits(ix: Index, node: Node) -> list[Hit]:
    """A node's findings, worst first."""
    name = node.metadata.name
    cmds = [DESCRIBE_SUBJECT]
    hits: list[Hit] = []
    why = not_ready_reason(node)
    if why is not None:
        ready = next(c for c in node.status.conditions if c.type == "Ready")
        ev = [f"condition {why} (since {age(ix.now, ready.last_transition_time)} ago)"]
        ev += [event_line(e, ix.now) for e in ix.events_of(node)[:3]]
        hits.append(Hit("node_not_ready", {"node": name, "why": why}, ev, cmds))
    pressure = [c for c in node.status.conditions if c.type in _PRESSURE and c.status == "True"]
    if pressure:
        hits.append(
            Hit(
                "node_pressure",
                {"node": name, "conditions": ", ".join(c.type for c in pressure)},
                [f"condition {c.type}=True {c.reason or ''}: {c.message or ''}" for c in pressure],
                cmds,
            )
        )
    if node.spec.unschedulable:
        hits.append(Hit("node_cordoned", {"node": name}, [], cmds))
    if not hits:
        hits.append(Hit("healthy", {"state": "Ready"}, [], cmds))
    return hits
