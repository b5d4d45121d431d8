"""The connection path traffic takes: Ingress controller -> rule -> Service port -> endpoints -> Pod port.

Pure: a ClusterSnapshot and a selected Pod, Service or Ingress in, a tree of hops out. Each hop is
ok, broken (with the reason on that hop) or unknown (not enough data to say, e.g. RBAC refused the
read or the controller's namespace is not in view). Ports are mapped as kube-proxy does: the Service
port's ``targetPort`` is a number, a container port *name* resolved on each endpoint's pod, or
omitted (= the Service port); EndpointSlice ports, when present, are the authority.
The hop kinds double as ``ProbeResult.hop`` values so probe results can be placed on their hop.
Hops live in ``hops``, Service resolution in ``service_ports`` and ``service_path``, Ingresses in
``ingress_path``; this module picks the path of a Pod, Service or Ingress and keeps the old names.
"""

from __future__ import annotations

from ktui import resources as r
from ktui.model.hops import (
    BACKEND,
    CONTAINER_PORT,
    CONTROLLER,
    ENDPOINT,
    ENDPOINTS,
    HOP_KINDS,
    INGRESS_RULE,
    POD,
    SERVICE_PORT,
    ConnectionPath,
    Hop,
    HopState,
)
from ktui.model.ingress_path import (
    DEFAULT_CLASS_ANNOTATION,
    LEGACY_CLASS_ANNOTATION,
    NGINX_CONTROLLER,
    NGINX_LABEL,
    backend_services,
    controller_hop,
    controller_pods,
    ingress_class_of,
    ingress_hop,
    ingress_routes,
)
from ktui.model.service_path import container_port_hop, service_port_hop
from ktui.model.service_ports import (
    EndpointInfo,
    declared_ports,
    find_object,
    find_service_port,
    is_ready,
    labels_of,
    near_misses,
    no_endpoints_reason,
    pod_summary,
    resolve_target_port,
    selector_text,
    selects,
    service_endpoints,
    service_port_text,
    target_port_text,
)

__all__ = [  # the names callers import from here
    "BACKEND",
    "CONTAINER_PORT",
    "CONTROLLER",
    "DEFAULT_CLASS_ANNOTATION",
    "ENDPOINT",
    "ENDPOINTS",
    "HOP_KINDS",
    "INGRESS_RULE",
    "LEGACY_CLASS_ANNOTATION",
    "NGINX_CONTROLLER",
    "NGINX_LABEL",
    "POD",
    "SERVICE_PORT",
    "ConnectionPath",
    "EndpointInfo",
    "Hop",
    "HopState",
    "container_port_hop",
    "controller_hop",
    "controller_pods",
    "find_service_port",
    "ingress_class_of",
    "ingress_hop",
    "ingress_routes",
    "is_ready",
    "near_misses",
    "no_endpoints_reason",
    "path_for",
    "pod_summary",
    "resolve_target_port",
    "selector_text",
    "selects",
    "service_endpoints",
    "service_port_hop",
    "service_port_text",
    "target_port_text",
]


def _service_path(snapshot: r.ClusterSnapshot, svc: r.Service, only_pod: str | None = None) -> list[Hop]:
    ns, name = svc.metadata.namespace, svc.metadata.name
    roots: list[Hop] = []
    used: set[int] = set()
    for ing in snapshot.ingresses:
        if ing.metadata.namespace == ns and name in (ports := backend_services(ing)):
            roots.append(ingress_hop(snapshot, ing, only_service=name, only_pod=only_pod))
            used |= {sp.port for p in ports[name] if (sp := find_service_port(svc, p)) is not None}
    roots += [service_port_hop(snapshot, svc, sp, only_pod) for sp in svc.spec.ports if sp.port not in used]
    return roots


def path_for(snapshot: r.ClusterSnapshot, ref: r.Ref) -> ConnectionPath:
    """The connection path(s) of a Pod, Service or Ingress."""
    if ref.kind == "Ingress":
        ing = find_object(snapshot.ingresses, ref.namespace, ref.name)
        if not isinstance(ing, r.Ingress):
            return ConnectionPath(ref, (), f"ingress {ref.namespace}/{ref.name} not found")
        return ConnectionPath(ref, (ingress_hop(snapshot, ing),))
    if ref.kind == "Service":
        svc = find_object(snapshot.services, ref.namespace, ref.name)
        if not isinstance(svc, r.Service):
            return ConnectionPath(ref, (), f"service {ref.namespace}/{ref.name} not found")
        roots = _service_path(snapshot, svc)
        return ConnectionPath(ref, tuple(roots), "" if roots else "the service has no ports")
    if ref.kind == "Pod":
        pod = find_object(snapshot.pods, ref.namespace, ref.name)
        if not isinstance(pod, r.Pod):
            return ConnectionPath(ref, (), f"pod {ref.namespace}/{ref.name} not found")
        services = [s for s in snapshot.services if s.metadata.namespace == ref.namespace
                    and selects(s.spec.selector, labels_of(pod))]
        roots = [hop for svc in services for hop in _service_path(snapshot, svc, only_pod=ref.name)]
        if roots:
            return ConnectionPath(ref, tuple(roots))
        ports = tuple(container_port_hop(pod, cp.container_port) for _, cp in declared_ports(pod))
        ready, summary = is_ready(pod), pod_summary(pod)
        head = Hop(POD, f"pod {pod.metadata.name} {pod.status.pod_ip or '(no IP)'} {summary}",
                   HopState.OK if ready else HopState.BROKEN, "" if ready else f"not ready ({summary})",
                   r.ref_of(pod), None, ports)
        return ConnectionPath(ref, (head,), "no Service selects this pod")
    return ConnectionPath(ref, (), f"{ref.kind} has no connection path")
