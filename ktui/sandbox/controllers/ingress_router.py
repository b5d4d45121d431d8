"""ingress-nginx's routing, as pure functions over store objects: which Ingress path serves a request.

nginx builds one ``server`` per host and a default server (``_``) for rules without a host; a request
goes to the server of its Host, else to the default one. Within a server, the longest matching path
wins (an Exact path beats a Prefix of the same length); Prefix matches whole path elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONTROLLER = "k8s.io/ingress-nginx"
DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS = "kubernetes.io/ingress.class"
SERVICE_NAME = "kubernetes.io/service-name"


@dataclass(frozen=True)
class Route:
    """A matched backend: the Ingress, its Service and the port as written (number or name)."""

    namespace: str
    ingress: str
    service: str
    port: int | str | None


def our_classes(store: Any) -> tuple[set[str], bool]:
    """Names of IngressClasses this controller implements, and whether one of them is the default."""
    names, default = set(), False
    for cls in store.list("ingressclasses.networking.k8s.io")[0]:
        if (cls.get("spec") or {}).get("controller") == CONTROLLER:
            names.add(cls["metadata"]["name"])
            if (cls["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true":
                default = True
    return names, default


def is_ours(ingress: dict[str, Any], classes: set[str], default: bool) -> bool:
    """ingress-nginx's class check: ``ingressClassName``, the legacy annotation, or the default class."""
    name = (ingress.get("spec") or {}).get("ingressClassName")
    legacy = (ingress["metadata"].get("annotations") or {}).get(LEGACY_CLASS)
    if name:
        return name in classes
    if legacy:
        return legacy in classes or (legacy == "nginx" and bool(classes))
    return default


def _path_matches(kind: str, rule_path: str, path: str) -> bool:
    if kind == "Exact":
        return path == rule_path
    if kind == "Prefix":
        if rule_path in ("", "/"):
            return True
        base = rule_path.rstrip("/")
        return path == base or path.startswith(base + "/")
    return path.startswith(rule_path or "/")  # ImplementationSpecific: nginx's own prefix location


def _host_matches(rule_host: str, host: str) -> bool:
    if rule_host.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == rule_host[2:]
    return rule_host == host


def route(ingresses: list[dict[str, Any]], host: str, path: str) -> Route | None:
    """The backend for ``host`` and ``path`` across our Ingresses, or None (nginx's 404 default backend)."""
    host = host.split(":", 1)[0].lower()
    exact_host = [
        i
        for i in ingresses
        if any(r.get("host") and r["host"] == host for r in (i.get("spec") or {}).get("rules") or [])
    ]
    servers: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for ing in ingresses:
        for rule in (ing.get("spec") or {}).get("rules") or []:
            rule_host = rule.get("host") or ""
            if rule_host and _host_matches(rule_host, host) and (exact_host == [] or rule_host == host):
                servers.append((ing, rule))
    if not servers:
        servers = [
            (ing, rule)
            for ing in ingresses
            for rule in (ing.get("spec") or {}).get("rules") or []
            if not rule.get("host")
        ]
    best: tuple[tuple[int, int], Route] | None = None
    for ing, rule in servers:
        for p in ((rule.get("http") or {}).get("paths")) or []:
            kind, rule_path = p.get("pathType", "ImplementationSpecific"), p.get("path") or "/"
            if not _path_matches(kind, rule_path, path):
                continue
            rank = (len(rule_path), 1 if kind == "Exact" else 0)
            svc = ((p.get("backend") or {}).get("service")) or {}
            port = svc.get("port") or {}
            found = Route(
                ing["metadata"]["namespace"],
                ing["metadata"]["name"],
                svc.get("name", ""),
                port.get("number") if port.get("number") is not None else port.get("name"),
            )
            if best is None or rank > best[0]:
                best = (rank, found)
    if best is not None:
        return best[1]
    for ing in ingresses:  # spec.defaultBackend serves what no rule matched
        svc = (((ing.get("spec") or {}).get("defaultBackend")) or {}).get("service")
        if svc:
            port = svc.get("port") or {}
            return Route(
                ing["metadata"]["namespace"],
                ing["metadata"]["name"],
                svc.get("name", ""),
                port.get("number") if port.get("number") is not None else port.get("name"),
            )
    return None


def upstreams(store: Any, r: Route) -> tuple[list[tuple[str, str, int]], str | None]:
    """Ready endpoints (pod namespace, pod name, target port) for a route, or a reason there are none."""
    svc = store.get("services", r.namespace, r.service)
    if svc is None:
        return [], f'no object matching key "{r.namespace}/{r.service}" in local store'
    port = next(
        (
            p
            for p in (svc.get("spec") or {}).get("ports") or []
            if (isinstance(r.port, int) and p.get("port") == r.port)
            or (isinstance(r.port, str) and p.get("name") == r.port)
        ),
        None,
    )
    if port is None:
        return [], f'service "{r.namespace}/{r.service}" does not have a port {r.port}'
    wanted = port.get("name") or ""
    out = []
    for s in store.list(
        "endpointslices.discovery.k8s.io", r.namespace, label_selector=f"{SERVICE_NAME}={r.service}"
    )[0]:
        number = next((p.get("port") for p in s.get("ports") or [] if (p.get("name") or "") == wanted), None)
        if number is None:
            continue
        for ep in s.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            if (ep.get("conditions") or {}).get("ready") and ref.get("kind") == "Pod":
                out.append((ref.get("namespace", r.namespace), ref["name"], int(number)))
    if not out:
        return [], f'Service "{r.namespace}/{r.service}" does not have any active Endpoint.'
    return out, None
