"""Table cells of nodes and networking kinds: Node, Service, Endpoints, EndpointSlice, Ingress(Class)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ktui.sandbox.printfmt import Printer, age_of, more, name_of

Obj = dict[str, Any]


def _node(obj: Obj, now: datetime) -> list[Any]:
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    state = "Unknown"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            state = "Ready" if cond.get("status") == "True" else "NotReady"
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = obj["metadata"].get("labels") or {}
    roles = sorted(
        {k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k}
        | ({labels["kubernetes.io/role"]} if labels.get("kubernetes.io/role") else set())
    )
    info = status.get("nodeInfo") or {}
    addrs = status.get("addresses") or []
    internal = next((a.get("address") for a in addrs if a.get("type") == "InternalIP"), "<none>")
    external = next((a.get("address") for a in addrs if a.get("type") == "ExternalIP"), "<none>")
    return [
        name_of(obj),
        state,
        ",".join(r for r in roles if r) or "<none>",
        age_of(obj, now),
        info.get("kubeletVersion", ""),
        internal,
        external,
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _ports(ports: list[Obj]) -> str:
    out = []
    for p in ports:
        proto = p.get("protocol") or "TCP"
        out.append(
            f"{p.get('port')}:{p['nodePort']}/{proto}" if p.get("nodePort") else f"{p.get('port')}/{proto}"
        )
    return ",".join(out) or "<none>"


def _load_balancer(status: Obj) -> list[str]:
    """The ``status.loadBalancer.ingress`` addresses (ip, else hostname) of a Service or Ingress."""
    lb = [i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress") or []]
    return [x for x in lb if x]


def _service(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    typ = spec.get("type") or "ClusterIP"
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    external = ",".join(spec.get("externalIPs") or []) or "<none>"
    if typ == "LoadBalancer":
        external = ",".join(_load_balancer(status) + (spec.get("externalIPs") or [])) or "<pending>"
    elif typ == "ExternalName":
        external = spec.get("externalName") or "<none>"
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [
        name_of(obj),
        typ,
        ips[0] if ips else "<none>",
        external,
        _ports(spec.get("ports") or []),
        age_of(obj, now),
        selector,
    ]


def _endpoints(obj: Obj, now: datetime) -> list[Any]:
    items = []
    for ss in obj.get("subsets") or []:
        addrs = [a.get("ip", "") for a in ss.get("addresses") or []]
        ports = ss.get("ports") or []
        if not ports:
            items.extend(addrs)
        for p in ports:
            items.extend(f"{ip}:{p.get('port')}" for ip in addrs)
    return [name_of(obj), more(items, 3, "<none>"), age_of(obj, now)]


def _endpointslice(obj: Obj, now: datetime) -> list[Any]:
    ports = [
        str(p["port"]) if p.get("port") is not None else (p.get("name") or "*")
        for p in obj.get("ports") or []
    ]
    addrs = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        name_of(obj),
        obj.get("addressType", ""),
        more(ports, 3, "<unset>"),
        more(addrs, 3, "<unset>"),
        age_of(obj, now),
    ]


def _ingress(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    return [
        name_of(obj),
        spec.get("ingressClassName") or "<none>",
        more(hosts, 4, "*", ", "),
        ",".join(_load_balancer(status)),
        "80, 443" if spec.get("tls") else "80",
        age_of(obj, now),
    ]


def _ingressclass(obj: Obj, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    text = "<none>"
    if params:
        text = "/".join(x for x in (params.get("apiGroup"), params.get("kind"), params.get("name")) if x)
    return [name_of(obj), spec.get("controller", ""), text, age_of(obj, now)]


CELLS: dict[str, tuple[str, Printer]] = {
    "nodes": (
        "Name,Status,Roles,Age,Version,Internal-IP*,External-IP*,OS-Image*,Kernel-Version*,Container-Runtime*",
        _node,
    ),
    "services": ("Name,Type,Cluster-IP,External-IP,Port(s),Age,Selector*", _service),
    "endpoints": ("Name,Endpoints,Age", _endpoints),
    "endpointslices.discovery.k8s.io": ("Name,AddressType,Ports,Endpoints,Age", _endpointslice),
    "ingresses.networking.k8s.io": ("Name,Class,Hosts,Address,Ports,Age", _ingress),
    "ingressclasses.networking.k8s.io": ("Name,Controller,Parameters,Age", _ingressclass),
}
"""Column spec (see ``tables.columns``) and cell printer per resource key."""
