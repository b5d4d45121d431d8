"""What each probe key can test for a selected pod: its ports, the Services and Ingresses in front of it.

Pure (snapshot in, choices out), so the keys, the picker, the palette and the tests agree on one list.
A ``Choice`` is one probe the user can run; the picker offers them, plus "all of them" when there
are several.
"""

from __future__ import annotations

from dataclasses import dataclass

from ktui import resources as r
from ktui.model.paths import find_service_port, ingress_routes, selects
from ktui.probes.pod import declared_ports


@dataclass(frozen=True, slots=True)
class Choice:
    """One probe: its target, and the port, path and Host header to use (None: the probe decides)."""

    label: str
    target: r.Ref
    port: int | str | None = None
    path: str | None = None
    host: str | None = None


def pod_choices(pod: r.Pod) -> list[Choice]:
    """One choice per declared TCP port (none declared: one choice, the probe explains)."""
    ref = r.ref_of(pod)
    ports = declared_ports(pod)
    if not ports:
        return [Choice(f"pod {pod.metadata.name}", ref)]
    return [
        Choice(
            f"pod {pod.metadata.name} port {cp.container_port}" + (f" ({cp.name})" if cp.name else ""),
            ref,
            cp.container_port,
        )
        for cp in ports
    ]


def services_in_front(snapshot: r.ClusterSnapshot, pod: r.Pod) -> list[r.Service]:
    """Services in the pod's namespace whose selector matches its labels (kube-proxy's view)."""
    labels = pod.metadata.labels or {}
    return sorted(
        (
            s
            for s in snapshot.services
            if s.metadata.namespace == pod.metadata.namespace and selects(s.spec.selector, labels)
        ),
        key=lambda s: s.metadata.name,
    )


def service_port_choices(svc: r.Service) -> list[Choice]:
    """One choice per port of one Service."""
    out = []
    for sp in svc.spec.ports:
        name = f" ({sp.name})" if sp.name else ""
        out.append(
            Choice(
                f"service {svc.metadata.name}:{sp.port}{name} -> targetPort {sp.target_port or sp.port}",
                r.ref_of(svc),
                sp.port,
            )
        )
    return out


def service_choices(snapshot: r.ClusterSnapshot, pod: r.Pod) -> list[Choice]:
    """One choice per port of every Service in front of the pod."""
    return [c for svc in services_in_front(snapshot, pod) for c in service_port_choices(svc)]


def rule_choices(
    snapshot: r.ClusterSnapshot, ing: r.Ingress, only: dict[str, r.Service] | None = None
) -> list[Choice]:
    """One choice per rule (host, path) of one Ingress; with ``only``, just the rules to those Services."""
    services = only
    if services is None:
        ns = ing.metadata.namespace
        services = {s.metadata.name: s for s in snapshot.services if s.metadata.namespace == ns}
    out = []
    for host, path, _, backend in ingress_routes(ing):
        if backend.service is None:
            continue
        svc = services.get(backend.service.name)
        if svc is None and only is not None:
            continue
        port = backend.service.port.number or backend.service.port.name
        if svc is None:
            port_text = f"{port} (no such Service)"
        elif port is not None and find_service_port(svc, port) is None:
            port_text = f"{port} (no such port)"
        else:
            port_text = str(port)
        where = f"{host or '*'}{path}" if path else "default backend"
        out.append(
            Choice(
                f"ingress {ing.metadata.name}: {where} -> {backend.service.name}:{port_text}",
                r.ref_of(ing),
                None,
                path or None,
                host or None,
            )
        )
    return out


def backend_choices(snapshot: r.ClusterSnapshot, ing: r.Ingress) -> list[Choice]:
    """One choice per existing backend Service port an Ingress sends to (the port the rule names)."""
    ns = ing.metadata.namespace
    services = {s.metadata.name: s for s in snapshot.services if s.metadata.namespace == ns}
    out: list[Choice] = []
    for _, _, _, backend in ingress_routes(ing):
        svc = services.get(backend.service.name) if backend.service else None
        if svc is None or backend.service is None:
            continue
        port = backend.service.port.number or backend.service.port.name
        choice = Choice(f"service {svc.metadata.name}:{port}", r.ref_of(svc), port)
        if choice not in out:
            out.append(choice)
    return out


def ingress_choices(snapshot: r.ClusterSnapshot, pod: r.Pod) -> list[Choice]:
    """One choice per Ingress rule (host, path) whose backend is a Service in front of the pod."""
    return ingress_choices_for(snapshot, services_in_front(snapshot, pod))


def ingress_choices_for(snapshot: r.ClusterSnapshot, services: list[r.Service]) -> list[Choice]:
    """One choice per Ingress rule whose backend is one of these Services."""
    out = []
    for ing in sorted(ingresses_routing_to(snapshot, services), key=lambda i: i.metadata.name):
        ns = ing.metadata.namespace
        mine = {s.metadata.name: s for s in services if s.metadata.namespace == ns}
        out += rule_choices(snapshot, ing, mine)
    return out


def nothing_in_front(kind: str, pod: r.Pod) -> str:
    """Why a Service or Ingress probe has nothing to test for this pod."""
    labels = ",".join(f"{k}={v}" for k, v in sorted((pod.metadata.labels or {}).items())) or "no labels"
    if kind == "Service":
        return f"no Service selects pod {pod.metadata.name} ({labels})"
    return f"no Ingress routes to a Service in front of pod {pod.metadata.name}"


def ingresses_routing_to(snapshot: r.ClusterSnapshot, services: list[r.Service]) -> list[r.Ingress]:
    """Ingresses with a rule (or default backend) whose backend is one of these Services."""
    names = {(s.metadata.namespace, s.metadata.name) for s in services}
    return [
        ing
        for ing in snapshot.ingresses
        if any(
            b.service is not None and (ing.metadata.namespace, b.service.name) in names
            for _, _, _, b in ingress_routes(ing)
        )
    ]
