"""The Ingress part of a connection path: class and controller -> rules -> backends -> Service ports."""

from __future__ import annotations

from ktui import resources as r
from ktui.model.hops import BACKEND, CONTROLLER, INGRESS_RULE, Hop, HopState
from ktui.model.service_path import service_port_hop
from ktui.model.service_ports import (
    find_object,
    find_service_port,
    is_ready,
    labels_of,
    pod_summary,
    service_port_text,
)

NGINX_CONTROLLER = "k8s.io/ingress-nginx"
NGINX_LABEL = ("app.kubernetes.io/name", "ingress-nginx")
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


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
    pods = [p for p in snapshot.pods if labels_of(p).get(key) == value]
    component = [p for p in pods if labels_of(p).get("app.kubernetes.io/component") == "controller"]
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
               if labels_of(d).get(key) == value or d.metadata.name.startswith("ingress-nginx-controller")]
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
    svc = find_object(snapshot.services, ns, name)
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


def backend_services(ing: r.Ingress) -> dict[str, set[int | str | None]]:
    """The Services the Ingress sends to, with the ports it names on each."""
    out: dict[str, set[int | str | None]] = {}
    for _, _, _, backend in ingress_routes(ing):
        if backend.service is not None:
            port = backend.service.port.number or backend.service.port.name
            out.setdefault(backend.service.name, set()).add(port)
    return out
