"""The connection path traffic takes: Ingress controller -> rule -> Service port -> endpoints -> Pod port.

Pure: a ClusterSnapshot and a selected Pod, Service or Ingress in, a tree of hops out. Each hop is
ok, broken (with the reason on that hop) or unknown (not enough data to say, e.g. RBAC refused the
read or the controller's namespace is not in view). Ports are mapped as kube-proxy does: the Service
port's ``targetPort`` is a number, a container port *name* resolved on each endpoint's pod, or
omitted (= the Service port); EndpointSlice ports, when present, are the authority.
The hop kinds double as ``ProbeResult.hop`` values so probe results can be placed on their hop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ktui import resources as r
from ktui.model.tables import pod_status

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


# --------------------------------------------------------------------------- helpers


def _labels(obj: r.Pod | r.Deployment) -> dict[str, str]:
    return obj.metadata.labels or {}


def selector_text(selector: Mapping[str, str]) -> str:
    """``a=b,c=d`` as kubectl prints a selector."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def selects(selector: Mapping[str, str] | None, labels: Mapping[str, str]) -> bool:
    """Whether a Service selector (equality only) matches labels; an empty one matches nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def is_ready(pod: r.Pod) -> bool:
    """The pod's Ready condition is True."""
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def pod_summary(pod: r.Pod) -> str:
    """``Running 1/1`` as kubectl prints it."""
    line = pod_status(pod)
    return f"{line.status} {line.ready}"


def near_misses(selector: Mapping[str, str], pods: Iterable[r.Pod], limit: int = 3) -> list[str]:
    """Pods that almost match a selector, and how: 'pod running has app=nginx (selector wants app=ngnix)'."""
    scored: list[tuple[int, str, str]] = []
    for pod in pods:
        labels = _labels(pod)
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


def _find(items: Iterable[r.Pod | r.Service | r.Ingress], ns: str, name: str):  # type: ignore[no-untyped-def]
    return next((o for o in items if o.metadata.namespace == ns and o.metadata.name == name), None)


def _pod_by_ref(snapshot: r.ClusterSnapshot, ns: str, ref: r.ObjectReference | None) -> r.Pod | None:
    if ref is None or ref.kind != "Pod":
        return None
    pod = _find(snapshot.pods, ref.namespace or ns, ref.name)
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


def _endpoints_known(snapshot: r.ClusterSnapshot) -> tuple[bool, str]:
    for key in ("list endpointslices", "watch endpointslices"):
        if key in snapshot.forbidden:
            return False, f"cannot verify (forbidden: {key}: {snapshot.forbidden[key]})"
    if snapshot.synced and "EndpointSlice" not in snapshot.synced and not snapshot.endpoints:
        return False, "EndpointSlices not loaded yet"
    return True, ""


# --------------------------------------------------------------------------- services


def no_endpoints_reason(snapshot: r.ClusterSnapshot, svc: r.Service) -> tuple[str, list[str]]:
    """Why a Service has no ready endpoint, and the near-miss pods when its selector matches none."""
    ns, selector = svc.metadata.namespace, svc.spec.selector
    if not selector:
        return "no selector and no endpoints: its endpoints must be created by hand", []
    pods = [p for p in snapshot.pods if p.metadata.namespace == ns]
    matched = [p for p in pods if selects(selector, _labels(p))]
    if not matched:
        misses = near_misses(selector, pods)
        reason = f"selector {selector_text(selector)} matches no pod in {ns}"
        return (reason + "; near miss: " + "; ".join(misses) if misses else reason), misses
    if not any(is_ready(p) for p in matched):
        shown = ", ".join(f"{p.metadata.name} {pod_summary(p)}" for p in matched[:3])
        return f"{len(matched)} pod(s) match {selector_text(selector)}, none ready: {shown}", []
    return "ready pods match but no endpoints are published yet", []


def _declared(pod: r.Pod) -> list[tuple[str, r.ContainerPort]]:
    return [(c.name, cp) for c in pod.spec.containers for cp in c.ports]


def container_port_hop(pod: r.Pod, port: int | None, why: str = "") -> Hop:
    """The pod port traffic lands on: declared by a container (ok) or not (unknown until probed)."""
    ref = r.ref_of(pod)
    if port is None:
        return Hop(CONTAINER_PORT, "containerPort ?", HopState.BROKEN, why, ref)
    declared = _declared(pod)
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
    pod = _pod_by_ref(snapshot, ns, ep.pod_ref)
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
    known, why = _endpoints_known(snapshot)
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
            pod = _find(snapshot.pods, svc.metadata.namespace, only_pod)
            status = pod_summary(pod) if isinstance(pod, r.Pod) else "not found"
            children = (Hop(ENDPOINT, f"pod {only_pod} not among the endpoints", HopState.BROKEN,
                            f"the Service does not send to it ({status})"),)
        ready = sum(1 for e in eps if e.ready and not e.terminating)
        ep_hop = Hop(ENDPOINTS, f"endpoints: {ready} ready of {len(eps)}", HopState.OK, "", ref, None,
                     children)
    return Hop(SERVICE_PORT, label, HopState.OK, "", ref, sp.port, (ep_hop,))


# --------------------------------------------------------------------------- ingresses


def ingress_class_of(snapshot: r.ClusterSnapshot, ing: r.Ingress) -> tuple[str, r.IngressClass | None]:
    """The Ingress's class name (spec, legacy annotation or the default class) and the class itself."""
    name = ing.spec.ingress_class_name or (ing.metadata.annotations or {}).get(LEGACY_CLASS_ANNOTATION, "")
    if name:
        return name, next((c for c in snapshot.ingress_classes if c.metadata.name == name), None)
    default = next((c for c in snapshot.ingress_classes
                    if (c.metadata.annotations or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"), None)
    return (default.metadata.name if default else ""), default


def controller_pods(snapshot: r.ClusterSnapshot, controller: str = NGINX_CONTROLLER) -> list[r.Pod]:
    """The ingress controller's pods in the snapshot (ingress-nginx: by its standard labels)."""
    if "ingress-nginx" not in controller:
        return []
    key, value = NGINX_LABEL
    pods = [p for p in snapshot.pods if _labels(p).get(key) == value]
    component = [p for p in pods if _labels(p).get("app.kubernetes.io/component") == "controller"]
    return sorted(component or pods, key=lambda p: (not is_ready(p), p.metadata.name))


def controller_hop(snapshot: r.ClusterSnapshot, ing: r.Ingress, children: tuple[Hop, ...] = ()) -> Hop:
    """The head of an Ingress path: its class, its controller and whether the controller runs."""
    class_name, klass = ingress_class_of(snapshot, ing)
    if klass is None:
        if class_name and snapshot.ingress_classes:
            return Hop(CONTROLLER, f"IngressClass {class_name}", HopState.BROKEN,
                       f"IngressClass {class_name} does not exist: no controller serves this Ingress",
                       None, None, children)
        if not class_name and snapshot.ingress_classes:
            return Hop(CONTROLLER, "IngressClass (none)", HopState.BROKEN,
                       "no ingressClassName and no default IngressClass", None, None, children)
    controller = klass.spec.controller if klass else NGINX_CONTROLLER
    label = f"ingress controller {controller}" + (f" (class {class_name})" if class_name else "")
    if "ingress-nginx" not in controller:
        return Hop(CONTROLLER, label, HopState.UNKNOWN,
                   f"ktui locates ingress-nginx pods only, not {controller}'s", None, None, children)
    pods = controller_pods(snapshot, controller)
    if pods:
        ready = [p for p in pods if is_ready(p)]
        shown = ", ".join(f"{p.metadata.name} {pod_summary(p)}" for p in pods[:3])
        state = HopState.OK if ready else HopState.BROKEN
        reason = "" if ready else f"controller not running: no pod ready ({shown})"
        return Hop(CONTROLLER, f"{label}: {shown}", state, reason, r.ref_of(pods[0]), None, children)
    key, value = NGINX_LABEL
    deploys = [d for d in snapshot.deployments
               if _labels(d).get(key) == value or d.metadata.name.startswith("ingress-nginx-controller")]
    if deploys:
        d = deploys[0]
        where = f"Deployment {d.metadata.namespace}/{d.metadata.name}"
        reason = (f"controller not running: {where} is scaled to 0 replicas" if d.spec.replicas == 0
                  else f"controller not running: {where} has no pods ({d.status.ready_replicas or 0}/"
                       f"{d.spec.replicas if d.spec.replicas is not None else 1} ready)")
        return Hop(CONTROLLER, label, HopState.BROKEN, reason, r.ref_of(d), None, children)
    in_view = {p.metadata.namespace for p in snapshot.pods}
    if len(in_view) > 1 or "ingress-nginx" in in_view:
        return Hop(CONTROLLER, label, HopState.BROKEN,
                   "controller not running: no ingress-nginx controller pod in the cluster",
                   None, None, children)
    return Hop(CONTROLLER, label, HopState.UNKNOWN,
               "controller pods not in view (their namespace is not loaded)", None, None, children)


def _backend_hop(snapshot: r.ClusterSnapshot, ns: str, backend: r.IngressBackend,
                 only_pod: str | None) -> Hop:
    if backend.service is None:
        res = backend.resource or {}
        return Hop(BACKEND, f"resource backend {res.get('kind', '?')}/{res.get('name', '?')}",
                   HopState.UNKNOWN, "resource backends are not followed")
    name = backend.service.name
    port: int | str | None = backend.service.port.number or backend.service.port.name
    label = f"backend {name}:{port}"
    svc = _find(snapshot.services, ns, name)
    if not isinstance(svc, r.Service):
        return Hop(BACKEND, label, HopState.BROKEN,
                   f'backend service "{name}" does not exist (endpoints "{name}" not found)',
                   r.Ref(kind="Service", namespace=ns, name=name), port)
    sp = find_service_port(svc, port) if port is not None else None
    if sp is None:
        ports = ", ".join(service_port_text(svc, p) for p in svc.spec.ports) or "none"
        return Hop(BACKEND, label, HopState.BROKEN, f"service {name} has no port {port} (ports: {ports})",
                   r.ref_of(svc), port)
    return Hop(BACKEND, label, HopState.OK, "", r.ref_of(svc), port,
               (service_port_hop(snapshot, svc, sp, only_pod),))


def ingress_routes(ing: r.Ingress) -> list[tuple[str, str, str, r.IngressBackend]]:
    """(host, path, pathType, backend) for every rule path, then the default backend ('', '', '')."""
    routes = [(rule.host or "", p.path or "/", p.path_type, p.backend)
              for rule in ing.spec.rules for p in (rule.http.paths if rule.http else ())]
    if ing.spec.default_backend is not None:
        routes.append(("", "", "", ing.spec.default_backend))
    return routes


def ingress_hop(snapshot: r.ClusterSnapshot, ing: r.Ingress, *, only_service: str | None = None,
                only_pod: str | None = None) -> Hop:
    """Controller -> every rule (host, path) -> backend -> Service port -> ... for one Ingress."""
    ns = ing.metadata.namespace
    rules = []
    for host, path, path_type, backend in ingress_routes(ing):
        if only_service is not None and (backend.service is None or backend.service.name != only_service):
            continue
        text = f"{host or '*'}{path} ({path_type})" if path else "default backend"
        rules.append(Hop(INGRESS_RULE, f"ingress {ing.metadata.name}: {text}", HopState.OK, "",
                         r.ref_of(ing), None, (_backend_hop(snapshot, ns, backend, only_pod),)))
    if not rules:
        rules.append(Hop(INGRESS_RULE, f"ingress {ing.metadata.name}: no rules", HopState.BROKEN,
                         "no rule and no default backend", r.ref_of(ing)))
    return controller_hop(snapshot, ing, tuple(rules))


def _backend_services(ing: r.Ingress) -> dict[str, set[int | str | None]]:
    out: dict[str, set[int | str | None]] = {}
    for _, _, _, backend in ingress_routes(ing):
        if backend.service is not None:
            port = backend.service.port.number or backend.service.port.name
            out.setdefault(backend.service.name, set()).add(port)
    return out


# --------------------------------------------------------------------------- entry points


def _service_path(snapshot: r.ClusterSnapshot, svc: r.Service, only_pod: str | None = None) -> list[Hop]:
    ns, name = svc.metadata.namespace, svc.metadata.name
    roots: list[Hop] = []
    used: set[int] = set()
    for ing in snapshot.ingresses:
        if ing.metadata.namespace == ns and name in (ports := _backend_services(ing)):
            roots.append(ingress_hop(snapshot, ing, only_service=name, only_pod=only_pod))
            used |= {sp.port for p in ports[name] if (sp := find_service_port(svc, p)) is not None}
    roots += [service_port_hop(snapshot, svc, sp, only_pod) for sp in svc.spec.ports if sp.port not in used]
    return roots


def path_for(snapshot: r.ClusterSnapshot, ref: r.Ref) -> ConnectionPath:
    """The connection path(s) of a Pod, Service or Ingress."""
    if ref.kind == "Ingress":
        ing = _find(snapshot.ingresses, ref.namespace, ref.name)
        if not isinstance(ing, r.Ingress):
            return ConnectionPath(ref, (), f"ingress {ref.namespace}/{ref.name} not found")
        return ConnectionPath(ref, (ingress_hop(snapshot, ing),))
    if ref.kind == "Service":
        svc = _find(snapshot.services, ref.namespace, ref.name)
        if not isinstance(svc, r.Service):
            return ConnectionPath(ref, (), f"service {ref.namespace}/{ref.name} not found")
        roots = _service_path(snapshot, svc)
        return ConnectionPath(ref, tuple(roots), "" if roots else "the service has no ports")
    if ref.kind == "Pod":
        pod = _find(snapshot.pods, ref.namespace, ref.name)
        if not isinstance(pod, r.Pod):
            return ConnectionPath(ref, (), f"pod {ref.namespace}/{ref.name} not found")
        services = [s for s in snapshot.services if s.metadata.namespace == ref.namespace
                    and selects(s.spec.selector, _labels(pod))]
        roots = [hop for svc in services for hop in _service_path(snapshot, svc, only_pod=ref.name)]
        if roots:
            return ConnectionPath(ref, tuple(roots))
        ports = tuple(container_port_hop(pod, cp.container_port) for _, cp in _declared(pod))
        ready, summary = is_ready(pod), pod_summary(pod)
        head = Hop(POD, f"pod {pod.metadata.name} {pod.status.pod_ip or '(no IP)'} {summary}",
                   HopState.OK if ready else HopState.BROKEN, "" if ready else f"not ready ({summary})",
                   r.ref_of(pod), None, ports)
        return ConnectionPath(ref, (head,), "no Service selects this pod")
    return ConnectionPath(ref, (), f"{ref.kind} has no connection path")
