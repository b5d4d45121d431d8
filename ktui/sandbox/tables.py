"""Server-side ``Table`` printing, after k/k ``pkg/printers/internalversion/printers.go``.

The apiserver prints with ``Wide: true`` and kubectl hides priority-1 columns unless ``-o wide``, so
every row carries all cells. Rows carry a ``PartialObjectMetadata`` so ``get -A`` fills NAMESPACE.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ktui.sandbox.podprint import pod_cells, since
from ktui.sandbox.selectors import format_match

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority


def _age(obj: Obj, now: datetime) -> str:
    return since(obj["metadata"].get("creationTimestamp"), now)


def _name(obj: Obj) -> str:
    return str(obj["metadata"].get("name", ""))


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
        _name(obj),
        state,
        ",".join(r for r in roles if r) or "<none>",
        _age(obj, now),
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


def _service(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    typ = spec.get("type") or "ClusterIP"
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    external = ",".join(spec.get("externalIPs") or []) or "<none>"
    if typ == "LoadBalancer":
        lb = [
            i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress") or []
        ]
        external = ",".join([x for x in lb if x] + (spec.get("externalIPs") or [])) or "<pending>"
    elif typ == "ExternalName":
        external = spec.get("externalName") or "<none>"
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [
        _name(obj),
        typ,
        ips[0] if ips else "<none>",
        external,
        _ports(spec.get("ports") or []),
        _age(obj, now),
        selector,
    ]


def _more(items: list[str], limit: int, empty: str) -> str:
    if len(items) > limit:
        return ",".join(items[:limit]) + f" + {len(items) - limit} more..."
    return ",".join(items) or empty


def _endpoints(obj: Obj, now: datetime) -> list[Any]:
    items = []
    for ss in obj.get("subsets") or []:
        addrs = [a.get("ip", "") for a in ss.get("addresses") or []]
        ports = ss.get("ports") or []
        if not ports:
            items.extend(addrs)
        for p in ports:
            items.extend(f"{ip}:{p.get('port')}" for ip in addrs)
    return [_name(obj), _more(items, 3, "<none>"), _age(obj, now)]


def _endpointslice(obj: Obj, now: datetime) -> list[Any]:
    ports = [
        str(p["port"]) if p.get("port") is not None else (p.get("name") or "*")
        for p in obj.get("ports") or []
    ]
    addrs = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        _name(obj),
        obj.get("addressType", ""),
        _more(ports, 3, "<unset>"),
        _more(addrs, 3, "<unset>"),
        _age(obj, now),
    ]


def _ingress(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    hosts_text = (", ".join(hosts[:4]) + (f" + {len(hosts) - 4} more..." if len(hosts) > 4 else "")) or "*"
    lb = [i.get("ip") or i.get("hostname") for i in (status.get("loadBalancer") or {}).get("ingress") or []]
    return [
        _name(obj),
        spec.get("ingressClassName") or "<none>",
        hosts_text,
        ",".join(x for x in lb if x),
        "80, 443" if spec.get("tls") else "80",
        _age(obj, now),
    ]


def _ingressclass(obj: Obj, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    text = "<none>"
    if params:
        text = "/".join(x for x in (params.get("apiGroup"), params.get("kind"), params.get("name")) if x)
    return [_name(obj), spec.get("controller", ""), text, _age(obj, now)]


def _namespace(obj: Obj, now: datetime) -> list[Any]:
    return [_name(obj), (obj.get("status") or {}).get("phase", ""), _age(obj, now)]


_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def _modes(modes: list[str] | None) -> str:
    return ",".join(_MODES.get(m, m) for m in modes or [])


def _pvc(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else status.get("phase", "")
    bound = bool(spec.get("volumeName"))
    return [
        _name(obj),
        phase,
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", "") if bound else "",
        _modes(status.get("accessModes")) if bound else "",
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _pv(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace')}/{ref.get('name')}" if ref.get("name") else ""
    return [
        _name(obj),
        (spec.get("capacity") or {}).get("storage", ""),
        _modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        status.get("phase", ""),
        claim,
        spec.get("storageClassName", ""),
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason", ""),
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _storageclass(obj: Obj, now: datetime) -> list[Any]:
    ann = obj["metadata"].get("annotations") or {}
    name = _name(obj)
    if ann.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        obj.get("provisioner", ""),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion")),
        _age(obj, now),
    ]


def _quota(obj: Obj, now: datetime) -> list[Any]:
    status = obj.get("status") or {}
    hard, used = status.get("hard") or (obj.get("spec") or {}).get("hard") or {}, status.get("used") or {}
    req: list[str] = []
    lim: list[str] = []
    for name in sorted(hard):
        text = f"{name}: {used.get(name, '0')}/{hard[name]}"
        (lim if name.startswith("limits.") else req).append(text)
    return [_name(obj), _age(obj, now), ", ".join(req), ", ".join(lim)]


def _containers(tspec: Obj) -> tuple[str, str]:
    cs = tspec.get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _deployment(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        _name(obj),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        _age(obj, now),
        names,
        images,
        format_match(spec.get("selector")),
    ]


def _replicaset(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [
        _name(obj),
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        _age(obj, now),
        names,
        images,
        format_match(spec.get("selector")),
    ]


def _event(obj: Obj, now: datetime) -> list[Any]:
    first = (
        since(obj.get("firstTimestamp"), now)
        if obj.get("firstTimestamp")
        else since(obj.get("eventTime"), now)
    )
    last = since(obj.get("lastTimestamp"), now) if obj.get("lastTimestamp") else first
    count = obj.get("count") or 1
    if obj.get("series"):
        last = since(obj["series"].get("lastObservedTime"), now)
        count = obj["series"].get("count", count)
    inv = obj.get("involvedObject") or obj.get("regarding") or {}
    kind = str(inv.get("kind", "")).lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    src = obj.get("source") or obj.get("deprecatedSource") or {}
    component = src.get("component") or obj.get("reportingComponent") or obj.get("reportingController") or ""
    instance = src.get("host") or obj.get("reportingInstance") or ""
    source = f"{component}, {instance}" if instance else component
    message = (obj.get("message") or obj.get("note") or "").strip()
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        inv.get("fieldPath", ""),
        source,
        message,
        first,
        count,
        _name(obj),
    ]


def _configmap(obj: Obj, now: datetime) -> list[Any]:
    return [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, now)]


def _secret(obj: Obj, now: datetime) -> list[Any]:
    return [
        _name(obj),
        obj.get("type") or "Opaque",
        len(obj.get("data") or {}) + len(obj.get("stringData") or {}),
        _age(obj, now),
    ]


def _serviceaccount(obj: Obj, now: datetime) -> list[Any]:
    return [_name(obj), len(obj.get("secrets") or []), _age(obj, now)]


def _default(obj: Obj, now: datetime) -> list[Any]:
    return [_name(obj), _age(obj, now)]


def _columns(spec: str) -> list[Column]:
    """``"Name,Ready,IP*,Count#"``: ``*`` marks a wide (priority 1) column, ``#`` an integer one."""
    out = []
    for name in spec.split(","):
        wide, integer = name.endswith("*"), name.rstrip("*").endswith("#")
        out.append((name.rstrip("*").rstrip("#"), "integer" if integer else "string", 1 if wide else 0))
    return out


Printer = Callable[[Obj, datetime], list[Any]]
PRINTERS: dict[str, tuple[list[Column], Printer]] = {
    key: (_columns(spec), fn)
    for key, spec, fn in (
        ("pods", "Name,Ready,Status,Restarts,Age,IP*,Node*,Nominated Node*,Readiness Gates*", pod_cells),
        (
            "nodes",
            "Name,Status,Roles,Age,Version,Internal-IP*,External-IP*,OS-Image*,Kernel-Version*,"
            "Container-Runtime*",
            _node,
        ),
        ("services", "Name,Type,Cluster-IP,External-IP,Port(s),Age,Selector*", _service),
        ("endpoints", "Name,Endpoints,Age", _endpoints),
        ("endpointslices.discovery.k8s.io", "Name,AddressType,Ports,Endpoints,Age", _endpointslice),
        ("ingresses.networking.k8s.io", "Name,Class,Hosts,Address,Ports,Age", _ingress),
        ("ingressclasses.networking.k8s.io", "Name,Controller,Parameters,Age", _ingressclass),
        ("namespaces", "Name,Status,Age", _namespace),
        (
            "persistentvolumeclaims",
            "Name,Status,Volume,Capacity,Access Modes,StorageClass,VolumeAttributesClass,Age,VolumeMode*",
            _pvc,
        ),
        (
            "persistentvolumes",
            "Name,Capacity,Access Modes,Reclaim Policy,Status,Claim,StorageClass,"
            "VolumeAttributesClass,Reason,Age,VolumeMode*",
            _pv,
        ),
        (
            "storageclasses.storage.k8s.io",
            "Name,Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age",
            _storageclass,
        ),
        ("resourcequotas", "Name,Age,Request,Limit", _quota),
        (
            "deployments.apps",
            "Name,Ready,Up-to-date#,Available#,Age,Containers*,Images*,Selector*",
            _deployment,
        ),
        ("replicasets.apps", "Name,Desired#,Current#,Ready#,Age,Containers*,Images*,Selector*", _replicaset),
        (
            "events",
            "Last Seen,Type,Reason,Object,Subobject*,Source*,Message,First Seen*,Count*,Name*",
            _event,
        ),
        (
            "events.events.k8s.io",
            "Last Seen,Type,Reason,Object,Subobject*,Source*,Message,First Seen*,Count*,Name*",
            _event,
        ),
        ("configmaps", "Name,Data#,Age", _configmap),
        ("secrets", "Name,Type,Data#,Age", _secret),
        ("serviceaccounts", "Name,Secrets#,Age", _serviceaccount),
    )
}
DEFAULT: tuple[list[Column], Printer] = (_columns("Name,Age"), _default)


def column_definitions(resource: str) -> list[Obj]:
    """The ``columnDefinitions`` of ``resource``'s Table."""
    cols = PRINTERS.get(resource, DEFAULT)[0]
    return [
        {
            "name": n,
            "type": t,
            "format": "name" if n == "Name" and i == 0 else "",
            "description": n,
            "priority": p,
        }
        for i, (n, t, p) in enumerate(cols)
    ]


def row(resource: str, obj: Obj, now: datetime | None = None) -> Obj:
    """One Table row for ``obj``, with its metadata as ``PartialObjectMetadata``."""
    now = now or datetime.now(UTC)
    printer = PRINTERS.get(resource, DEFAULT)[1]
    return {
        "cells": printer(obj, now),
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        },
    }


def table(
    resource: str,
    items: list[Obj],
    *,
    resource_version: int | str,
    cont: str | None = None,
    remaining: int | None = None,
    now: datetime | None = None,
) -> Obj:
    """A ``meta.k8s.io/v1`` Table for ``items``."""
    now = now or datetime.now(UTC)
    meta: Obj = {"resourceVersion": str(resource_version)}
    if cont:
        meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": column_definitions(resource),
        "rows": [row(resource, o, now) for o in items],
    }
