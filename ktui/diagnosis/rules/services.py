"""Services: does the selector pick pods, does targetPort reach a container port, are endpoints ready."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from difflib import get_close_matches
from typing import Any

from ktui.diagnosis.catalog import SERVICE_CAUSE, render
from ktui.diagnosis.findings import Finding
from ktui.diagnosis.index import Index, store_key
from ktui.diagnosis.labels import format_selector
from ktui.diagnosis.rules.base import Hit, plural
from ktui.diagnosis.rules.pods import is_ready, ready_text
from ktui.diagnosis.shell import DESCRIBE_SUBJECT, q
from ktui.resources import Container, Pod, Service, ServicePort

PodRoot = Callable[[Pod], Finding | None]


def _phases(pods: list[Pod]) -> str:
    counts = Counter(
        (
            "terminating"
            if p.metadata.deletion_timestamp
            else "running"
            if p.status.phase == "Running" and is_ready(p)
            else "running, not ready"
            if p.status.phase == "Running"
            else (p.status.phase or "pending").lower()
        )
        for p in pods
    )
    return ", ".join(k if len(counts) == 1 else f"{n} {k}" for k, n in counts.most_common())


def _has(n: int) -> str:
    return f"{plural(n, 'pod')} {'has' if n == 1 else 'have'}"


def selector_hint(ix: Index, ns: str, selector: dict[str, str]) -> str:
    """The nearest labels: 'no pod has app=ngnix; 1 pod has app=nginx (running)'."""
    parts: list[str] = []
    pods = ix.pods_in(ns)
    for k, v in sorted(selector.items()):
        if ix.has_label(ns, k, v):
            continue
        parts.append(f"no pod has {k}={v}")
        values = Counter((p.metadata.labels or {})[k] for p in pods if k in (p.metadata.labels or {}))
        if values:
            close = get_close_matches(v, list(values), n=1, cutoff=0.5) or [values.most_common(1)[0][0]]
            near = ix.pods_with(ns, k, close[0])
            parts.append(f"{_has(len(near))} {k}={close[0]} ({_phases(near)})")
            continue
        keys = {key for p in pods for key in (p.metadata.labels or {})}
        close_keys = get_close_matches(k, sorted(keys), n=1, cutoff=0.6)
        if close_keys:
            near = [p for p in pods if close_keys[0] in (p.metadata.labels or {})]
            value = (near[0].metadata.labels or {})[close_keys[0]]
            parts.append(f"{_has(len(near))} {close_keys[0]}={value} ({_phases(near)})")
    if not parts:  # every pair exists, but never all on one pod
        parts.append("no single pod has all of these labels")
    for other in sorted(ix.pod_namespaces - {ns}):
        elsewhere = ix.selected_pods(other, selector)
        if elsewhere:
            parts.append(
                f"{plural(len(elsewhere), 'pod')} in namespace {other} match "
                "(a Service only selects pods in its own namespace)"
            )
            break
    return "; " + "; ".join(parts)


def _port_of(containers: tuple[Container, ...], target: int | str, protocol: str) -> bool:
    for c in containers:
        for p in c.ports:
            if (p.protocol or "TCP") != (protocol or "TCP"):
                continue
            if (isinstance(target, int) and p.container_port == target) or (
                isinstance(target, str) and p.name == target
            ):
                return True
    return False


def _declared(pod: Pod) -> str:
    ports = [
        f"{p.name + ':' if p.name else ''}{p.container_port}/{p.protocol or 'TCP'}"
        for c in pod.spec.containers
        for p in c.ports
    ]
    return ", ".join(ports) or "no ports"


def port_hits(svc: Service, pods: list[Pod]) -> list[Hit]:
    """A Service port whose targetPort no selected pod offers (named: must exist; number: if declared)."""
    hits: list[Hit] = []
    live = [p for p in pods if p.status.phase not in ("Succeeded", "Failed")]
    # The pods of one ReplicaSet share their decoded containers (resources.compact): ask each once.
    containers = {id(p.spec.containers): p.spec.containers for p in live}
    declares = {key: any(c.ports for c in cs) for key, cs in containers.items()}
    for sp in svc.spec.ports:
        target: int | str = sp.target_port if sp.target_port not in (None, "", 0) else sp.port  # type: ignore[assignment]
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        offers = {key: _port_of(cs, target, sp.protocol) for key, cs in containers.items()}
        judged = live if isinstance(target, str) else [p for p in live if declares[id(p.spec.containers)]]
        wrong = [p for p in judged if not offers[id(p.spec.containers)]]
        if not judged or not wrong:
            continue
        kind = "named port" if isinstance(target, str) else "port"
        scope = f"on {plural(len(wrong), 'pod')}" if len(wrong) < len(judged) else "on any selected pod"
        why = f"no container declares ({scope}: pod {wrong[0].metadata.name} declares {_declared(wrong[0])})"
        hits.append(
            Hit(
                "service_target_port_mismatch",
                {
                    "port": _port_name(sp),
                    "target": f"{kind} {target}" if kind == "named port" else target,
                    "why": why,
                },
                [f"Service port {_port_name(sp)} -> targetPort {target}/{sp.protocol or 'TCP'}"]
                + [f"pod {p.metadata.name}: {_declared(p)}" for p in wrong[:3]],
            )
        )
    return hits


def _port_name(sp: ServicePort) -> str:
    return f"{sp.port} ({sp.name})" if sp.name else str(sp.port)


def _ready_endpoints(ix: Index, svc: Service, pods: list[Pod]) -> tuple[int, str]:
    """Ready endpoint count and where it was read from (EndpointSlices when listed, else pod readiness)."""
    key = (svc.metadata.namespace, svc.metadata.name)
    slices = ix.slices.get(key)
    if slices:
        ready = sum(1 for s in slices for e in s.endpoints if e.conditions.ready is not False)
        return ready, "EndpointSlices"
    ep = ix.endpoints.get(key)
    if ep is not None:
        return sum(len(s.addresses) for s in ep.subsets), "Endpoints"
    return sum(1 for p in pods if is_ready(p) and p.metadata.deletion_timestamp is None), "pod readiness"


def service_hits(ix: Index, svc: Service, pod_root: PodRoot) -> list[Hit]:
    """A Service's findings, the hop that breaks first."""
    meta, spec = svc.metadata, svc.spec
    ns, name = meta.namespace, meta.name
    cmds = [
        DESCRIBE_SUBJECT,
        f"kubectl get endpointslices -n {q(ns)} -l kubernetes.io/service-name={q(name)}",
    ]
    if spec.type == "ExternalName":
        return [Hit("healthy", {"state": f"ExternalName -> {spec.external_name}"}, [], cmds[:1])]
    if not spec.selector:
        return _selectorless(ix, svc, cmds)
    selector = format_selector(spec.selector)
    cmds.append(f"kubectl get pods -n {q(ns)} -l {q(selector)} --show-labels")
    pods = ix.selected_pods(ns, spec.selector) if ix.known("Pod") else []
    idle = [w for w in ix.workloads_matching(ns, spec.selector) if available(w) == 0] if not pods else []
    if idle:  # the selector is right: the workload behind it runs no pods
        w = idle[0]
        return [
            Hit(
                "service_no_ready_endpoints",
                {"why": f"{w.kind} {w.metadata.name} (selected by {selector}) {workload_state(w)}"},
                [f"selector {selector}: 0 pods in namespace {ns}"],
                [*cmds, f"kubectl get {w.kind.lower()} {q(w.metadata.name)} -n {q(ns)}"],
            )
        ]
    if not ix.known("Pod"):
        why = ix.forbidden("Pod") or "pods were not loaded"
        what = f"which pods selector {selector} matches"
        return [
            Hit("cannot_verify", {"what": what, "why": why, "verb": "list", "resource": "pods"}, [], cmds)
        ]
    if not pods:
        return [
            Hit(
                "service_selector_mismatch",
                {"selector": selector, "hint": selector_hint(ix, ns, spec.selector)},
                [f"selector {selector}: 0 pods in namespace {ns}"],
                cmds,
            )
        ]
    hits = port_hits(svc, pods)
    for h in hits:
        h.commands = cmds
    ready, source = _ready_endpoints(ix, svc, pods)
    if ready == 0:
        # A problem's finding is quoted; without one, the first pod's phase and ready containers, read
        # from its record: never a healthy finding's text, which moves with each restart (a Service's
        # verdict then changes only when one of its pods' problems, or readiness, does).
        causes = [(p, f) for p in pods if (f := pod_root(p)) is not None and f.is_problem]
        first = pods[0]
        cause_text = render(SERVICE_CAUSE, (
            {"pod": causes[0][0].metadata.name, "summary": causes[0][1].summary} if causes
            else {"pod": first.metadata.name, "summary": f"{first.status.phase or 'Pending'}, "
                                                         f"{ready_text(first)} ready"}
        ))
        why = f"0 of {plural(len(pods), 'selected pod')} ready; {cause_text}"
        quoted = store_key(causes[0][0]) if causes else ""
        hit = Hit(
            "service_no_ready_endpoints",
            {"why": why},
            [f"selector {selector}: {plural(len(pods), 'pod')} ({_phases(pods)}); {source}: 0 ready"]
            + (list(causes[0][1].evidence[:4]) if causes else []),
            cmds,
            quotes=quoted,
        )
        hits.append(hit)
        if causes:
            pod, f = causes[0]
            hits.append(
                Hit(
                    f.category,
                    {},
                    list(f.evidence),
                    list(f.commands),
                    code=f.code,
                    severity=f.severity,
                    summary=render(SERVICE_CAUSE, {"pod": pod.metadata.name, "summary": f.summary}),
                    quotes=quoted,
                )
            )
    if hits:
        return hits
    pod_names = ", ".join(p.metadata.name for p in pods[:3]) + (", ..." if len(pods) > 3 else "")
    return [Hit("healthy", {"state": f"{plural(ready, 'ready endpoint')} ({pod_names})"}, [], cmds)]


def _selectorless(ix: Index, svc: Service, cmds: list[str]) -> list[Hit]:
    key = (svc.metadata.namespace, svc.metadata.name)
    if not (ix.known("EndpointSlice") or ix.known("Endpoints")):
        return [Hit("healthy", {"state": "no selector: endpoints are managed outside Kubernetes"}, [], cmds)]
    slices = ix.slices.get(key, [])
    ep = ix.endpoints.get(key)
    addresses = sum(len(e.addresses) for s in slices for e in s.endpoints) + (
        sum(len(s.addresses) for s in ep.subsets) if ep else 0
    )
    if addresses == 0 and (slices or ep is not None or ix.snap.endpoint_slices or ix.snap.endpoints):
        return [
            Hit(
                "service_no_ready_endpoints",
                {"why": "the Service has no selector and no endpoints were created for it by hand"},
                [],
                cmds,
            )
        ]
    return [Hit("healthy", {"state": f"no selector; {plural(addresses, 'manual endpoint')}"}, [], cmds)]


def available(w: Any) -> int:
    """How many pods of a Deployment / StatefulSet / DaemonSet are available, per its status."""
    s = w.status
    return (s.number_ready if w.kind == "DaemonSet" else (s.available_replicas or s.ready_replicas)) or 0


def workload_state(w: Any) -> str:
    """'is scaled to 0' / 'has 0 of 3 pods available' for a workload that serves nothing."""
    replicas = w.spec.replicas
    if w.kind != "DaemonSet" and replicas == 0:
        return "is scaled to 0"
    if w.kind == "DaemonSet":
        desired = w.status.desired_number_scheduled or 0
    else:
        desired = replicas if replicas is not None else 1
    return f"has {available(w)} of {desired} pods available"
