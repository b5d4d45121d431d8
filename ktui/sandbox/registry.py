"""The resource types the sandbox serves, their discovery documents, and the two Event views.

A key names a resource the way ``kubectl api-resources`` does: ``pods``, ``deployments.apps``,
``ingresses.networking.k8s.io``. ``events.events.k8s.io`` is a second view of the core ``events``
storage, as in the real apiserver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource: names, scope, verbs and subresources."""

    plural: str
    singular: str
    kind: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: dict[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=dict
    )  # name -> (kind, verbs)
    storage: str = ""  # storage key when it differs from ``key`` (events.k8s.io events)

    @property
    def key(self) -> str:
        """``pods`` or ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def storage_key(self) -> str:
        """Which stored collection holds the objects."""
        return self.storage or self.key

    @property
    def api_version(self) -> str:
        """``v1`` or ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """``PodList``."""
        return self.kind + "List"

    def has_status(self) -> bool:
        """Whether PUT/PATCH on the main resource leaves ``status`` alone (a status subresource exists)."""
        return "status" in self.subresources


_STATUS = ("get", "patch", "update")

TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "namespaces",
        "namespace",
        "Namespace",
        namespaced=False,
        short_names=("ns",),
        verbs=NS_VERBS,
        subresources={"status": ("Namespace", _STATUS)},
    ),
    ResourceType(
        "nodes",
        "node",
        "Node",
        namespaced=False,
        short_names=("no",),
        subresources={"status": ("Node", _STATUS)},
    ),
    ResourceType(
        "pods",
        "pod",
        "Pod",
        short_names=("po",),
        categories=("all",),
        subresources={
            "log": ("Pod", ("get",)),
            "portforward": ("PodPortForwardOptions", ("create", "get")),
            "status": ("Pod", _STATUS),
        },
    ),
    ResourceType("events", "event", "Event", short_names=("ev",)),
    ResourceType(
        "services",
        "service",
        "Service",
        short_names=("svc",),
        categories=("all",),
        verbs=NS_VERBS,
        subresources={"status": ("Service", _STATUS)},
    ),
    ResourceType("endpoints", "endpoints", "Endpoints", short_names=("ep",)),
    ResourceType(
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        short_names=("pvc",),
        subresources={"status": ("PersistentVolumeClaim", _STATUS)},
    ),
    ResourceType(
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        namespaced=False,
        short_names=("pv",),
        subresources={"status": ("PersistentVolume", _STATUS)},
    ),
    ResourceType(
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        short_names=("quota",),
        subresources={"status": ("ResourceQuota", _STATUS)},
    ),
    ResourceType("configmaps", "configmap", "ConfigMap", short_names=("cm",)),
    ResourceType("secrets", "secret", "Secret"),
    ResourceType("serviceaccounts", "serviceaccount", "ServiceAccount", short_names=("sa",)),
    ResourceType(
        "deployments",
        "deployment",
        "Deployment",
        group="apps",
        short_names=("deploy",),
        categories=("all",),
        subresources={"scale": ("Scale", _STATUS), "status": ("Deployment", _STATUS)},
    ),
    ResourceType(
        "replicasets",
        "replicaset",
        "ReplicaSet",
        group="apps",
        short_names=("rs",),
        categories=("all",),
        subresources={"scale": ("Scale", _STATUS), "status": ("ReplicaSet", _STATUS)},
    ),
    ResourceType("endpointslices", "endpointslice", "EndpointSlice", group="discovery.k8s.io"),
    ResourceType(
        "ingresses",
        "ingress",
        "Ingress",
        group="networking.k8s.io",
        short_names=("ing",),
        subresources={"status": ("Ingress", _STATUS)},
    ),
    ResourceType(
        "ingressclasses", "ingressclass", "IngressClass", group="networking.k8s.io", namespaced=False
    ),
    ResourceType(
        "storageclasses",
        "storageclass",
        "StorageClass",
        group="storage.k8s.io",
        namespaced=False,
        short_names=("sc",),
    ),
    ResourceType("events", "event", "Event", group="events.k8s.io", short_names=("ev",), storage="events"),
)

BY_KEY: dict[str, ResourceType] = {t.key: t for t in TYPES}
BY_PATH: dict[tuple[str, str, str], ResourceType] = {(t.group, t.version, t.plural): t for t in TYPES}
BY_KIND: dict[tuple[str, str], ResourceType] = {(t.api_version, t.kind): t for t in TYPES}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(t.group for t in TYPES if t.group))


def get(key: str) -> ResourceType:
    """The type for a key such as ``pods`` or ``deployments.apps`` (KeyError if unknown)."""
    return BY_KEY[key]


def for_kind(api_version: str, kind: str) -> ResourceType | None:
    """The type an object's ``apiVersion``/``kind`` names, or None."""
    return BY_KIND.get((api_version, kind))


# ---- discovery documents -------------------------------------------------------------------------


def _aggregated_resource(t: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": t.plural,
        "singularResource": t.singular,
        "scope": "Namespaced" if t.namespaced else "Cluster",
        "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
        "verbs": list(t.verbs),
    }
    if t.short_names:
        entry["shortNames"] = list(t.short_names)
    if t.categories:
        entry["categories"] = list(t.categories)
    if t.subresources:
        entry["subresources"] = [
            {
                "subresource": name,
                "responseKind": {
                    "group": t.group if kind != "Scale" else "autoscaling",
                    "version": t.version,
                    "kind": kind,
                },
                "verbs": list(verbs),
            }
            for name, (kind, verbs) in sorted(t.subresources.items())
        ]
    return entry


def _group_types(group: str) -> list[ResourceType]:
    return [t for t in TYPES if t.group == group]


def aggregated_discovery(core: bool) -> dict[str, Any]:
    """The ``APIGroupDiscoveryList`` for ``/api`` (core) or ``/apis`` (named groups)."""
    groups = [""] if core else list(GROUPS)
    items = []
    for group in groups:
        meta: dict[str, Any] = {"creationTimestamp": None}
        if group:
            meta = {"name": group, "creationTimestamp": None}
        resources = [_aggregated_resource(t) for t in _group_types(group)]
        items.append(
            {
                "metadata": meta,
                "versions": [{"version": "v1", "freshness": "Current", "resources": resources}],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def legacy_versions() -> dict[str, Any]:
    """``/api`` without aggregation: ``APIVersions``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    }


def legacy_groups() -> dict[str, Any]:
    """``/apis`` without aggregation: ``APIGroupList``."""
    groups = []
    for group in GROUPS:
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def legacy_group(group: str) -> dict[str, Any]:
    """``/apis/<group>``: ``APIGroup``."""
    gv = {"groupVersion": f"{group}/v1", "version": "v1"}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv], "preferredVersion": gv}


def legacy_resources(group: str) -> dict[str, Any]:
    """``/api/v1`` or ``/apis/<group>/v1``: ``APIResourceList``."""
    resources: list[dict[str, Any]] = []
    for t in _group_types(group):
        entry: dict[str, Any] = {
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": list(t.verbs),
        }
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.categories:
            entry["categories"] = list(t.categories)
        resources.append(entry)
        for name, (kind, verbs) in sorted(t.subresources.items()):
            resources.append(
                {
                    "name": f"{t.plural}/{name}",
                    "singularName": "",
                    "namespaced": t.namespaced,
                    "kind": kind,
                    "verbs": list(verbs),
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/v1" if group else "v1",
        "resources": resources,
    }


# ---- the two Event views --------------------------------------------------------------------------

_CORE_TO_V1 = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
)
_PLAIN = ("metadata", "related", "reason", "type", "action", "series", "reportingInstance", "eventTime")


def event_to_v1(core: dict[str, Any]) -> dict[str, Any]:
    """A stored core/v1 Event as events.k8s.io/v1 serves it; ``eventTime`` always set (v37 needs it)."""
    out: dict[str, Any] = {"kind": "Event", "apiVersion": "events.k8s.io/v1"}
    for name in _PLAIN:
        if core.get(name) is not None:
            out[name] = core[name]
    for old, new in _CORE_TO_V1:
        if core.get(old) is not None:
            out[new] = core[old]
    if not out.get("eventTime"):
        stamp = (
            core.get("firstTimestamp")
            or core.get("lastTimestamp")
            or core["metadata"].get("creationTimestamp")
        )
        out["eventTime"] = _micro(stamp)
    return out


def event_from_v1(new: dict[str, Any]) -> dict[str, Any]:
    """An events.k8s.io/v1 Event body converted to the core/v1 storage form."""
    out: dict[str, Any] = {"kind": "Event", "apiVersion": "v1"}
    for name in _PLAIN:
        if new.get(name) is not None:
            out[name] = new[name]
    for old, name in _CORE_TO_V1:
        if new.get(name) is not None:
            out[old] = new[name]
    out.setdefault("involvedObject", {})
    return out


def _micro(stamp: str | None) -> str:
    if not stamp:
        return "1970-01-01T00:00:00.000000Z"
    if stamp.endswith("Z") and "." not in stamp:
        return stamp[:-1] + ".000000Z"
    return stamp
