"""The Service part of a connection path: Service port -> endpoints -> pods -> container ports."""

from __future__ import annotations

from ktui import resources as r
from ktui.model.hops import CONTAINER_PORT, ENDPOINT, ENDPOINTS, POD, SERVICE_PORT, Hop, HopState
from ktui.model.service_ports import (
    EndpointInfo,
    declared_ports,
    endpoints_known,
    find_object,
    is_ready,
    no_endpoints_reason,
    pod_by_ref,
    pod_summary,
    resolve_target_port,
    service_endpoints,
    service_port_text,
    target_port_text,
)


def container_port_hop(pod: r.Pod, port: int | None, why: str = "") -> Hop:
    """The pod port traffic lands on: declared by a container (ok) or not (unknown until probed)."""
    ref = r.ref_of(pod)
    if port is None:
        return Hop(CONTAINER_PORT, "containerPort ?", HopState.BROKEN, why, ref)
    declared = declared_ports(pod)
    for cname, cp in declared:
        if cp.container_port == port:
            name = f" ({cp.name})" if cp.name else ""
            return Hop(CONTAINER_PORT, f"containerPort {port}{name} of container {cname}",
                       HopState.OK, "", ref, port)
    listed = ", ".join(f"{cp.container_port}{'/' + cp.name if cp.name else ''}" for _, cp in declared)
    reason = (f"no container declares port {port} (declared: {listed or 'none'}); "
              "a probe tells whether anything listens")
    return Hop(CONTAINER_PORT, f"containerPort {port}", HopState.UNKNOWN, reason, ref, port)


def _pod_hop(pod: r.Pod | None, ep: EndpointInfo, sp: r.ServicePort) -> Hop:
    if pod is None:
        name = ep.pod_ref.name if ep.pod_ref else ep.address
        return Hop(POD, f"pod {name} {ep.address}", HopState.UNKNOWN, "pod not in view")
    port = ep.ports.get(sp.name or "")
    why = ""
    if port is None:
        port, why = resolve_target_port(sp, pod)
    ready = is_ready(pod)
    return Hop(POD, f"pod {pod.metadata.name} {pod.status.pod_ip or ep.address} {pod_summary(pod)}",
               HopState.OK if ready else HopState.BROKEN, "" if ready else f"not ready ({pod_summary(pod)})",
               r.ref_of(pod), port, (container_port_hop(pod, port, why),))


def _endpoint_hop(snapshot: r.ClusterSnapshot, svc: r.Service, sp: r.ServicePort, ep: EndpointInfo) -> Hop:
    ns = svc.metadata.namespace
    pod = pod_by_ref(snapshot, ns, ep.pod_ref)
    port = ep.ports.get(sp.name or "")
    state_text = "terminating" if ep.terminating else ("ready" if ep.ready else "not ready")
    label = f"endpoint {ep.address}:{port if port is not None else '?'} {state_text}"
    if ep.ready and not ep.terminating:
        state, reason = HopState.OK, ""
    elif ep.terminating:
        state, reason = HopState.BROKEN, "terminating: kube-proxy sends it no new connections"
    else:
        state = HopState.BROKEN
        reason = "not ready: kube-proxy sends it no traffic" + (f" ({pod_summary(pod)})" if pod else "")
    return Hop(ENDPOINT, label, state, reason, r.ref_of(pod) if pod else None, port,
               (_pod_hop(pod, ep, sp),))


def service_port_hop(snapshot: r.ClusterSnapshot, svc: r.Service, sp: r.ServicePort,
                     only_pod: str | None = None) -> Hop:
    """Service port -> targetPort -> endpoints -> pods -> containerPorts."""
    ref = r.ref_of(svc)
    label = f"service {service_port_text(svc, sp)} -> targetPort {target_port_text(sp)}"
    if svc.spec.type == "ExternalName":
        return Hop(SERVICE_PORT, label, HopState.UNKNOWN,
                   f"ExternalName service: DNS alias of {svc.spec.external_name}", ref, sp.port)
    eps = service_endpoints(snapshot, svc)
    known, why = endpoints_known(snapshot)
    if eps is None and not known:
        ep_hop = Hop(ENDPOINTS, "endpoints ?", HopState.UNKNOWN, why, ref)
    elif not eps or not any(e.ready and not e.terminating for e in eps):
        reason, _ = no_endpoints_reason(snapshot, svc)
        children = tuple(_endpoint_hop(snapshot, svc, sp, e) for e in eps or ())
        ep_hop = Hop(ENDPOINTS, f"endpoints: {len(eps or ())}, none ready", HopState.BROKEN, reason,
                     ref, None, children)
    else:
        picked = [e for e in eps if only_pod is None or (e.pod_ref and e.pod_ref.name == only_pod)]
        children = tuple(_endpoint_hop(snapshot, svc, sp, e) for e in picked)
        if only_pod is not None and not picked:
            pod = find_object(snapshot.pods, svc.metadata.namespace, only_pod)
            status = pod_summary(pod) if isinstance(pod, r.Pod) else "not found"
            children = (Hop(ENDPOINT, f"pod {only_pod} not among the endpoints", HopState.BROKEN,
                            f"the Service does not send to it ({status})"),)
        ready = sum(1 for e in eps if e.ready and not e.terminating)
        ep_hop = Hop(ENDPOINTS, f"endpoints: {ready} ready of {len(eps)}", HopState.OK, "", ref, None,
                     children)
    return Hop(SERVICE_PORT, label, HopState.OK, "", ref, sp.port, (ep_hop,))
