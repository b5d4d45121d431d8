"""Lookups the rules use, built once per snapshot and then kept up to date change by change.

Every rule is a dictionary hit, never a scan (10k pods < 200 ms for a full pass). Pods and events,
the two big and busy kinds, are indexed incrementally (``apply_pods``, ``apply_events``: work
proportional to what changed); the other kinds are small and are re-indexed whole when they change
(``refresh``). Groups of pods and events keep each record's position in the snapshot (a sequence
number), so an incrementally kept index answers in the same order as one built from scratch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ktui.diagnosis.clock import Clock
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
Group = dict[str, int]
"""store key -> position in the snapshot: ordered reads sort on the position."""


def _key(obj: Any) -> NsName:
    return (obj.metadata.namespace, obj.metadata.name)


def store_key(obj: Any) -> str:
    """The key a record is stored and tracked under: its uid, or namespace/name without one."""
    meta = obj.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


def _second(item: tuple[str, int]) -> int:
    return item[1]


def _owner_keys(obj: Any) -> list[str]:
    return [
        ref.uid or f"{ref.kind}/{obj.metadata.namespace}/{ref.name}"
        for ref in obj.metadata.owner_references
        if ref.controller is not False
    ]


class Index:
    """Every lookup the rules need, from one snapshot (and kept current by the incremental engine)."""

    def __init__(self, snap: ClusterSnapshot) -> None:
        self.snap = snap
        self.now: datetime = Clock(snap.now)
        self._seq = 0
        self.pods: dict[str, Pod] = {}
        """store key -> pod (its position is in its namespace group: no pair per pod)."""
        self._pods_by_ns: dict[str, Group] = defaultdict(dict)
        self._pods_by_label: dict[tuple[str, str, str], Group] = defaultdict(dict)
        # The label keys _pods_by_label holds: those a rule asked about (a Service's selector names
        # two or three of the six or so labels a pod carries; the rest would cost ~1.3 MB at 10k pods).
        self._label_keys: set[str] = set()
        self._pod_children: dict[str, Group] = defaultdict(dict)
        self.events = EventIndex()
        # Live snapshots come from a store keyed like this; a dump may repeat a key (no uids): then
        # every record keeps its own slot, and the index is only good for one full pass.
        self.incremental = True
        pairs: tuple[tuple[Sequence[Any], Any], ...] = (
            (snap.pods, self.apply_pods), (snap.events, self.events.apply)
        )
        for records, apply in pairs:
            keyed = {store_key(r): r for r in records}
            if len(keyed) != len(records):
                keyed = {f"#{i}": r for i, r in enumerate(records)}
                self.incremental = False
            apply(keyed)
        self.refresh(snap, None)

    # ---- keeping it current -------------------------------------------------------------------

    def retarget(self, snap: ClusterSnapshot) -> None:
        """Point at a newer snapshot of the same cluster (its changes applied separately)."""
        self.snap = snap
        self.now = Clock(snap.now)
        self._synced = snap.synced

    def apply_pods(self, changed: Mapping[str, Pod | None]) -> None:
        """Pods added, modified (same position) or deleted (None), in the store's order."""
        for key, pod in changed.items():
            old = self.pods.get(key)
            if old is not None:
                if pod is not None and _same_place(old, pod):
                    self.pods[key] = pod  # same groups: the common status update is O(1)
                    continue
                seq = self._pods_by_ns[old.metadata.namespace][key]
                self._unindex_pod(key, old)
            else:
                seq = self._seq
                self._seq += 1
            if pod is None:
                self.pods.pop(key, None)
                continue
            self.pods[key] = pod
            meta = pod.metadata
            self._pods_by_ns[meta.namespace][key] = seq
            if meta.labels and self._label_keys:
                indexed = self._label_keys
                for k, v in meta.labels.items():
                    if k in indexed:
                        self._pods_by_label[(meta.namespace, k, v)][key] = seq
            for owner in _owner_keys(pod):
                self._pod_children[owner][key] = seq

    def _unindex_pod(self, key: str, pod: Pod) -> None:
        meta = pod.metadata
        _drop(self._pods_by_ns, meta.namespace, key)
        indexed = self._label_keys
        for k, v in (meta.labels or {}).items():
            if k in indexed:
                _drop(self._pods_by_label, (meta.namespace, k, v), key)
        for owner in _owner_keys(pod):
            _drop(self._pod_children, owner, key)

    def _labelled(self, namespace: str, label: str, value: str) -> Group | None:
        """The pods of a namespace carrying label=value (by store key), indexing ``label`` on first ask."""
        if label not in self._label_keys:
            self._label_keys.add(label)
            groups, pods = self._pods_by_label, self.pods
            for ns, group in self._pods_by_ns.items():
                for key, seq in group.items():
                    labels = pods[key].metadata.labels
                    if labels and label in labels:
                        groups[(ns, label, labels[label])][key] = seq
        return self._pods_by_label.get((namespace, label, value))

    def refresh(self, snap: ClusterSnapshot, kinds: Iterable[str] | None) -> None:
        """Re-index the small kinds (by snapshot field name; None: all of them)."""
        todo = set(_SMALL) if kinds is None else set(kinds) & _SMALL
        if "services" in todo:
            self.services: dict[NsName, Service] = {_key(s): s for s in snap.services}
        if "endpoint_slices" in todo:
            self.slices: dict[NsName, list[EndpointSlice]] = defaultdict(list)
            for sl in snap.endpoint_slices:
                self.slices[(sl.metadata.namespace, sl.service_name)].append(sl)
        if "endpoints" in todo:
            self.endpoints: dict[NsName, Endpoints] = {_key(e): e for e in snap.endpoints}
        if "config_maps" in todo:
            self.config_maps: dict[NsName, ConfigMap] = {_key(c): c for c in snap.config_maps}
        if "secrets" in todo:
            self.secrets: dict[NsName, Secret] = {_key(s): s for s in snap.secrets}
        if "service_accounts" in todo:
            self.service_accounts: dict[NsName, ServiceAccount] = {_key(s): s for s in snap.service_accounts}
        if "persistent_volume_claims" in todo:
            claims = snap.persistent_volume_claims
            self.pvcs: dict[NsName, PersistentVolumeClaim] = {_key(p): p for p in claims}
        if "storage_classes" in todo:
            self.storage_classes: dict[str, StorageClass] = {s.metadata.name: s for s in snap.storage_classes}
        if "nodes" in todo:
            self.nodes: dict[str, Node] = {n.metadata.name: n for n in snap.nodes}
        if "ingress_classes" in todo:
            self.ingress_classes: dict[str, IngressClass] = {c.metadata.name: c for c in snap.ingress_classes}
        if todo & {"replica_sets", "jobs"}:
            self.replica_sets: dict[str, ReplicaSet] = {
                r.metadata.uid or "/".join(_key(r)): r for r in snap.replica_sets
            }
            self._other_children: dict[str, list[Any]] = defaultdict(list)
            for obj in (*snap.replica_sets, *snap.jobs):
                for owner in _owner_keys(obj):
                    self._other_children[owner].append(obj)
        if todo & {"deployments", "stateful_sets", "daemon_sets"}:
            # By each label of their pod template: a selector's candidates are the workloads carrying
            # one of its labels, not every workload of the namespace (each Service asks).
            self._workloads: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
            self._all_workloads: dict[tuple[str, str], list[Any]] = defaultdict(list)
            for kind in (snap.deployments, snap.stateful_sets, snap.daemon_sets):
                for w in kind:
                    for k, v in (w.spec.template.metadata.labels or {}).items():
                        self._workloads[(w.metadata.namespace, k, v)].append(w)
                        self._all_workloads[(k, v)].append(w)
        self._synced = snap.synced

    # ---- reads --------------------------------------------------------------------------------

    def _ordered(self, group: Group | None) -> list[Pod]:
        if not group:
            return []
        pods = self.pods
        return [pods[key] for key, _ in sorted(group.items(), key=_second)]

    @property
    def pod_namespaces(self) -> frozenset[str]:
        """Namespaces that hold at least one pod."""
        return frozenset(ns for ns, group in self._pods_by_ns.items() if group)

    def pods_in(self, namespace: str) -> list[Pod]:
        """The pods of one namespace, in snapshot order."""
        return self._ordered(self._pods_by_ns.get(namespace))

    def pod_keys(self, namespace: str, names: Collection[str]) -> list[str]:
        """Store keys of the pods in ``namespace`` that have one of these names."""
        pods = self.pods
        return [key for key in self._pods_by_ns.get(namespace, ()) if pods[key].metadata.name in names]

    def pods_with(self, namespace: str, key: str, value: str) -> list[Pod]:
        """The pods of one namespace carrying label key=value, in snapshot order."""
        return self._ordered(self._labelled(namespace, key, value))

    def has_label(self, namespace: str, key: str, value: str) -> bool:
        """Whether any pod of the namespace carries key=value."""
        return bool(self._labelled(namespace, key, value))

    def owned(self, owner: Any) -> list[Any]:
        """Objects whose controller is ``owner`` (by uid, by kind/ns/name for dumps without uids)."""
        meta = owner.metadata
        keys = ([meta.uid] if meta.uid else []) + [f"{owner.kind}/{meta.namespace}/{meta.name}"]
        found: list[Any] = []
        for k in keys:
            found.extend(self._ordered(self._pod_children.get(k)))
            found.extend(self._other_children.get(k, ()))
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

    def listing(self, kind: str) -> bool:
        """Whether ``kind`` is still being listed: a live store's snapshot (it carries a change set;
        a dump does not) saying what is synced, ``kind`` not among it, and not refused."""
        return (
            self.snap.changes is not None and bool(self._synced) and not self.known(kind)
            and self.forbidden(kind) is None
        )

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
        """Pods in ``namespace`` whose labels contain every pair of ``selector``, in snapshot order."""
        if not selector:
            return []
        groups: list[Group] = []
        for pair in selector.items():
            group = self._labelled(namespace, *pair)
            if not group:
                return []
            groups.append(group)
        groups.sort(key=len)
        first, rest = groups[0], groups[1:]
        if not rest:
            return self._ordered(first)
        # a pod is in a pair's group exactly when it carries that label: intersect the groups
        return self._ordered({key: pos for key, pos in first.items() if all(key in g for g in rest)})

    def multi_namespace_view(self) -> bool:
        """Whether objects of several namespaces are visible (a cluster-wide snapshot, not one namespace)."""
        namespaces = self.pod_namespaces
        if len(namespaces) > 1:
            return True
        seen = {
            o.metadata.namespace
            for kind in (self.snap.services, self.snap.deployments, self.snap.config_maps)
            for o in kind
        }
        return len(seen | namespaces) > 1

    def workloads_matching(self, namespace: str | None, selector: dict[str, str]) -> list[Any]:
        """Deployments, StatefulSets and DaemonSets whose pod template carries every label of ``selector``."""
        if not selector:
            return []
        k, v = next(iter(selector.items()))
        candidates = self._all_workloads.get((k, v), ()) if namespace is None else self._workloads.get(
            (namespace, k, v), ()
        )
        out = []
        for w in candidates:
            labels = w.spec.template.metadata.labels or {}
            if all(labels.get(k) == v for k, v in selector.items()):
                out.append(w)
        return out


_SMALL = frozenset(
    {
        "services", "endpoint_slices", "endpoints", "config_maps", "secrets", "service_accounts",
        "persistent_volume_claims", "storage_classes", "nodes", "ingress_classes", "replica_sets",
        "jobs", "deployments", "stateful_sets", "daemon_sets",
    }
)
"""Snapshot fields re-indexed whole when they change."""


def _same_place(old: Pod, new: Pod) -> bool:
    """Whether a pod stays in the same namespace, label and owner groups."""
    a, b = old.metadata, new.metadata
    return a.namespace == b.namespace and a.labels == b.labels and a.owner_references == b.owner_references


def _drop(table: dict[Any, Group], group: Any, key: str) -> None:
    members = table.get(group)
    if members is not None:
        members.pop(key, None)
        if not members:
            del table[group]
