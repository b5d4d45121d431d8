"""Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs."""

from __future__ import annotations

from ktui.resources.meta import Condition, K8s, LabelSelector, ObjectMeta
from ktui.resources.pods import PodSpec

# ---- workloads


class PodTemplateSpec(K8s, frozen=True):
    """A workload's pod template."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()


class WorkloadSpec(K8s, frozen=True):
    """The spec fields shared by Deployment, ReplicaSet, StatefulSet, DaemonSet and Job."""

    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    progress_deadline_seconds: int | None = None
    parallelism: int | None = None
    completions: int | None = None
    backoff_limit: int | None = None


class WorkloadStatus(K8s, frozen=True):
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


class Deployment(K8s, frozen=True, kw_only=True):
    """A Deployment."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "Deployment"


class ReplicaSet(K8s, frozen=True, kw_only=True):
    """A ReplicaSet."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "ReplicaSet"


class StatefulSet(K8s, frozen=True, kw_only=True):
    """A StatefulSet (from dumps or clusters that serve it)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "StatefulSet"


class DaemonSet(K8s, frozen=True, kw_only=True):
    """A DaemonSet (from dumps or clusters that serve it)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "DaemonSet"


class Job(K8s, frozen=True, kw_only=True):
    """A Job (from dumps or clusters that serve it)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "Job"
