"""Lookups built once per snapshot so every rule is a dictionary hit, never a scan (10k pods < 200 ms)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ktui.diagnosis.rules.events import EventIndex
from ktui.resources import (
    ClusterSnapshot,
    ConfigMap,
    Endpoints,
    EndpointSlice,
    Event,
    IngressClass,
    Node,
    PersistentVolumeClaim,
    Pod,
    ReplicaSet,
    Secret,
    Service,
    ServiceAccount,
    StorageClass,
)

RESOURCE_OF_KIND: dict[str, str] = {
    "Pod": "pods",
    "Service": "services",
    "EndpointSlice": "endpointslices",
    "Endpoints": "endpoints",
    "Ingress": "ingresses",
    "IngressClass": "ingressclasses",
    "Event": "events",
    "Node": "nodes",
    "Namespace": "namespaces",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "PersistentVolume": "persistentvolumes",
    "StorageClass": "storageclasses",
    "ResourceQuota": "resourcequotas",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "ServiceAccount": "serviceaccounts",
    "Deployment": "deployments",
    "ReplicaSet": "replicasets",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
    "Job": "jobs",
}
"""The API resource name of each kind (the key of ``snapshot.forbidden`` is 'list <resource>')."""

NsName = tuple[str, str]


def _key(obj: Any) -> NsName:
    return (obj.metadata.namespace, obj.metadata.name)


class Index:
    """Every lookup the rules need, from one snapshot."""

    def __init__(self, snap: ClusterSnapshot) -> None:
        self.snap = snap
        self.now = snap.now
        self.events = EventIndex(snap.events)
        self.pods_by_ns: dict[str, list[Pod]] = defaultdict(list)
        self.pod_by_uid: dict[str, Pod] = {}
        self.pod_by_key: dict[NsName, Pod] = {}
        # (namespace, key, value) -> pods, to intersect a Service selector without scanning the namespace
        self.pods_by_label: dict[tuple[str, str, str], list[Pod]] = defaultdict(list)
        self.children: dict[str, list[Any]] = defaultdict(list)  # owner uid (or Kind/ns/name) -> owned
        for pod in snap.pods:
            meta = pod.metadata
            self.pods_by_ns[meta.namespace].append(pod)
            if meta.uid:
                self.pod_by_uid[meta.uid] = pod
            self.pod_by_key[(meta.namespace, meta.name)] = pod
            if meta.labels:
                for k, v in meta.labels.items():
                    self.pods_by_label[(meta.namespace, k, v)].append(pod)
            self._own(pod)
        for rs in snap.replica_sets:
            self._own(rs)
        for job in snap.jobs:
            self._own(job)
        self.services: dict[NsName, Service] = {_key(s): s for s in snap.services}
        self.slices: dict[NsName, list[EndpointSlice]] = defaultdict(list)
        for sl in snap.endpoint_slices:
            self.slices[(sl.metadata.namespace, sl.service_name)].append(sl)
        self.endpoints: dict[NsName, Endpoints] = {_key(e): e for e in snap.endpoints}
        self.config_maps: dict[NsName, ConfigMap] = {_key(c): c for c in snap.config_maps}
        self.secrets: dict[NsName, Secret] = {_key(s): s for s in snap.secrets}
        self.service_accounts: dict[NsName, ServiceAccount] = {_key(s): s for s in snap.service_accounts}
        self.pvcs: dict[NsName, PersistentVolumeClaim] = {_key(p): p for p in snap.persistent_volume_claims}
        self.storage_classes: dict[str, StorageClass] = {s.metadata.name: s for s in snap.storage_classes}
        self.nodes: dict[str, Node] = {n.metadata.name: n for n in snap.nodes}
        self.ingress_classes: dict[str, IngressClass] = {c.metadata.name: c for c in snap.ingress_classes}
        self.replica_sets: dict[str, ReplicaSet] = {
            r.metadata.uid or "/".join(_key(r)): r for r in snap.replica_sets
        }
        self.pod_namespaces = frozenset(self.pods_by_ns)
        self._synced = snap.synced

    def _own(self, obj: Any) -> None:
        for ref in obj.metadata.owner_references:
            if ref.controller is False:
                continue
            self.children[ref.uid or f"{ref.kind}/{obj.metadata.namespace}/{ref.name}"].append(obj)

    def owned(self, owner: Any) -> list[Any]:
        """Objects whose controller is ``owner`` (by uid, by kind/ns/name for dumps without uids)."""
        meta = owner.metadata
        found = list(self.children.get(meta.uid, ())) if meta.uid else []
        found.extend(self.children.get(f"{owner.kind}/{meta.namespace}/{meta.name}", ()))
        return found

    def events_of(self, obj: Any) -> list[Event]:
        """The object's events, newest first."""
        meta = obj.metadata
        return self.events.for_object(obj.kind, meta.namespace, meta.name, meta.uid)

    def forbidden(self, kind: str) -> str | None:
        """The server's message if RBAC refused listing ``kind``, else None."""
        resource = RESOURCE_OF_KIND.get(kind, kind.lower() + "s")
        for key, message in self.snap.forbidden.items():
            verb, _, res = key.partition(" ")
            if res.split("/")[0].split(".")[0] == resource or key == resource:
                return message or f"{verb} {resource} forbidden"
        return None

    def known(self, kind: str) -> bool:
        """Whether the snapshot holds the full list of ``kind`` (synced, and not forbidden).

        A snapshot built without ``synced`` information (hand-made, old callers) counts as complete.
        """
        if self.forbidden(kind) is not None:
            return False
        if not self._synced:
            return True
        return kind in self._synced or RESOURCE_OF_KIND.get(kind, "") in self._synced

    def selected_pods(self, namespace: str, selector: dict[str, str]) -> list[Pod]:
        """Pods in ``namespace`` whose labels contain every pair of ``selector``."""
        if not selector:
            return []
        lists = [self.pods_by_label.get((namespace, k, v), []) for k, v in selector.items()]
        lists.sort(key=len)
        if not lists[0]:
            return []
        if len(lists) == 1:
            return list(lists[0])
        labels_ok = [
            p for p in lists[0] if all((p.metadata.labels or {}).get(k) == v for k, v in selector.items())
        ]
        return labels_ok

    def multi_namespace_view(self) -> bool:
        """Whether objects of several namespaces are visible (a cluster-wide snapshot, not one namespace)."""
        if len(self.pod_namespaces) > 1:
            return True
        seen = {
            o.metadata.namespace
            for kind in (self.snap.services, self.snap.deployments, self.snap.config_maps)
            for o in kind
        }
        return len(seen | self.pod_namespaces) > 1

    def workloads_matching(self, namespace: str | None, selector: dict[str, str]) -> list[Any]:
        """Deployments, StatefulSets and DaemonSets whose pod template carries every label of ``selector``."""
        out = []
        for kind in (self.snap.deployments, self.snap.stateful_sets, self.snap.daemon_sets):
            for w in kind:
                if namespace is not None and w.metadata.namespace != namespace:
                    continue
                labels = w.spec.template.metadata.labels or {}
                if selector and all(labels.get(k) == v for k, v in selector.items()):
                    out.append(w)
        return out
