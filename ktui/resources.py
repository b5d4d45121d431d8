"""Slim, immutable records of the Kubernetes objects ktui reads, and the cluster snapshot.

The records mirror the Kubernetes JSON shape (camelCase on the wire, snake_case here) but keep only
the fields ktui uses, so one decoder serves the API server's raw responses and dump files alike:
``msgspec.json.decode(raw, type=PodList)`` or ``msgspec.convert(obj_dict, Pod)``.
They are msgspec Structs (frozen, not tracked by the GC) because decoding into them costs ~10 us and
~3.5 KB per pod, against ~2 ms and ~80 KB for the official client's models. No textual, kubernetes
or rich here: the diagnosis engine and the model layer stand on this module alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from msgspec import field


class K8s(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True, gc=False):
    """Base of every record: frozen, camelCase on the wire, unknown fields ignored."""


# --------------------------------------------------------------------------- metadata


class OwnerReference(K8s):
    """Who controls an object (Deployment -> ReplicaSet -> Pod)."""

    kind: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    controller: bool | None = None


class ObjectMeta(K8s):
    """The metadata fields ktui reads."""

    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int | None = None
    generate_name: str = ""
    creation_timestamp: datetime | None = None
    deletion_timestamp: datetime | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: tuple[OwnerReference, ...] = ()


class LocalObjectReference(K8s):
    """A reference by name to an object in the same namespace."""

    name: str = ""


class Condition(K8s):
    """A status condition of any kind (Pod, Node, Deployment, PVC...)."""

    type: str = ""
    status: str = ""
    reason: str | None = None
    message: str | None = None
    last_transition_time: datetime | None = None
    last_update_time: datetime | None = None


class LabelSelectorRequirement(K8s):
    """One matchExpressions term."""

    key: str = ""
    operator: str = ""
    values: tuple[str, ...] | None = None


class LabelSelector(K8s):
    """A workload's selector."""

    match_labels: dict[str, str] | None = None
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()


# --------------------------------------------------------------------------- pods


class ContainerPort(K8s):
    """A port a container declares."""

    container_port: int = 0
    name: str | None = None
    protocol: str = "TCP"


class KeyRef(K8s):
    """configMapKeyRef / secretKeyRef."""

    name: str = ""
    key: str = ""
    optional: bool | None = None


class EnvVarSource(K8s):
    """Where an env var's value comes from."""

    config_map_key_ref: KeyRef | None = None
    secret_key_ref: KeyRef | None = None


class EnvVar(K8s):
    """A container env var (its literal value is not kept: only where it comes from)."""

    name: str = ""
    value_from: EnvVarSource | None = None


class NameRef(K8s):
    """configMapRef / secretRef in envFrom."""

    name: str = ""
    optional: bool | None = None


class EnvFromSource(K8s):
    """A whole ConfigMap or Secret as env."""

    config_map_ref: NameRef | None = None
    secret_ref: NameRef | None = None
    prefix: str | None = None


class ResourceRequirements(K8s):
    """Requests and limits as quantity strings ("500m", "64Gi")."""

    requests: dict[str, str] | None = None
    limits: dict[str, str] | None = None


class HTTPGetAction(K8s):
    """An httpGet probe."""

    port: int | str = 0
    path: str | None = None
    scheme: str | None = None
    host: str | None = None


class TCPSocketAction(K8s):
    """A tcpSocket probe."""

    port: int | str = 0


class ExecAction(K8s):
    """An exec probe."""

    command: tuple[str, ...] = ()


class Probe(K8s):
    """A readiness, liveness or startup probe."""

    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    exec: ExecAction | None = None
    initial_delay_seconds: int | None = None
    period_seconds: int | None = None
    timeout_seconds: int | None = None
    failure_threshold: int | None = None
    success_threshold: int | None = None


class VolumeMount(K8s):
    """Where a volume is mounted."""

    name: str = ""
    mount_path: str = ""


class Container(K8s):
    """A container or init container spec."""

    name: str = ""
    image: str = ""
    image_pull_policy: str | None = None
    command: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    ports: tuple[ContainerPort, ...] = ()
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFromSource, ...] = ()
    resources: ResourceRequirements | None = None
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None
    volume_mounts: tuple[VolumeMount, ...] = ()


class KeyToPath(K8s):
    """An items entry of a configMap/secret volume."""

    key: str = ""
    path: str = ""


class ConfigMapVolumeSource(K8s):
    """A configMap volume."""

    name: str = ""
    items: tuple[KeyToPath, ...] = ()
    optional: bool | None = None


class SecretVolumeSource(K8s):
    """A secret volume."""

    secret_name: str = ""
    items: tuple[KeyToPath, ...] = ()
    optional: bool | None = None


class PVCVolumeSource(K8s):
    """A persistentVolumeClaim volume."""

    claim_name: str = ""
    read_only: bool | None = None


class Volume(K8s):
    """A pod volume (only the sources ktui checks are kept)."""

    name: str = ""
    config_map: ConfigMapVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    persistent_volume_claim: PVCVolumeSource | None = None


class Toleration(K8s):
    """A pod toleration."""

    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None


class PodSpec(K8s):
    """The pod spec fields ktui reads."""

    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    node_name: str | None = None
    node_selector: dict[str, str] | None = None
    affinity: dict[str, Any] | None = None
    tolerations: tuple[Toleration, ...] = ()
    volumes: tuple[Volume, ...] = ()
    image_pull_secrets: tuple[LocalObjectReference, ...] = ()
    service_account_name: str | None = None
    restart_policy: str | None = None
    priority_class_name: str | None = None
    scheduler_name: str | None = None


class ContainerStateWaiting(K8s):
    """state.waiting."""

    reason: str | None = None
    message: str | None = None


class ContainerStateRunning(K8s):
    """state.running."""

    started_at: datetime | None = None


class ContainerStateTerminated(K8s):
    """state.terminated."""

    exit_code: int = 0
    signal: int | None = None
    reason: str | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    container_id: str | None = field(default=None, name="containerID")


class ContainerState(K8s):
    """One of waiting, running, terminated (or none)."""

    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


class ContainerStatus(K8s):
    """A container's observed status."""

    name: str = ""
    image: str = ""
    image_id: str = field(default="", name="imageID")
    ready: bool = False
    started: bool | None = None
    restart_count: int = 0
    state: ContainerState | None = None
    last_state: ContainerState | None = None
    container_id: str | None = field(default=None, name="containerID")


class PodStatus(K8s):
    """The pod status fields ktui reads."""

    phase: str | None = None
    reason: str | None = None
    message: str | None = None
    conditions: tuple[Condition, ...] = ()
    container_statuses: tuple[ContainerStatus, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    pod_ip: str | None = field(default=None, name="podIP")
    host_ip: str | None = field(default=None, name="hostIP")
    start_time: datetime | None = None
    nominated_node_name: str | None = None
    qos_class: str | None = None


class Pod(K8s, kw_only=True):
    """A pod."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()
    kind: str = "Pod"


# --------------------------------------------------------------------------- services


class ServicePort(K8s):
    """A Service port; target_port is a number, a container port name, or None (= port)."""

    port: int = 0
    name: str | None = None
    target_port: int | str | None = None
    protocol: str = "TCP"
    node_port: int | None = None


class ServiceSpec(K8s):
    """The Service spec fields ktui reads."""

    type: str = "ClusterIP"
    selector: dict[str, str] | None = None
    cluster_ip: str | None = field(default=None, name="clusterIP")
    ports: tuple[ServicePort, ...] = ()
    external_name: str | None = None


class Service(K8s, kw_only=True):
    """A Service."""

    metadata: ObjectMeta = ObjectMeta()
    spec: ServiceSpec = ServiceSpec()
    kind: str = "Service"


class ObjectReference(K8s):
    """A reference to any object (targetRef, involvedObject)."""

    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    field_path: str | None = None


class EndpointConditions(K8s):
    """An EndpointSlice endpoint's conditions (None means unknown, treated as ready)."""

    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class Endpoint(K8s):
    """One endpoint of an EndpointSlice."""

    addresses: tuple[str, ...] = ()
    conditions: EndpointConditions = EndpointConditions()
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointPort(K8s):
    """A port of an EndpointSlice (the target port)."""

    port: int | None = None
    name: str | None = None
    protocol: str = "TCP"


class EndpointSlice(K8s, kw_only=True):
    """An EndpointSlice (label kubernetes.io/service-name names its Service)."""

    metadata: ObjectMeta = ObjectMeta()
    address_type: str = "IPv4"
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[EndpointPort, ...] = ()
    kind: str = "EndpointSlice"

    @property
    def service_name(self) -> str:
        """The Service this slice belongs to."""
        return (self.metadata.labels or {}).get("kubernetes.io/service-name", "")


class EndpointAddress(K8s):
    """A core/v1 Endpoints address."""

    ip: str = ""
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointSubset(K8s):
    """A core/v1 Endpoints subset."""

    addresses: tuple[EndpointAddress, ...] = ()
    not_ready_addresses: tuple[EndpointAddress, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


class Endpoints(K8s, kw_only=True):
    """Core/v1 Endpoints (read from dumps; live ktui reads EndpointSlices)."""

    metadata: ObjectMeta = ObjectMeta()
    subsets: tuple[EndpointSubset, ...] = ()
    kind: str = "Endpoints"


# --------------------------------------------------------------------------- ingress


class ServiceBackendPort(K8s):
    """An Ingress backend's service port, by number or by name."""

    number: int | None = None
    name: str | None = None


class IngressServiceBackend(K8s):
    """An Ingress backend's service."""

    name: str = ""
    port: ServiceBackendPort = ServiceBackendPort()


class IngressBackend(K8s):
    """An Ingress backend (service or resource)."""

    service: IngressServiceBackend | None = None
    resource: dict[str, Any] | None = None


class HTTPIngressPath(K8s):
    """A path rule."""

    path: str | None = None
    path_type: str = "Prefix"
    backend: IngressBackend = IngressBackend()


class HTTPIngressRuleValue(K8s):
    """The http part of a rule."""

    paths: tuple[HTTPIngressPath, ...] = ()


class IngressRule(K8s):
    """A host rule."""

    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressTLS(K8s):
    """A TLS entry."""

    hosts: tuple[str, ...] = ()
    secret_name: str | None = None


class IngressSpec(K8s):
    """The Ingress spec."""

    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    rules: tuple[IngressRule, ...] = ()
    tls: tuple[IngressTLS, ...] = ()


class LoadBalancerIngress(K8s):
    """status.loadBalancer.ingress[] entry."""

    ip: str | None = None
    hostname: str | None = None


class LoadBalancerStatus(K8s):
    """status.loadBalancer."""

    ingress: tuple[LoadBalancerIngress, ...] = ()


class IngressStatus(K8s):
    """The Ingress status."""

    load_balancer: LoadBalancerStatus = LoadBalancerStatus()


class Ingress(K8s, kw_only=True):
    """An Ingress."""

    metadata: ObjectMeta = ObjectMeta()
    spec: IngressSpec = IngressSpec()
    status: IngressStatus = IngressStatus()
    kind: str = "Ingress"


class IngressClassSpec(K8s):
    """The IngressClass spec."""

    controller: str = ""


class IngressClass(K8s, kw_only=True):
    """An IngressClass (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: IngressClassSpec = IngressClassSpec()
    kind: str = "IngressClass"


# --------------------------------------------------------------------------- events


class EventSource(K8s):
    """source {component, host}."""

    component: str | None = None
    host: str | None = None


class EventSeries(K8s):
    """series {count, lastObservedTime} of new-style events."""

    count: int = 0
    last_observed_time: datetime | None = None


class Event(K8s, kw_only=True):
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


# --------------------------------------------------------------------------- nodes, namespaces


class Taint(K8s):
    """A node taint."""

    key: str = ""
    value: str | None = None
    effect: str = ""


class NodeSpec(K8s):
    """The Node spec."""

    unschedulable: bool | None = None
    taints: tuple[Taint, ...] = ()


class NodeAddress(K8s):
    """A node address."""

    type: str = ""
    address: str = ""


class NodeStatus(K8s):
    """The Node status."""

    conditions: tuple[Condition, ...] = ()
    allocatable: dict[str, str] | None = None
    capacity: dict[str, str] | None = None
    addresses: tuple[NodeAddress, ...] = ()


class Node(K8s, kw_only=True):
    """A Node (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()
    kind: str = "Node"


class NamespaceStatus(K8s):
    """The Namespace status."""

    phase: str | None = None


class Namespace(K8s, kw_only=True):
    """A Namespace."""

    metadata: ObjectMeta = ObjectMeta()
    status: NamespaceStatus = NamespaceStatus()
    kind: str = "Namespace"


# --------------------------------------------------------------------------- storage, quota, config


class PVCSpec(K8s):
    """The PersistentVolumeClaim spec."""

    storage_class_name: str | None = None
    volume_name: str | None = None
    access_modes: tuple[str, ...] = ()
    resources: ResourceRequirements | None = None


class PVCStatus(K8s):
    """The PersistentVolumeClaim status."""

    phase: str | None = None


class PersistentVolumeClaim(K8s, kw_only=True):
    """A PersistentVolumeClaim."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PVCSpec = PVCSpec()
    status: PVCStatus = PVCStatus()
    kind: str = "PersistentVolumeClaim"


class PVSpec(K8s):
    """The PersistentVolume spec."""

    storage_class_name: str | None = None
    claim_ref: ObjectReference | None = None
    capacity: dict[str, str] | None = None
    access_modes: tuple[str, ...] = ()


class PVStatus(K8s):
    """The PersistentVolume status."""

    phase: str | None = None


class PersistentVolume(K8s, kw_only=True):
    """A PersistentVolume (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PVSpec = PVSpec()
    status: PVStatus = PVStatus()
    kind: str = "PersistentVolume"


class StorageClass(K8s, kw_only=True):
    """A StorageClass (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    provisioner: str = ""
    volume_binding_mode: str | None = None
    kind: str = "StorageClass"


class ResourceQuotaSpec(K8s):
    """The ResourceQuota spec."""

    hard: dict[str, str] | None = None


class ResourceQuotaStatus(K8s):
    """The ResourceQuota status."""

    hard: dict[str, str] | None = None
    used: dict[str, str] | None = None


class ResourceQuota(K8s, kw_only=True):
    """A ResourceQuota."""

    metadata: ObjectMeta = ObjectMeta()
    spec: ResourceQuotaSpec = ResourceQuotaSpec()
    status: ResourceQuotaStatus = ResourceQuotaStatus()
    kind: str = "ResourceQuota"


class ConfigMap(K8s, kw_only=True):
    """A ConfigMap; only its key names are kept."""

    metadata: ObjectMeta = ObjectMeta()
    keys: tuple[str, ...] = ()
    kind: str = "ConfigMap"


class Secret(K8s, kw_only=True):
    """A Secret; only its type and key names are kept, never a value."""

    metadata: ObjectMeta = ObjectMeta()
    type: str | None = None
    keys: tuple[str, ...] = ()
    kind: str = "Secret"


class ServiceAccount(K8s, kw_only=True):
    """A ServiceAccount (its imagePullSecrets matter for private images)."""

    metadata: ObjectMeta = ObjectMeta()
    image_pull_secrets: tuple[LocalObjectReference, ...] = ()
    kind: str = "ServiceAccount"


# --------------------------------------------------------------------------- workloads


class PodTemplateSpec(K8s):
    """A workload's pod template."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()


class WorkloadSpec(K8s):
    """The spec fields shared by Deployment, ReplicaSet, StatefulSet, DaemonSet and Job."""

    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    progress_deadline_seconds: int | None = None
    parallelism: int | None = None
    completions: int | None = None
    backoff_limit: int | None = None


class WorkloadStatus(K8s):
    """The status fields shared by the workload kinds."""

    observed_generation: int | None = None
    replicas: int | None = None
    ready_replicas: int | None = None
    available_replicas: int | None = None
    updated_replicas: int | None = None
    unavailable_replicas: int | None = None
    current_number_scheduled: int | None = None
    desired_number_scheduled: int | None = None
    number_ready: int | None = None
    number_unavailable: int | None = None
    active: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    conditions: tuple[Condition, ...] = ()


class Deployment(K8s, kw_only=True):
    """A Deployment."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "Deployment"


class ReplicaSet(K8s, kw_only=True):
    """A ReplicaSet."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "ReplicaSet"


class StatefulSet(K8s, kw_only=True):
    """A StatefulSet (from dumps or clusters that serve it)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "StatefulSet"


class DaemonSet(K8s, kw_only=True):
    """A DaemonSet (from dumps or clusters that serve it)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "DaemonSet"


class Job(K8s, kw_only=True):
    """A Job (from dumps or clusters that serve it)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "Job"


# --------------------------------------------------------------------------- probes and the snapshot


class Ref(K8s, kw_only=True):
    """Names one object: the subject of a finding or a probe."""

    kind: str
    namespace: str = ""
    name: str
    uid: str = ""


class ProbeResult(K8s, kw_only=True):
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
    """

    now: datetime
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    endpoints: tuple[Endpoints, ...] = ()
    ingresses: tuple[Ingress, ...] = ()
    ingress_classes: tuple[IngressClass, ...] = ()
    events: tuple[Event, ...] = ()
    nodes: tuple[Node, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    persistent_volume_claims: tuple[PersistentVolumeClaim, ...] = ()
    persistent_volumes: tuple[PersistentVolume, ...] = ()
    storage_classes: tuple[StorageClass, ...] = ()
    resource_quotas: tuple[ResourceQuota, ...] = ()
    config_maps: tuple[ConfigMap, ...] = ()
    secrets: tuple[Secret, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    replica_sets: tuple[ReplicaSet, ...] = ()
    stateful_sets: tuple[StatefulSet, ...] = ()
    daemon_sets: tuple[DaemonSet, ...] = ()
    jobs: tuple[Job, ...] = ()
    probes: tuple[ProbeResult, ...] = ()
    forbidden: dict[str, str] = {}
    synced: frozenset[str] = frozenset()
    version: int = 0
    # Appended by the diagnosis engineer: the last log lines of a container's previous run (or of the
    # current one when it never restarted), keyed "namespace/pod/container"; crash findings quote them.
    logs: dict[str, tuple[str, ...]] = {}


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
