"""Service probe with Service semantics: a ready endpoint from the EndpointSlices, port -> targetPort.

Unlike ``kubectl port-forward svc/x`` (first pod of the selector, container port), the probe maps
the Service port the way kube-proxy does (the EndpointSlice port of the same name; else the
targetPort number, the endpoint pod's container port of that name, or the Service port when
omitted), forwards to that endpoint's pod and port, and says exactly what it tested. A Service
without a ready endpoint is answered from the snapshot (selector matches nothing, with near-miss
labels; pods not ready). The API server's service proxy is tried as a second leg where served.
"""

from __future__ import annotations

from ktui import resources as r
from ktui.kube import api
from ktui.kube.client import Connection, KubeError
from ktui.model.paths import (
    CONTAINER_PORT,
    ENDPOINTS,
    SERVICE_PORT,
    EndpointInfo,
    find_service_port,
    is_ready,
    no_endpoints_reason,
    resolve_target_port,
    service_endpoints,
    service_port_text,
)
from ktui.probes.http import printable
from ktui.probes.pod import ProbeUsageError, answered_ok, check_port, describe, now, outcome_detail


def _pod(snapshot: r.ClusterSnapshot, namespace: str, ep: EndpointInfo) -> r.Pod | None:
    ref = ep.pod_ref
    if ref is None:
        return None
    return next((p for p in snapshot.pods if p.metadata.namespace == (ref.namespace or namespace)
                 and p.metadata.name == ref.name), None)


def ready_endpoints(snapshot: r.ClusterSnapshot, svc: r.Service) -> list[EndpointInfo]:
    """Ready, non-terminating endpoints, pods known to be Ready first (the ones kube-proxy uses)."""
    eps = [e for e in service_endpoints(snapshot, svc) or () if e.ready and not e.terminating]
    ns = svc.metadata.namespace

    def rank(ep: EndpointInfo) -> tuple[int, str]:
        pod = _pod(snapshot, ns, ep)
        return (0 if pod is not None and is_ready(pod) else 1, ep.address)

    return sorted(eps, key=rank)


def endpoint_port(sp: r.ServicePort, ep: EndpointInfo, pod: r.Pod | None) -> tuple[int | None, str]:
    """The port kube-proxy sends to on this endpoint, and why not when it cannot be resolved."""
    port = ep.ports.get(sp.name or "")
    if port is not None:
        return port, ""
    return resolve_target_port(sp, pod)


def target_text(sp: r.ServicePort, number: int) -> str:
    """'http (8080)' for a named targetPort, '8080' otherwise."""
    if isinstance(sp.target_port, str) and not sp.target_port.isdigit():
        return f"{sp.target_port} ({number})"
    return str(number)


def proxy_leg(conn: Connection, namespace: str, name: str, port: int, path: str) -> str:
    """One line on the API server's service proxy: its answer, or why the leg was skipped."""
    suffix = path if path.startswith("/") else "/" + path
    url = f"/api/v1/namespaces/{namespace}/services/{name}:{port}/proxy{suffix}"
    try:
        body = api.get_bytes(conn, url, read_timeout=5.0, accept="*/*")
    except api.ApiStatusError as exc:
        if exc.code in (403, 404, 405, 501):
            return f"service proxy: skipped, the API server answered {exc.code} ({exc.message})"
        return f"service proxy: HTTP {exc.code} ({exc.message})"
    except KubeError as exc:
        return f"service proxy: skipped ({exc.message})"
    return f"service proxy: answered ({printable(body, 80)})"


def probe_service(conn: Connection, snapshot: r.ClusterSnapshot, namespace: str, name: str,
                  port: int | str | None = None, *, path: str = "/", proxy: bool = True) -> r.ProbeResult:
    """Probe one Service port through one of its ready endpoints."""
    svc = next((s for s in snapshot.services
                if s.metadata.namespace == namespace and s.metadata.name == name), None)
    target = r.Ref(kind="Service", namespace=namespace, name=name, uid=svc.metadata.uid if svc else "")
    if svc is None:
        return r.ProbeResult(target=target, ok=False, tested=f"service {namespace}/{name}", hop=SERVICE_PORT,
                             summary=f'service "{name}" not found in namespace {namespace}', at=now())
    if svc.spec.type == "ExternalName":
        return r.ProbeResult(target=target, ok=False, tested=f"service {name}", hop=SERVICE_PORT, at=now(),
                             summary=f"service {name} is an ExternalName alias of {svc.spec.external_name}: "
                                     "there is no endpoint in the cluster to probe")
    sp = find_service_port(svc, port)
    if sp is None:
        if port is None:
            raise ProbeUsageError(f"service {name} has no ports")
        ports = ", ".join(service_port_text(svc, p) for p in svc.spec.ports)
        raise ProbeUsageError(f"service {name} does not have a service port {port} (ports: {ports})")
    head = f"service {name}:{sp.port}"
    candidates = ready_endpoints(snapshot, svc)
    if not candidates:
        reason, misses = no_endpoints_reason(snapshot, svc)
        eps = service_endpoints(snapshot, svc) or []
        detail = [f"endpoints: {len(eps)} ({sum(1 for e in eps if not e.ready)} not ready)"]
        detail += [f"near miss: {m}" for m in misses]
        return r.ProbeResult(target=target, ok=False, tested=f"{head} -> no ready endpoint", hop=ENDPOINTS,
                             port=sp.port, summary=f"{head} has no ready endpoints: {reason}",
                             detail="\n".join(detail), at=now())
    tried: list[str] = []
    for ep in candidates:
        pod = _pod(snapshot, namespace, ep)
        number, why = endpoint_port(sp, ep, pod)
        pod_name = ep.pod_ref.name if ep.pod_ref else ""
        if number is None or not pod_name:
            tried.append(f"endpoint {ep.address}: {why or 'no pod behind it (manual endpoint)'}")
            continue
        tested = f"{head} -> endpoint {ep.address}:{number} (pod {pod_name})"
        outcome = check_port(conn, namespace, pod_name, number, name=None, path=path)
        from ktui.kube.portforward_stream import classify  # when a probe runs (see probes.http)

        if outcome.error and classify(outcome.error, number) == "pod replaced" and ep is not candidates[-1]:
            # The endpoint's pod went away between the snapshot and the probe: take the next one.
            tried.append(f"{tested}: pod replaced")
            continue
        ok = answered_ok(outcome)
        extra = [f"skipped: {t}" for t in tried]
        extra.append(f"{len(candidates)} ready endpoint(s); targetPort {sp.target_port or sp.port} "
                     f"-> {target_text(sp, number)} on pod {pod_name}")
        if proxy:
            extra.append(proxy_leg(conn, namespace, name, sp.port, path))
        if ok:
            summary = (f"{head} answers {describe(outcome)} via endpoint {ep.address}:{number} "
                       f"(pod {pod_name})")
        elif outcome.error and "connection refused" in outcome.error.lower():
            summary = (f"{head}: connection refused on targetPort {target_text(sp, number)} "
                       f"of pod {pod_name}: nothing listens there")
        else:
            summary = f"{head} -> pod {pod_name}:{number}: {describe(outcome)}"
        return r.ProbeResult(target=target, ok=ok, tested=tested, summary=summary,
                             detail=outcome_detail(outcome, extra), hop=CONTAINER_PORT, port=number,
                             status_code=outcome.status_code, latency_ms=outcome.latency_ms, at=now())
    return r.ProbeResult(target=target, ok=False, tested=f"{head} -> {len(candidates)} endpoint(s)",
                         hop=SERVICE_PORT, port=sp.port, at=now(),
                         summary=f"{head}: no endpoint could be probed: {tried[-1] if tried else 'none'}",
                         detail="\n".join(tried))
