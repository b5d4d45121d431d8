"""Slim, immutable records of the Kubernetes objects ktui reads, and the cluster snapshot.

The records mirror the Kubernetes JSON shape (camelCase on the wire, snake_case here) but keep only
the fields ktui uses, so one decoder serves the API server's raw responses and dump files alike:
``msgspec.json.decode(raw, type=PodList)`` or ``msgspec.convert(obj_dict, Pod)``.
They are msgspec Structs (frozen, not tracked by the GC) because decoding into them costs ~10 us and
~3.5 KB per pod, against ~2 ms and ~80 KB for the official client's models. No textual, kubernetes
or rich here: the diagnosis engine and the model layer stand on this module alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from ktui.resources.cluster import *  # noqa: F403
from ktui.resources.cluster import (
    ConfigMap,
    Event,
    Namespace,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    ResourceQuota,
    Secret,
    ServiceAccount,
    StorageClass,
)
from ktui.resources.meta import *  # noqa: F403
from ktui.resources.meta import K8s
from ktui.resources.network import *  # noqa: F403
from ktui.resources.network import Endpoints, EndpointSlice, Ingress, IngressClass, Service
from ktui.resources.pods import *  # noqa: F403
from ktui.resources.pods import Pod
from ktui.resources.workloads import *  # noqa: F403
from ktui.resources.workloads import DaemonSet, Deployment, Job, ReplicaSet, StatefulSet

# --------------------------------------------------------------------------- probes and the snapshot


class Ref(K8s, frozen=True, kw_only=True):
    """Names one object: the subject of a finding or a probe."""

    kind: str
    namespace: str = ""
    name: str
    uid: str = ""


class ProbeResult(K8s, frozen=True, kw_only=True):
    """The outcome of one reachability probe (pod, service or ingress), fed back into diagnosis."""

    target: Ref
    ok: bool
    tested: str = ""
    summary: str = ""
    detail: str = ""
    hop: str = ""
    port: int | str | None = None
    status_code: int | None = None
    latency_ms: float | None = None
    at: datetime | None = None


AnyObject = (
    Pod | Service | EndpointSlice | Endpoints | Ingress | IngressClass | Event | Node | Namespace
    | PersistentVolumeClaim | PersistentVolume | StorageClass | ResourceQuota | ConfigMap | Secret
    | ServiceAccount | Deployment | ReplicaSet | StatefulSet | DaemonSet | Job
)

KIND_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        Pod, Service, EndpointSlice, Endpoints, Ingress, IngressClass, Event, Node, Namespace,
        PersistentVolumeClaim, PersistentVolume, StorageClass, ResourceQuota, ConfigMap, Secret,
        ServiceAccount, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
    )
}
"""Record type by Kubernetes kind."""


class ClusterSnapshot(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An immutable view of everything ktui knows about the cluster at one moment.

    ``forbidden`` maps a read that RBAC refused (e.g. ``"list endpointslices"``) to the server's
    message, so rules can say "cannot verify" instead of "missing". ``synced`` lists the resources
    that have been listed at least once; a rule must not conclude "missing" about a resource that
    is neither synced nor in a dump.

    Each kind is a tuple, or (from a live store) a ``records.Records``: the same sequence, handed out
    without copying, that also reads one record by key (``get``).
    """

    now: datetime
    pods: Sequence[Pod] = ()
    services: Sequence[Service] = ()
    endpoint_slices: Sequence[EndpointSlice] = ()
    endpoints: Sequence[Endpoints] = ()
    ingresses: Sequence[Ingress] = ()
    ingress_classes: Sequence[IngressClass] = ()
    events: Sequence[Event] = ()
    nodes: Sequence[Node] = ()
    namespaces: Sequence[Namespace] = ()
    persistent_volume_claims: Sequence[PersistentVolumeClaim] = ()
    persistent_volumes: Sequence[PersistentVolume] = ()
    storage_classes: Sequence[StorageClass] = ()
    resource_quotas: Sequence[ResourceQuota] = ()
    config_maps: Sequence[ConfigMap] = ()
    secrets: Sequence[Secret] = ()
    service_accounts: Sequence[ServiceAccount] = ()
    deployments: Sequence[Deployment] = ()
    replica_sets: Sequence[ReplicaSet] = ()
    stateful_sets: Sequence[StatefulSet] = ()
    daemon_sets: Sequence[DaemonSet] = ()
    jobs: Sequence[Job] = ()
    probes: tuple[ProbeResult, ...] = ()
    forbidden: dict[str, str] = {}
    synced: frozenset[str] = frozenset()
    version: int = 0
    # Appended by the diagnosis engineer: the last log lines of a container's previous run (or of the
    # current one when it never restarted), keyed "namespace/pod/container"; crash findings quote them.
    logs: dict[str, tuple[str, ...]] = {}
    # Appended for incremental consumers (ktui.model.store): what changed since the store's snapshot of
    # version ``changes_since``, by kind ("Pod") -> store key (uid, or namespace/name) -> the record now,
    # or None when it was deleted; a kind maps to None when all of it changed (a relist). None: unknown.
    changes: dict[str, dict[str, Any] | None] | None = None
    changes_since: int = -1


SNAPSHOT_FIELD_BY_KIND: dict[str, str] = {
    "Pod": "pods", "Service": "services", "EndpointSlice": "endpoint_slices",
    "Endpoints": "endpoints", "Ingress": "ingresses", "IngressClass": "ingress_classes",
    "Event": "events", "Node": "nodes", "Namespace": "namespaces",
    "PersistentVolumeClaim": "persistent_volume_claims", "PersistentVolume": "persistent_volumes",
    "StorageClass": "storage_classes", "ResourceQuota": "resource_quotas",
    "ConfigMap": "config_maps", "Secret": "secrets", "ServiceAccount": "service_accounts",
    "Deployment": "deployments", "ReplicaSet": "replica_sets", "StatefulSet": "stateful_sets",
    "DaemonSet": "daemon_sets", "Job": "jobs",
}
"""Which ClusterSnapshot field holds each kind."""


def ref_of(obj: Any) -> Ref:
    """The Ref naming a record."""
    meta = obj.metadata
    return Ref(kind=obj.kind, namespace=meta.namespace, name=meta.name, uid=meta.uid)
