"""The objects around generated pods: per workload a Deployment, its ReplicaSets, a Service, its
EndpointSlice and a ServiceAccount, as a real cluster holds them next to its pods.

A real 10k-pod cluster lists far more than pods: every Deployment keeps old ReplicaSets (its revision
history), and every Service has EndpointSlices naming its ready pods. The TUI lists and judges all
of them, so a benchmark of pods alone would leave that work out. Shapes follow what the apiserver
and its controllers write for a Deployment rolled out three times, a ClusterIP Service and its
controller-made slice. Every object carries the generated annotation: the sandbox's controllers
leave them alone, so they stay as generated (a storm of pod changes moves no slice).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ktui.sandbox.controllers.objects import GENERATED
from ktui.sandbox.creation import ALNUM
from ktui.sandbox.genparts import uid_of

REVISIONS = 3
"""ReplicaSets per Deployment: the current one and two old ones scaled to 0 (revision history)."""
SLICE_SIZE = 100
"""Endpoints per EndpointSlice (the EndpointSlice controller's default maximum)."""
_SELECTED = ("app.kubernetes.io/name", "app.kubernetes.io/instance")


@dataclass
class Member:
    """What a workload's objects need of one of its pods."""

    name: str
    uid: str
    ip: str
    node: str
    ready: bool


@dataclass
class Workload:
    """The pods of one Deployment, and the ReplicaSet they belong to."""

    namespace: str
    name: str
    app: str
    rs_name: str
    rs_uid: str
    rs_hash: str
    labels: dict[str, str]
    template: dict[str, Any]
    members: list[Member] = field(default_factory=list)


def workload_of(pod: dict[str, Any], name: str, rs_hash: str, rs_uid: str, app: str) -> Workload:
    """A new Workload whose template is this pod's (its pods all carry the same labels)."""
    meta = pod["metadata"]
    labels = dict(meta["labels"])
    spec = {k: v for k, v in pod["spec"].items() if k != "nodeName"}
    return Workload(
        meta["namespace"], name, app, f"{name}-{rs_hash}", rs_uid, rs_hash, labels,
        {"metadata": {"labels": labels}, "spec": spec},
    )


def member_of(pod: dict[str, Any]) -> Member:
    """The Member for a generated pod (ready when its Ready condition is True)."""
    status = pod.get("status") or {}
    conditions = status.get("conditions") or ()
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    meta = pod["metadata"]
    return Member(meta["name"], meta["uid"], status.get("podIP", ""), pod["spec"].get("nodeName", ""), ready)


def _meta(w: Workload, name: str, kind: str, stamp: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name, "namespace": w.namespace, "uid": uid_of(f"{kind}/{w.namespace}/{name}"),
        "creationTimestamp": stamp, "annotations": {GENERATED: "true"},
    }
    meta.update(extra)
    return meta


def deployment(w: Workload, stamp: str) -> dict[str, Any]:
    """The Deployment, rolled out ``REVISIONS`` times, its status counting the pods' readiness."""
    n = len(w.members)
    ready = sum(m.ready for m in w.members)
    selector = {k: w.labels[k] for k in _SELECTED}
    meta = _meta(w, w.name, "deploy", stamp, generation=REVISIONS,
                 labels={k: v for k, v in w.labels.items() if k != "pod-template-hash"})
    meta["annotations"]["deployment.kubernetes.io/revision"] = str(REVISIONS)
    template = {"metadata": {"labels": {k: v for k, v in w.labels.items() if k != "pod-template-hash"}},
                "spec": w.template["spec"]}
    available = ready >= n - n // 4  # maxUnavailable 25%
    status: dict[str, Any] = {
        "observedGeneration": REVISIONS, "replicas": n, "updatedReplicas": n, "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [
            {"type": "Available", "status": "True" if available else "False",
             "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available
             else "Deployment does not have minimum availability.",
             "lastUpdateTime": stamp, "lastTransitionTime": stamp},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{w.rs_name}" has successfully progressed.',
             "lastUpdateTime": stamp, "lastTransitionTime": stamp},
        ],
    }
    if n - ready:
        status["unavailableReplicas"] = n - ready
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {
            "replicas": n, "selector": {"matchLabels": selector}, "template": template,
            "strategy": {
                "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}
            },
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        },
        "status": status,
    }


def replicasets(w: Workload, stamp: str, deploy: dict[str, Any]) -> list[dict[str, Any]]:
    """The current ReplicaSet (the pods' owner) and the old ones, scaled to 0."""
    n = len(w.members)
    ready = sum(m.ready for m in w.members)
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name, "uid": deploy["metadata"]["uid"],
             "controller": True, "blockOwnerDeletion": True}
    out = []
    for revision in range(1, REVISIONS + 1):
        current = revision == REVISIONS
        digest = hashlib.sha256(f"{w.rs_name}/{revision}".encode()).digest()
        old_hash = "".join(ALNUM[b % len(ALNUM)] for b in digest[:10])  # the controller's alphabet
        rs_hash = w.rs_hash if current else old_hash
        name = w.rs_name if current else f"{w.name}-{rs_hash}"
        labels = {**w.labels, "pod-template-hash": rs_hash}
        meta = _meta(w, name, "rs", stamp, labels=labels, generation=1 if current else 2,
                     ownerReferences=[owner])
        if current:
            meta["uid"] = w.rs_uid  # the uid the pods' ownerReferences name
        meta["annotations"].update({
            "deployment.kubernetes.io/revision": str(revision),
            "deployment.kubernetes.io/desired-replicas": str(n),
            "deployment.kubernetes.io/max-replicas": str(n + (n + 3) // 4),
        })
        replicas = n if current else 0
        status: dict[str, Any] = {"replicas": replicas, "observedGeneration": meta["generation"]}
        if current:
            status.update(fullyLabeledReplicas=n, readyReplicas=ready, availableReplicas=ready)
        template = {"metadata": {"labels": labels}, "spec": w.template["spec"]}
        out.append({
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {
                **{k: w.labels[k] for k in _SELECTED}, "pod-template-hash": rs_hash}}, "template": template},
            "status": status,
        })
    return out


def service(w: Workload, stamp: str, cluster_ip: str) -> dict[str, Any]:
    """A ClusterIP Service selecting the workload's pods on their named ports."""
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": _meta(w, w.name, "svc", stamp,
                          labels={k: v for k, v in w.labels.items() if k != "pod-template-hash"}),
        "spec": {
            "type": "ClusterIP", "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
            "selector": {k: w.labels[k] for k in _SELECTED},
            "ports": [
                {"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http"},
                {"name": "metrics", "protocol": "TCP", "port": 9090, "targetPort": 9090},
            ],
            "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    }


def endpoint_slices(w: Workload, stamp: str) -> list[dict[str, Any]]:
    """The Service's EndpointSlices: every scheduled pod with an IP, ready or not, 100 a slice."""
    members = [m for m in w.members if m.ip]
    out = []
    for start in range(0, max(len(members), 1), SLICE_SIZE):
        chunk = members[start:start + SLICE_SIZE]
        name = f"{w.name}-{hashlib.sha256(f'{w.namespace}/{w.name}/{start}'.encode()).hexdigest()[:5]}"
        meta = _meta(w, name, "eps", stamp, labels={
            "kubernetes.io/service-name": w.name,
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        }, generateName=f"{w.name}-", ownerReferences=[{
            "apiVersion": "v1", "kind": "Service", "name": w.name,
            "uid": uid_of(f"svc/{w.namespace}/{w.name}"), "controller": True, "blockOwnerDeletion": True,
        }])
        out.append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta,
            "addressType": "IPv4",
            "endpoints": [
                {
                    "addresses": [m.ip],
                    "conditions": {"ready": m.ready, "serving": m.ready, "terminating": False},
                    "nodeName": m.node,
                    "targetRef": {"kind": "Pod", "namespace": w.namespace, "name": m.name, "uid": m.uid},
                }
                for m in chunk
            ],
            "ports": [{"name": "http", "protocol": "TCP", "port": 8080},
                      {"name": "metrics", "protocol": "TCP", "port": 9090}],
        })
    return out


def service_account(w: Workload, stamp: str) -> dict[str, Any]:
    """The ServiceAccount the pods run as (``serviceAccountName`` is the app)."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(w, w.app, "sa", stamp)}
