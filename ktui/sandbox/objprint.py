"""Table cells of the other kinds: namespaces, storage, quotas, workloads, events, config and accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ktui.sandbox.printfmt import Printer, age_of, name_of, since
from ktui.sandbox.selectors import format_match

Obj = dict[str, Any]


def _namespace(obj: Obj, now: datetime) -> list[Any]:
    return [name_of(obj), (obj.get("status") or {}).get("phase", ""), age_of(obj, now)]


_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def _modes(modes: list[str] | None) -> str:
    return ",".join(_MODES.get(m, m) for m in modes or [])


def _pvc(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else status.get("phase", "")
    bound = bool(spec.get("volumeName"))
    return [
        name_of(obj),
        phase,
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", "") if bound else "",
        _modes(status.get("accessModes")) if bound else "",
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        age_of(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _pv(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace')}/{ref.get('name')}" if ref.get("name") else ""
    return [
        name_of(obj),
        (spec.get("capacity") or {}).get("storage", ""),
        _modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        status.get("phase", ""),
        claim,
        spec.get("storageClassName", ""),
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason", ""),
        age_of(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _storageclass(obj: Obj, now: datetime) -> list[Any]:
    ann = obj["metadata"].get("annotations") or {}
    name = name_of(obj)
    if ann.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        obj.get("provisioner", ""),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion")),
        age_of(obj, now),
    ]


def _quota(obj: Obj, now: datetime) -> list[Any]:
    status = obj.get("status") or {}
    hard, used = status.get("hard") or (obj.get("spec") or {}).get("hard") or {}, status.get("used") or {}
    req: list[str] = []
    lim: list[str] = []
    for name in sorted(hard):
        text = f"{name}: {used.get(name, '0')}/{hard[name]}"
        (lim if name.startswith("limits.") else req).append(text)
    return [name_of(obj), age_of(obj, now), ", ".join(req), ", ".join(lim)]


def _containers(tspec: Obj) -> tuple[str, str]:
    cs = tspec.get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _workload(obj: Obj, now: datetime, counts: list[Any]) -> list[Any]:
    """Name, the kind's replica counts, Age, then the pod template's Containers, Images and Selector."""
    spec = obj.get("spec") or {}
    names, images = _containers((spec.get("template") or {}).get("spec") or {})
    return [name_of(obj), *counts, age_of(obj, now), names, images, format_match(spec.get("selector"))]


def _deployment(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    return _workload(obj, now, [ready, status.get("updatedReplicas", 0), status.get("availableReplicas", 0)])


def _replicaset(obj: Obj, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    counts = [spec.get("replicas", 1), status.get("replicas", 0), status.get("readyReplicas", 0)]
    return _workload(obj, now, counts)


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
        name_of(obj),
    ]


def _configmap(obj: Obj, now: datetime) -> list[Any]:
    return [name_of(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age_of(obj, now)]


def _secret(obj: Obj, now: datetime) -> list[Any]:
    return [
        name_of(obj),
        obj.get("type") or "Opaque",
        len(obj.get("data") or {}) + len(obj.get("stringData") or {}),
        age_of(obj, now),
    ]


def _serviceaccount(obj: Obj, now: datetime) -> list[Any]:
    return [name_of(obj), len(obj.get("secrets") or []), age_of(obj, now)]


def default_cells(obj: Obj, now: datetime) -> list[Any]:
    """Name and Age: the cells of kinds without a printer of their own."""
    return [name_of(obj), age_of(obj, now)]


_EVENT_COLUMNS = "Last Seen,Type,Reason,Object,Subobject*,Source*,Message,First Seen*,Count*,Name*"
CELLS: dict[str, tuple[str, Printer]] = {
    "namespaces": ("Name,Status,Age", _namespace),
    "persistentvolumeclaims": (
        "Name,Status,Volume,Capacity,Access Modes,StorageClass,VolumeAttributesClass,Age,VolumeMode*",
        _pvc,
    ),
    "persistentvolumes": (
        "Name,Capacity,Access Modes,Reclaim Policy,Status,Claim,StorageClass,"
        "VolumeAttributesClass,Reason,Age,VolumeMode*",
        _pv,
    ),
    "storageclasses.storage.k8s.io": (
        "Name,Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age",
        _storageclass,
    ),
    "resourcequotas": ("Name,Age,Request,Limit", _quota),
    "deployments.apps": ("Name,Ready,Up-to-date#,Available#,Age,Containers*,Images*,Selector*", _deployment),
    "replicasets.apps": ("Name,Desired#,Current#,Ready#,Age,Containers*,Images*,Selector*", _replicaset),
    "events": (_EVENT_COLUMNS, _event),
    "events.events.k8s.io": (_EVENT_COLUMNS, _event),
    "configmaps": ("Name,Data#,Age", _configmap),
    "secrets": ("Name,Type,Data#,Age", _secret),
    "serviceaccounts": ("Name,Secrets#,Age", _serviceaccount),
}
"""Column spec (see ``tables.columns``) and cell printer per resource key."""
