"""Ingresses: class and controller, TLS Secrets, and each backend down to its Service's own fault."""

from __future__ import annotations

from collections.abc import Callable

from ktui.diagnosis.catalog import BACKEND_CAUSE, render
from ktui.diagnosis.findings import Finding
from ktui.diagnosis.index import Index
from ktui.diagnosis.labels import format_selector
from ktui.diagnosis.rules.base import Hit
from ktui.diagnosis.rules.pods import is_ready
from ktui.diagnosis.rules.services import available, workload_state
from ktui.diagnosis.shell import DESCRIBE_SUBJECT, describe, q
from ktui.resources import Ingress, IngressBackend, Pod, Service

ServiceRoot = Callable[[Service], tuple[Finding, ...]]
PodRoot = Callable[[Pod], Finding | None]

CONTROLLER_PODS: dict[str, dict[str, str]] = {
    "k8s.io/ingress-nginx": {"app.kubernetes.io/name": "ingress-nginx"},
    "nginx.org/ingress-controller": {"app.kubernetes.io/name": "nginx-ingress"},
    "traefik.io/ingress-controller": {"app.kubernetes.io/name": "traefik"},
    "projectcontour.io/ingress-controller": {"app.kubernetes.io/name": "contour"},
    "ingress-controllers.konghq.com/kong": {"app.kubernetes.io/name": "kong"},
    "haproxy.org/ingress-controller/haproxy": {"app.kubernetes.io/name": "kubernetes-ingress"},
    "ingress.k8s.aws/alb": {"app.kubernetes.io/name": "aws-load-balancer-controller"},
}
"""The pod labels of well-known controllers (by IngressClass spec.controller)."""
_DEFAULT = "ingressclass.kubernetes.io/is-default-class"


def _class_name(ing: Ingress) -> str | None:
    return ing.spec.ingress_class_name or (ing.metadata.annotations or {}).get("kubernetes.io/ingress.class")


def _backends(ing: Ingress) -> list[tuple[str, IngressBackend]]:
    out: list[tuple[str, IngressBackend]] = []
    if ing.spec.default_backend is not None:
        out.append(("default backend", ing.spec.default_backend))
    for rule in ing.spec.rules:
        for path in rule.http.paths if rule.http else ():
            out.append((f"{rule.host or '*'}{path.path or '/'}", path.backend))
    return out


def class_hits(ix: Index, ing: Ingress, pod_root: PodRoot) -> tuple[list[Hit], list[Hit]]:
    """(problems with the IngressClass, problems with its controller)."""
    name = _class_name(ing)
    if not ix.known("IngressClass"):
        if ix.forbidden("IngressClass"):
            return [
                Hit(
                    "cannot_verify",
                    {
                        "what": f"IngressClass {name or '(default)'}",
                        "why": ix.forbidden("IngressClass"),
                        "verb": "list",
                        "resource": "ingressclasses",
                    },
                )
            ], []
        return [], []
    if name is None:
        defaults = [
            c for c in ix.ingress_classes.values() if (c.metadata.annotations or {}).get(_DEFAULT) == "true"
        ]
        if not defaults:
            known = ", ".join(sorted(ix.ingress_classes)) or "none exist"
            return [
                Hit(
                    "ingress_class_missing",
                    {
                        "why": f"no ingressClassName and no default IngressClass "
                        f"(classes: {known}): no controller will serve it"
                    },
                    [],
                    ["kubectl get ingressclass"],
                )
            ], []
        cls = defaults[0]
    else:
        cls = ix.ingress_classes.get(name)  # type: ignore[assignment]
        if cls is None:
            known = ", ".join(sorted(ix.ingress_classes)) or "none exist"
            return [
                Hit(
                    "ingress_class_missing",
                    {"why": f"IngressClass {name} does not exist (classes: {known})"},
                    [],
                    ["kubectl get ingressclass"],
                )
            ], []
    return [], controller_hits(ix, cls.metadata.name, cls.spec.controller, pod_root)


def controller_hits(ix: Index, cls: str, controller: str, pod_root: PodRoot) -> list[Hit]:
    """Whether any pod of the class's controller is running and ready."""
    labels = CONTROLLER_PODS.get(controller)
    if labels is None:
        return []
    selector = format_selector(labels)
    known = ix.known("Pod")  # a partial pod list (still streaming in) tells nothing yet
    pods = [p for ns in sorted(ix.pod_namespaces) for p in ix.selected_pods(ns, labels)] if known else []
    if any(is_ready(p) and p.metadata.deletion_timestamp is None for p in pods):
        return []
    cmds = [f"kubectl get pods -A -l {q(selector)}"]
    if not pods:
        idle = [w for w in ix.workloads_matching(None, labels) if available(w) == 0]
        if idle:
            w = idle[0]
            why = f"{w.kind} {w.metadata.namespace}/{w.metadata.name} {workload_state(w)}"
            return [
                Hit(
                    "ingress_controller_not_running",
                    {"ingress_class": cls, "selector": selector, "why": why},
                    [],
                    [*cmds, f"kubectl get {w.kind.lower()} -n {q(w.metadata.namespace)}"],
                )
            ]
        if not known or not ix.multi_namespace_view():
            return []  # pods unread, or a one-namespace view that cannot see the controller's: no verdict
        return [
            Hit(
                "ingress_controller_not_running",
                {
                    "ingress_class": cls,
                    "selector": selector,
                    "why": f"no pod with {selector} in any namespace ({controller})",
                },
                [],
                cmds,
            )
        ]
    pod = pods[0]
    f = pod_root(pod)
    state = f.summary if f is not None and f.is_problem else "not ready"
    return [
        Hit(
            "ingress_controller_not_running",
            {
                "ingress_class": cls,
                "selector": selector,
                "why": f"pod {pod.metadata.namespace}/{pod.metadata.name}: {state}",
            },
            list(f.evidence[:3]) if f else [],
            cmds,
        )
    ]


def ingress_hits(ix: Index, ing: Ingress, service_root: ServiceRoot, pod_root: PodRoot) -> list[Hit]:
    """An Ingress's findings: its own spec first (class, backends, TLS), then its controller, then the
    deeper causes of its backends (a Service's or pod's fault)."""
    ns = ing.metadata.namespace
    cmds = [DESCRIBE_SUBJECT]
    hits, controller = class_hits(ix, ing, pod_root)
    rolled: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for rule, backend in _backends(ing):
        svc_ref = backend.service
        if svc_ref is None:
            continue
        port = svc_ref.port.number if svc_ref.port.number is not None else svc_ref.port.name
        if (svc_ref.name, str(port)) in seen:
            continue
        seen.add((svc_ref.name, str(port)))
        if not ix.known("Service"):
            if ix.forbidden("Service"):
                hits.append(
                    Hit(
                        "cannot_verify",
                        {
                            "what": f"backend Service {svc_ref.name}",
                            "why": ix.forbidden("Service"),
                            "verb": "list",
                            "resource": "services",
                        },
                    )
                )
            continue
        svc = ix.services.get((ns, svc_ref.name))
        if svc is None:
            hits.append(
                Hit(
                    "ingress_backend_service_missing",
                    {"service": svc_ref.name, "rule": rule},
                    [f'backend {svc_ref.name}:{port} (<error: endpoints "{svc_ref.name}" not found>)'],
                    [f"kubectl get services -n {q(ns)}"],
                )
            )
            continue
        names = {p.name for p in svc.spec.ports if p.name}
        numbers = {p.port for p in svc.spec.ports}
        if (isinstance(port, int) and port not in numbers) or (isinstance(port, str) and port not in names):
            have = (
                ", ".join(f"{p.port}" + (f" ({p.name})" if p.name else "") for p in svc.spec.ports)
                or "no ports"
            )
            hits.append(
                Hit(
                    "ingress_backend_port_missing",
                    {"service": svc_ref.name, "port": port, "ports": have},
                    [f"rule {rule} -> {svc_ref.name}:{port}"],
                    [describe("service", ns, svc_ref.name)],
                )
            )
            continue
        found = service_root(svc)
        root = found[0] if found else None
        if root is None or not root.is_problem:
            continue
        if root.category in ("service_selector_mismatch", "service_no_ready_endpoints"):
            hits.append(
                Hit(
                    "ingress_backend_no_endpoints",
                    {"service": svc_ref.name, "why": f"Service {svc_ref.name}: {root.summary}"},
                    [f"rule {rule} -> {svc_ref.name}:{port}", *root.evidence[:4]],
                    list(root.commands),
                )
            )
        for f in found:
            if f.is_problem:
                rolled.append(
                    Hit(
                        f.category,
                        {},
                        list(f.evidence),
                        list(f.commands),
                        code=f.code,
                        severity=f.severity,
                        summary=render(BACKEND_CAUSE, {"service": svc_ref.name, "summary": f.summary}),
                    )
                )
    hits.extend(_tls_hits(ix, ing))
    hits.extend(controller)
    hits.extend(rolled)
    for h in hits:
        h.commands.extend(c for c in cmds if c not in h.commands)
    if not hits:
        address = (
            ", ".join(a.ip or a.hostname or "" for a in ing.status.load_balancer.ingress) or "no address yet"
        )
        hits.append(Hit("healthy", {"state": f"every backend has ready endpoints ({address})"}, [], cmds))
    return hits


def _tls_hits(ix: Index, ing: Ingress) -> list[Hit]:
    ns = ing.metadata.namespace
    out: list[Hit] = []
    for tls in ing.spec.tls:
        secret = tls.secret_name
        if not secret:
            continue
        if not ix.known("Secret"):
            if ix.forbidden("Secret"):
                out.append(
                    Hit(
                        "cannot_verify",
                        {
                            "what": f"TLS Secret {secret}",
                            "why": ix.forbidden("Secret"),
                            "verb": "list",
                            "resource": "secrets",
                        },
                    )
                )
            continue
        if (ns, secret) not in ix.secrets:
            out.append(
                Hit(
                    "ingress_tls_secret_missing",
                    {"secret": secret, "hosts": ", ".join(tls.hosts) or "*"},
                    [],
                    [f"kubectl get secret {q(secret)} -n {q(ns)}"],
                )
            )
    return out
