"""Services as kube-proxy sees them: selectors, targetPort mapping, endpoints and why there are none."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ktui import resources as r
from ktui.model.pod_rows import is_ready, pod_status


def labels_of(obj: r.Pod | r.Deployment) -> dict[str, str]:
    """The object's labels ({} when it has none)."""
    return obj.metadata.labels or {}


def selector_text(selector: Mapping[str, str]) -> str:
    """``a=b,c=d`` as kubectl prints a selector."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def selects(selector: Mapping[str, str] | None, labels: Mapping[str, str]) -> bool:
    """Whether a Service selector (equality only) matches labels; an empty one matches nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def pod_summary(pod: r.Pod) -> str:
    """``Running 1/1`` as kubectl prints it."""
    line = pod_status(pod)
    return f"{line.status} {line.ready}"


def near_misses(selector: Mapping[str, str], pods: Iterable[r.Pod], limit: int = 3) -> list[str]:
    """Pods that almost match a selector, and how: 'pod running has app=nginx (selector wants app=ngnix)'."""
    scored: list[tuple[int, str, str]] = []
    for pod in pods:
        labels = labels_of(pod)
        same = sum(1 for k, v in selector.items() if labels.get(k) == v)
        diffs = []
        for key, want in sorted(selector.items()):
            have = labels.get(key)
            if have == want:
                continue
            diffs.append(f"{key}={have} (selector wants {key}={want})" if have is not None
                         else f"no label {key} (selector wants {key}={want})")
        shared_keys = sum(1 for k in selector if k in labels)
        # A near miss shares at least one key (the typo is in a value) or all but one pair.
        if shared_keys and diffs:
            scored.append((same * 2 + shared_keys, pod.metadata.name, "; ".join(diffs)))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [f"pod {name} has {diff}" for _, name, diff in scored[:limit]]


def resolve_target_port(sp: r.ServicePort, pod: r.Pod | None) -> tuple[int | None, str]:
    """The pod port a Service port sends to, and why not when it cannot be resolved."""
    target = sp.target_port
    if target is None or target == 0:
        return sp.port, ""
    if isinstance(target, int):
        return target, ""
    if target.isdigit():
        return int(target), ""
    if pod is None:
        return None, f"named targetPort {target} is resolved on each pod"
    for container in pod.spec.containers:
        for cp in container.ports:
            if cp.name == target and cp.protocol == sp.protocol:
                return cp.container_port, ""
    return None, f"pod {pod.metadata.name} declares no {sp.protocol} port named {target}"


def target_port_text(sp: r.ServicePort) -> str:
    """How a Service port names its target: '8080', 'http' or '80 (omitted)'."""
    if sp.target_port is None or sp.target_port == 0:
        return f"{sp.port} (targetPort omitted)"
    return str(sp.target_port)


def service_port_text(svc: r.Service, sp: r.ServicePort) -> str:
    """'web:80/TCP (http)'."""
    name = f" ({sp.name})" if sp.name else ""
    return f"{svc.metadata.name}:{sp.port}/{sp.protocol}{name}"


def find_service_port(svc: r.Service, port: int | str | None) -> r.ServicePort | None:
    """The Service port given by number or name (the only one when none is given)."""
    if port is None:
        return svc.spec.ports[0] if svc.spec.ports else None
    for sp in svc.spec.ports:
        if (isinstance(port, int) and sp.port == port) or (isinstance(port, str) and (
                sp.name == port or (port.isdigit() and sp.port == int(port)))):
            return sp
    return None


def find_object(items: Iterable[r.Pod | r.Service | r.Ingress], ns: str, name: str):  # type: ignore[no-untyped-def]
    """The item named ``ns/name``, or None."""
    return next((o for o in items if o.metadata.namespace == ns and o.metadata.name == name), None)


def pod_by_ref(snapshot: r.ClusterSnapshot, ns: str, ref: r.ObjectReference | None) -> r.Pod | None:
    """The Pod an endpoint's targetRef points at, if it is in the snapshot."""
    if ref is None or ref.kind != "Pod":
        return None
    pod = find_object(snapshot.pods, ref.namespace or ns, ref.name)
    return pod if isinstance(pod, r.Pod) else None


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """One endpoint address of a Service, from an EndpointSlice or core/v1 Endpoints."""

    address: str
    ready: bool
    terminating: bool
    pod_ref: r.ObjectReference | None
    ports: Mapping[str, int] = field(default_factory=dict)


def service_endpoints(snapshot: r.ClusterSnapshot, svc: r.Service) -> list[EndpointInfo] | None:
    """The Service's endpoints (None when neither slices nor Endpoints are known for it)."""
    ns, name = svc.metadata.namespace, svc.metadata.name
    slices = [s for s in snapshot.endpoint_slices
              if s.metadata.namespace == ns and s.service_name == name]
    out: list[EndpointInfo] = []
    if slices:
        for sl in slices:
            ports = {p.name or "": p.port for p in sl.ports or () if p.port is not None}
            for ep in sl.endpoints or ():
                cond = ep.conditions
                for address in ep.addresses[:1]:
                    # ready=None means unknown and consumers treat it as ready (discovery/v1 docs).
                    out.append(EndpointInfo(address, cond.ready is not False, bool(cond.terminating),
                                            ep.target_ref, ports))
        return out
    legacy = next((e for e in snapshot.endpoints
                   if e.metadata.namespace == ns and e.metadata.name == name), None)
    if legacy is None:
        return None
    for subset in legacy.subsets:
        ports = {p.name or "": p.port for p in subset.ports if p.port is not None}
        out += [EndpointInfo(a.ip, True, False, a.target_ref, ports) for a in subset.addresses]
        out += [EndpointInfo(a.ip, False, False, a.target_ref, ports) for a in subset.not_ready_addresses]
    return out


def endpoints_known(snapshot: r.ClusterSnapshot) -> tuple[bool, str]:
    """Whether endpoint data can be trusted, and why not (RBAC refused it, not loaded yet)."""
    for key in ("list endpointslices", "watch endpointslices"):
        if key in snapshot.forbidden:
            return False, f"cannot verify (forbidden: {key}: {snapshot.forbidden[key]})"
    if snapshot.synced and "EndpointSlice" not in snapshot.synced and not snapshot.endpoints:
        return False, "EndpointSlices not loaded yet"
    return True, ""


def no_endpoints_reason(snapshot: r.ClusterSnapshot, svc: r.Service) -> tuple[str, list[str]]:
    """Why a Service has no ready endpoint, and the near-miss pods when its selector matches none."""
    ns, selector = svc.metadata.namespace, svc.spec.selector
    if not selector:
        return "no selector and no endpoints: its endpoints must be created by hand", []
    pods = [p for p in snapshot.pods if p.metadata.namespace == ns]
    matched = [p for p in pods if selects(selector, labels_of(p))]
    if not matched:
        misses = near_misses(selector, pods)
        reason = f"selector {selector_text(selector)} matches no pod in {ns}"
        return (reason + "; near miss: " + "; ".join(misses) if misses else reason), misses
    if not any(is_ready(p) for p in matched):
        shown = ", ".join(f"{p.metadata.name} {pod_summary(p)}" for p in matched[:3])
        return f"{len(matched)} pod(s) match {selector_text(selector)}, none ready: {shown}", []
    return "ready pods match but no endpoints are published yet", []


def declared_ports(pod: r.Pod) -> list[tuple[str, r.ContainerPort]]:
    """(container name, port) of every port the pod's containers declare."""
    return [(c.name, cp) for c in pod.spec.containers for cp in c.ports]
