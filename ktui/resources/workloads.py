"""Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs."""

from __future__ import annotations

from ktui.resources.meta import Condition, K8s, LabelSelector, ObjectMeta

# ---- workloads


class TemplateMeta(K8s, frozen=True):
    """The labels of a workload's pod template (what a Service's selector is matched against)."""

    labels: dict[str, str] | None = None


class PodTemplateSpec(K8s, frozen=True):
    """A workload's pod template, as far as a rule reads it: its labels.

    Its pod spec (containers, env, probes, volumes: ~10 KB decoded) is left out: the pods themselves
    say what runs, and a cluster keeps ten old ReplicaSets per Deployment, each with its template.
    """

    metadata: TemplateMeta = TemplateMeta()


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
