"""The hops of a connection path: hop kinds, their state, and the path tree they form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from ktui import resources as r

CONTROLLER = "controller"
INGRESS_RULE = "ingress-rule"
BACKEND = "backend"
SERVICE_PORT = "service-port"
ENDPOINTS = "endpoints"
ENDPOINT = "endpoint"
POD = "pod"
CONTAINER_PORT = "container-port"
HOP_KINDS = (CONTROLLER, INGRESS_RULE, BACKEND, SERVICE_PORT, ENDPOINTS, ENDPOINT, POD, CONTAINER_PORT)
"""Every hop kind, head to tail; also the values of ``ProbeResult.hop``."""

NGINX_CONTROLLER = "k8s.io/ingress-nginx"
NGINX_LABEL = ("app.kubernetes.io/name", "ingress-nginx")
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


class HopState(StrEnum):
    """Whether traffic gets past a hop."""

    OK = "ok"
    BROKEN = "broken"
    UNKNOWN = "unknown"


_RANK = {HopState.OK: 0, HopState.UNKNOWN: 1, HopState.BROKEN: 2}


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of the path; ``children`` are the next steps (several endpoints fan out)."""

    kind: str
    label: str
    state: HopState
    reason: str = ""
    ref: r.Ref | None = None
    port: int | str | None = None
    children: tuple[Hop, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Hop]]:
        """This hop and everything after it, depth first, with the depth."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass(frozen=True, slots=True)
class ConnectionPath:
    """Every way traffic reaches (or fails to reach) the subject, controller first."""

    subject: r.Ref
    roots: tuple[Hop, ...] = ()
    note: str = ""

    def walk(self) -> Iterator[tuple[int, Hop]]:
        """All hops with their depth, in display order."""
        for root in self.roots:
            yield from root.walk()

    def hops(self, kind: str) -> list[Hop]:
        """The hops of one kind."""
        return [hop for _, hop in self.walk() if hop.kind == kind]

    def first_broken(self) -> Hop | None:
        """The broken hop nearest the head, where the reason to show lives."""
        return next((hop for _, hop in self.walk() if hop.state is HopState.BROKEN), None)

    @property
    def state(self) -> HopState:
        """The worst state on the path (UNKNOWN when there is nothing to show)."""
        states = [hop.state for _, hop in self.walk()]
        return max(states, key=_RANK.__getitem__) if states else HopState.UNKNOWN
