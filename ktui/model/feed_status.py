"""What the feed says of its connection: one state and message from every reflector's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ktui.kube import reflector as rf
from ktui.kube.api import RESOURCES

FeedState = Literal["connecting", "live", "reconnecting", "unreachable"]


@dataclass(frozen=True)
class FeedStatus:
    """The connection as the user should see it, plus which reads RBAC refused."""

    state: FeedState
    message: str = ""
    forbidden: Mapping[str, str] = field(default_factory=dict)


def summarize(states: Mapping[str, tuple[str, str]]) -> tuple[FeedState, str]:
    """One feed state from every reflector's (state, message)."""
    if not states:
        return "connecting", ""
    pods = states.get("Pod")
    if pods is not None and pods[0] == rf.ABSENT:
        # Every API server serves pods: a 404 there is another HTTP server at the kubeconfig's
        # address (a wrong port, a proxy), not a cluster with nothing in it.
        why = pods[1] or "404"
        return "unreachable", f"the server does not serve pods ({why}): is it a Kubernetes API server?"
    values = list(states.values())
    down = [(k, s, m) for k, (s, m) in states.items() if s in (rf.UNREACHABLE, rf.RECONNECTING)]
    active = [(s, m) for s, m in values if s != rf.ABSENT]
    if active and all(s == rf.UNREACHABLE for s, _ in active):
        return "unreachable", active[0][1]
    done = (rf.LIVE, rf.FORBIDDEN, rf.ABSENT)
    ever_live = any(s in done for s, _ in values)
    if down and ever_live:
        kinds = ", ".join(sorted(RESOURCES[k].plural for k, _, _ in down))
        return "reconnecting", f"{kinds}: {down[0][2]}" if down[0][2] else kinds
    if all(s in done for s, _ in values):
        return "live", ""
    pending = sorted((RESOURCES[k].plural, m) for k, (s, m) in states.items() if s not in done)
    errors = [f"{plural}: {m}" for plural, m in pending if m]
    if errors:
        return "connecting", "; ".join(errors)
    return "connecting", f"listing {', '.join(plural for plural, _ in pending)}"
