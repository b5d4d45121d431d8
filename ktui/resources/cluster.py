"""Events, nodes, namespaces, storage, quotas, config and service accounts."""

from __future__ import annotations

from datetime import datetime

from ktui.resources.meta import Condition, K8s, LocalObjectReference, ObjectMeta
from ktui.resources.network import ObjectReference
from ktui.resources.pods import ResourceRequirements

# ---- events


class EventSource(K8s, frozen=True):
    """source {component, host}."""

    component: str | None = None
    host: str | None = None


class EventSeries(K8s, frozen=True):
    """series {count, lastObservedTime} of new-style events."""

    count: int = 0
    last_observed_time: datetime | None = None


class Event(K8s, frozen=True, kw_only=True):
    """A core/v1 Event (events.k8s.io/v1 events are mapped onto this shape when read)."""

    metadata: ObjectMeta = ObjectMeta()
    involved_object: ObjectReference = ObjectReference()
    reason: str | None = None
    message: str | None = None
    type: str | None = None
    count: int | None = None
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    event_time: datetime | None = None
    series: EventSeries | None = None
    source: EventSource | None = None
    reporting_component: str | None = None
    reporting_instance: str | None = None
    action: str | None = None
    kind: str = "Event"


# ---- nodes, namespaces


class Taint(K8s, frozen=True):
    """A node taint."""

    key: str = ""
    value: str | None = None
    effect: str = ""


class NodeSpec(K8s, frozen=True):
    """The Node spec."""

    unschedulable: bool | None = None
    taints: tuple[Taint, ...] = ()


class NodeAddress(K8s, frozen=True):
    """A node address."""

    type: str = ""
    address: str = ""


class NodeStatus(K8s, frozen=True):
    """The Node status."""

    conditions: tuple[Condition, ...] = ()
    allocatable: dict[str, str] | None = None
    capacity: dict[str, str] | None = None
    addresses: tuple[NodeAddress, ...] = ()


class Node(K8s, frozen=True, kw_only=True):
    """A Node (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()
    kind: str = "Node"


class NamespaceStatus(K8s, frozen=True):
    """The Namespace status."""

    phase: str | None = None


class Namespace(K8s, frozen=True, kw_only=True):
    """A Namespace."""

    metadata: ObjectMeta = ObjectMeta()
    status: NamespaceStatus = NamespaceStatus()
    kind: str = "Namespace"


# ---- storage, quota, config


class PVCSpec(K8s, frozen=True):
    """The PersistentVolumeClaim spec."""

    storage_class_name: str | None = None
    volume_name: str | None = None
    access_modes: tuple[str, ...] = ()
    resources: ResourceRequirements | None = None


class PVCStatus(K8s, frozen=True):
    """The PersistentVolumeClaim status."""

    phase: str | None = None


class PersistentVolumeClaim(K8s, frozen=True, kw_only=True):
    """A PersistentVolumeClaim."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PVCSpec = PVCSpec()
    status: PVCStatus = PVCStatus()
    kind: str = "PersistentVolumeClaim"


class PVSpec(K8s, frozen=True):
    """The PersistentVolume spec."""

    storage_class_name: str | None = None
    claim_ref: ObjectReference | None = None
    capacity: dict[str, str] | None = None
    access_modes: tuple[str, ...] = ()


class PVStatus(K8s, frozen=True):
    """The PersistentVolume status."""

    phase: str | None = None


class PersistentVolume(K8s, frozen=True, kw_only=True):
    """A PersistentVolume (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PVSpec = PVSpec()
    status: PVStatus = PVStatus()
    kind: str = "PersistentVolume"


class StorageClass(K8s, frozen=True, kw_only=True):
    """A StorageClass (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    provisioner: str = ""
    volume_binding_mode: str | None = None
    kind: str = "StorageClass"


class ResourceQuotaSpec(K8s, frozen=True):
    """The ResourceQuota spec."""

    hard: dict[str, str] | None = None


class ResourceQuotaStatus(K8s, frozen=True):
    """The ResourceQuota status."""

    hard: dict[str, str] | None = None
    used: dict[str, str] | None = None


class ResourceQuota(K8s, frozen=True, kw_only=True):
    """A ResourceQuota."""

    metadata: ObjectMeta = ObjectMeta()
    spec: ResourceQuotaSpec = ResourceQuotaSpec()
    status: ResourceQuotaStatus = ResourceQuotaStatus()
    kind: str = "ResourceQuota"


class ConfigMap(K8s, frozen=True, kw_only=True):
    """A ConfigMap; only its key names are kept."""

    metadata: ObjectMeta = ObjectMeta()
    keys: tuple[str, ...] = ()
    kind: str = "ConfigMap"


class Secret(K8s, frozen=True, kw_only=True):
    """A Secret; only its type and key names are kept, never a value."""

    metadata: ObjectMeta = ObjectMeta()
    type: str | None = None
    keys: tuple[str, ...] = ()
    kind: str = "Secret"


class ServiceAccount(K8s, frozen=True, kw_only=True):
    """A ServiceAccount (its imagePullSecrets matter for private images)."""

    metadata: ObjectMeta = ObjectMeta()
    image_pull_secrets: tuple[LocalObjectReference, ...] = ()
    kind: str = "ServiceAccount"
