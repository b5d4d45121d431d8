"""Ingress probe through the ingress controller, the way outside traffic arrives.

Finds the controller's pods (IngressClass controller ``k8s.io/ingress-nginx``; pods labelled
``app.kubernetes.io/name=ingress-nginx``, in any namespace), port-forwards to a ready one's HTTP
port and sends the request with the rule's Host header and path. The controller's answer is then
read against the path: 503 = the backend Service is missing or has no ready endpoint, 404 = no rule
matched, 502/504 = the backend pod did not answer. A controller that is not running is the finding.
"""

from __future__ import annotations

import msgspec

from ktui import resources as r
from ktui.kube.client import Connection, KubeError
from ktui.kube.snapshot import load_snapshot
from ktui.model.paths import (
    CONTAINER_PORT,
    CONTROLLER,
    ENDPOINTS,
    INGRESS_RULE,
    NGINX_CONTROLLER,
    NGINX_LABEL,
    Hop,
    HopState,
    controller_hop,
    controller_pods,
    ingress_class_of,
    ingress_hop,
    ingress_routes,
    is_ready,
)
from ktui.probes.pod import answered_ok, check_port, describe, now, outcome_detail


def with_controller(conn: Connection, snapshot: r.ClusterSnapshot, controller: str) -> r.ClusterSnapshot:
    """The snapshot plus the controller's pods (and, if none, Deployments) read from all namespaces."""
    if controller_pods(snapshot, controller) or "ingress-nginx" not in controller:
        return snapshot
    key, value = NGINX_LABEL
    try:
        extra = load_snapshot(conn, None, f"{key}={value}", kinds=("Pod",))
        deploys = () if extra.pods else load_snapshot(conn, None, kinds=("Deployment",)).deployments
    except KubeError:
        return snapshot  # the controller stays "not in view" (unknown), never "missing"
    known = {p.metadata.uid for p in snapshot.pods}
    known_d = {d.metadata.uid for d in snapshot.deployments}
    return msgspec.structs.replace(
        snapshot, pods=(*snapshot.pods, *(p for p in extra.pods if p.metadata.uid not in known)),
        deployments=(*snapshot.deployments, *(d for d in deploys if d.metadata.uid not in known_d)))


def choose_route(ing: r.Ingress, host: str | None, path: str | None
                 ) -> tuple[str, str, str, r.IngressBackend] | None:
    """The rule a request for host+path would use (longest matching path), else the first rule."""
    routes = ingress_routes(ing)
    if not routes:
        return None
    fitting = [rt for rt in routes if host is None or rt[0] in ("", host)
               or (rt[0].startswith("*.") and host.endswith(rt[0][1:]))]
    if path is not None:
        fitting = [rt for rt in fitting if rt[1] == "" or path == rt[1]
                   or (rt[2] != "Exact" and path.startswith(rt[1].rstrip("/") + "/")) or rt[1] == "/"]
        fitting.sort(key=lambda rt: -len(rt[1]))
    return (fitting or routes)[0]


def request_host(rule_host: str, host: str | None) -> str | None:
    """The Host header to send: the one given, the rule's (a wildcard gets a label), or none."""
    if host:
        return host
    if rule_host.startswith("*."):
        return "probe" + rule_host[1:]
    return rule_host or None


def _backend_verdict(hop: Hop, code: int) -> tuple[str, str]:
    """(hop kind, reason) for a controller error status, from the path's first broken hop."""
    for _, h in hop.walk():
        if h.state is HopState.BROKEN and h.kind != CONTROLLER:
            return h.kind, h.reason
    if code == 404:
        return INGRESS_RULE, "no rule matched this host and path (the controller may not serve this class)"
    if code in (502, 504):
        return CONTAINER_PORT, "the backend pod did not answer on its targetPort"
    return ENDPOINTS, "the backend is unavailable"


def probe_ingress(conn: Connection, snapshot: r.ClusterSnapshot, namespace: str, name: str, *,
                  path: str | None = None, host: str | None = None) -> r.ProbeResult:
    """Send the rule's request through a ready controller pod and interpret the answer."""
    ing = next((i for i in snapshot.ingresses
                if i.metadata.namespace == namespace and i.metadata.name == name), None)
    target = r.Ref(kind="Ingress", namespace=namespace, name=name, uid=ing.metadata.uid if ing else "")
    if ing is None:
        return r.ProbeResult(target=target, ok=False, tested=f"ingress {namespace}/{name}", hop=INGRESS_RULE,
                             summary=f'ingress "{name}" not found in namespace {namespace}', at=now())
    _, klass = ingress_class_of(snapshot, ing)
    controller = klass.spec.controller if klass else NGINX_CONTROLLER
    snapshot = with_controller(conn, snapshot, controller)
    route = choose_route(ing, host, path)
    rule_host, rule_path = (route[0], route[1]) if route else ("", "/")
    req_host = request_host(rule_host, host)
    req_path = path or rule_path or "/"
    what = f"{req_host or '*'}{req_path}"
    head = controller_hop(snapshot, ing)
    pods = [p for p in controller_pods(snapshot, controller) if is_ready(p) and p.status.phase == "Running"]
    if head.state is not HopState.OK or not pods:
        return r.ProbeResult(target=target, ok=False, tested=f"ingress {name} {what} -> controller",
                             hop=CONTROLLER, at=now(),
                             summary=f"ingress {name}: {head.reason or 'no ready ingress controller pod'}",
                             detail=head.label)
    pod = pods[0]
    port = next((cp.container_port for c in pod.spec.containers for cp in c.ports if cp.name == "http"), 80)
    tested = f"ingress {name} {what} -> controller pod {pod.metadata.namespace}/{pod.metadata.name}:{port}"
    outcome = check_port(conn, pod.metadata.namespace, pod.metadata.name, port, name="http",
                         path=req_path, host=req_host)
    code = outcome.status_code
    ok = answered_ok(outcome) and code is not None and code < 400
    extra = [f"rule: {rule_host or '*'}{rule_path}" + (f" -> {route[3].service.name}" if route and
                                                      route[3].service else "")]
    hop_kind = INGRESS_RULE
    if outcome.error:
        hop_kind = CONTROLLER
        summary = (f"ingress {name}: controller pod {pod.metadata.name} did not answer on :{port}: "
                   f"{outcome.error}")
    elif ok:
        summary = f"ingress {name} answers {describe(outcome)} for {what} through {pod.metadata.name}"
    else:
        only = route[3].service.name if route is not None and route[3].service is not None else None
        hop_kind, reason = _backend_verdict(ingress_hop(snapshot, ing, only_service=only), code or 0)
        summary = f"ingress {name}: the controller answers {describe(outcome)} for {what}: {reason}"
    return r.ProbeResult(target=target, ok=ok, tested=tested, summary=summary,
                         detail=outcome_detail(outcome, extra), hop=hop_kind, port=port,
                         status_code=code, latency_ms=outcome.latency_ms, at=now())
