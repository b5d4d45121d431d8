"""Pods, their containers and statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import field

from ktui.resources.meta import Condition, K8s, LocalObjectReference, ObjectMeta

# ---- pods


class ContainerPort(K8s, frozen=True):
    """A port a container declares."""

    container_port: int = 0
    name: str | None = None
    protocol: str = "TCP"


class KeyRef(K8s, frozen=True):
    """configMapKeyRef / secretKeyRef."""

    name: str = ""
    key: str = ""
    optional: bool | None = None


class EnvVarSource(K8s, frozen=True):
    """Where an env var's value comes from."""

    config_map_key_ref: KeyRef | None = None
    secret_key_ref: KeyRef | None = None


class EnvVar(K8s, frozen=True):
    """A container env var (its literal value is not kept: only where it comes from)."""

    name: str = ""
    value_from: EnvVarSource | None = None


class NameRef(K8s, frozen=True):
    """configMapRef / secretRef in envFrom."""

    name: str = ""
    optional: bool | None = None


class EnvFromSource(K8s, frozen=True):
    """A whole ConfigMap or Secret as env."""

    config_map_ref: NameRef | None = None
    secret_ref: NameRef | None = None
    prefix: str | None = None


class ResourceRequirements(K8s, frozen=True):
    """Requests and limits as quantity strings ("500m", "64Gi")."""

    requests: dict[str, str] | None = None
    limits: dict[str, str] | None = None


class HTTPGetAction(K8s, frozen=True):
    """An httpGet probe."""

    port: int | str = 0
    path: str | None = None
    scheme: str | None = None
    host: str | None = None


class TCPSocketAction(K8s, frozen=True):
    """A tcpSocket probe."""

    port: int | str = 0


class ExecAction(K8s, frozen=True):
    """An exec probe."""

    command: tuple[str, ...] = ()


class Probe(K8s, frozen=True):
    """A readiness, liveness or startup probe."""

    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    exec: ExecAction | None = None
    initial_delay_seconds: int | None = None
    period_seconds: int | None = None
    timeout_seconds: int | None = None
    failure_threshold: int | None = None
    success_threshold: int | None = None


class VolumeMount(K8s, frozen=True):
    """Where a volume is mounted."""

    name: str = ""
    mount_path: str = ""


class Container(K8s, frozen=True):
    """A container or init container spec."""

    name: str = ""
    image: str = ""
    command: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    ports: tuple[ContainerPort, ...] = ()
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFromSource, ...] = ()
    resources: ResourceRequirements | None = None
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None


class KeyToPath(K8s, frozen=True):
    """An items entry of a configMap/secret volume."""

    key: str = ""
    path: str = ""


class ConfigMapVolumeSource(K8s, frozen=True):
    """A configMap volume."""

    name: str = ""
    items: tuple[KeyToPath, ...] = ()
    optional: bool | None = None


class SecretVolumeSource(K8s, frozen=True):
    """A secret volume."""

    secret_name: str = ""
    items: tuple[KeyToPath, ...] = ()
    optional: bool | None = None


class PVCVolumeSource(K8s, frozen=True):
    """A persistentVolumeClaim volume."""

    claim_name: str = ""
    read_only: bool | None = None


class Volume(K8s, frozen=True):
    """A pod volume (only the sources ktui checks are kept)."""

    name: str = ""
    config_map: ConfigMapVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    persistent_volume_claim: PVCVolumeSource | None = None


class Toleration(K8s, frozen=True):
    """A pod toleration."""

    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None


class PodSpec(K8s, frozen=True):
    """The pod spec fields ktui reads."""

    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    node_name: str | None = None
    node_selector: dict[str, str] | None = None
    affinity: dict[str, Any] | None = None
    volumes: tuple[Volume, ...] = ()
    image_pull_secrets: tuple[LocalObjectReference, ...] = ()
    service_account_name: str | None = None


class ContainerStateWaiting(K8s, frozen=True):
    """state.waiting."""

    reason: str | None = None
    message: str | None = None


class ContainerStateRunning(K8s, frozen=True):
    """state.running."""

    started_at: datetime | None = None


class ContainerStateTerminated(K8s, frozen=True):
    """state.terminated."""

    exit_code: int = 0
    signal: int | None = None
    reason: str | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ContainerState(K8s, frozen=True):
    """One of waiting, running, terminated (or none)."""

    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


class ContainerStatus(K8s, frozen=True):
    """A container's observed status."""

    name: str = ""
    image: str = ""
    ready: bool = False
    started: bool | None = None
    restart_count: int = 0
    state: ContainerState | None = None
    last_state: ContainerState | None = None


class PodStatus(K8s, frozen=True):
    """The pod status fields ktui reads."""

    phase: str | None = None
    reason: str | None = None
    message: str | None = None
    conditions: tuple[Condition, ...] = ()
    container_statuses: tuple[ContainerStatus, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    pod_ip: str | None = field(default=None, name="podIP")
    start_time: datetime | None = None


class Pod(K8s, frozen=True, kw_only=True):
    """A pod."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()
    kind: str = "Pod"
