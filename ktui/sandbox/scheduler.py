"""kube-scheduler for the sandbox: filter, score, bind; FailedScheduling events and retries with back-off.

Pods that do not fit wait in an "unschedulable" pool, as in the real scheduling queue: a cluster change
that could help (a node added or changed, a pod gone, a claim bound) moves them back after their
back-off (1 s doubling to 10 s), and every pod is retried at least every 5 minutes
(``podMaxInUnschedulablePodsDuration``). Each failed attempt writes a ``FailedScheduling`` event in the
new events API style and the ``PodScheduled=False Unschedulable`` condition.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.controllers.filters import (
    UNBOUND_IMMEDIATE,
    NodeState,
    Placed,
    Verdict,
    affinity_terms,
    filter_node,
    fit_error,
    host_ports,
)
from ktui.sandbox.controllers.objects import amount, is_terminal, pod_resources, set_condition

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
UNSCHEDULABLE_FLUSH = 300.0
BINDING_TIMEOUT = 600.0  # VolumeBinding PreBind waits this long for provisioned claims
SELECTED_NODE = "volume.kubernetes.io/selected-node"


class Scheduler(Controller):
    """Binds pending pods of ``schedulerName: default-scheduler`` to nodes."""

    name = "default-scheduler"
    watches = (
        "pods",
        "nodes",
        "persistentvolumeclaims",
        "storageclasses.storage.k8s.io",
        "persistentvolumes",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._nodes: dict[str, NodeState] = {}
        self._where: dict[str, str] = {}  # pod uid -> node name
        self._attempts: dict[Key, int] = {}  # unschedulable pods and their failed attempts
        self._blocked: dict[Key, set[str]] = {}  # what kept each one out: fit, interpod, node, volume

    # -- cache -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Build the node/pod cache, then run."""
        for node in self.store.list("nodes")[0]:
            self._nodes[node["metadata"]["name"]] = NodeState(node)
        for pod in self.store.list("pods")[0]:
            self._track(pod)
        super().start()

    def _track(self, pod: dict[str, Any] | None, old: dict[str, Any] | None = None) -> None:
        if old is not None:
            uid = old["metadata"]["uid"]
            where = self._where.pop(uid, None)
            if where in self._nodes:
                self._nodes[where].pods.pop(uid, None)
        if pod is None or is_terminal(pod):
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            return
        spec = pod["spec"]
        self._where[pod["metadata"]["uid"]] = node
        state = self._nodes.setdefault(node, NodeState({"metadata": {"name": node}, "status": {}}))
        state.pods[pod["metadata"]["uid"]] = Placed(
            pod["metadata"].get("namespace") or "default",
            dict(pod["metadata"].get("labels") or {}),
            pod_resources(spec),
            host_ports(spec),
            affinity_terms(spec, "podAntiAffinity"),
        )

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """Keep the cache current; queue new pods; wake unschedulable pods on changes that may help."""
        if resource == "pods":
            self._track(None if type_ == "DELETED" else obj, old)
            if type_ != "DELETED" and self._wants(obj):
                changed = (
                    old is None
                    or old.get("spec") != obj.get("spec")
                    or (old["metadata"].get("labels") != obj["metadata"].get("labels"))
                )
                if changed:
                    self._attempts.pop(key_of(obj), None)
                    return [key_of(obj)]
                return []
            freed = type_ == "DELETED" or (is_terminal(obj) and old is not None and not is_terminal(old))
            bound = (
                old is not None
                and not (old.get("spec") or {}).get("nodeName")
                and (obj.get("spec") or {}).get("nodeName")
            )
            if freed:  # QueueingHints: a pod going away frees resources and ports, and ends affinities
                self._wake_unschedulable("fit", "interpod")
            elif bound:  # a newly placed pod only matters to inter-pod (anti-)affinity
                self._wake_unschedulable("interpod")
            return []
        if resource == "nodes":
            name = obj["metadata"]["name"]
            if type_ == "DELETED":
                self._nodes.pop(name, None)
                return []
            state = self._nodes.setdefault(name, NodeState(obj))
            state.node = obj
            if old is None or _schedulable_view(old) != _schedulable_view(obj):
                self._wake_unschedulable()
            return []
        self._wake_unschedulable("volume")  # claims, classes and volumes can unblock VolumeBinding
        return []

    def initial_keys(self) -> list[Key]:
        """Every pod still waiting for a node."""
        return [key_of(p) for p in self.store.list("pods")[0] if self._wants(p)]

    def _wants(self, pod: dict[str, Any]) -> bool:
        spec = pod.get("spec") or {}
        return (
            not spec.get("nodeName")
            and spec.get("schedulerName", "default-scheduler") == "default-scheduler"
            and not pod["metadata"].get("deletionTimestamp")
            and not is_terminal(pod)
        )

    def _wake_unschedulable(self, *causes: str) -> None:
        """Move unschedulable pods back after their back-off, if the change can help them."""
        for key, attempts in list(self._attempts.items()):
            if not causes or self._blocked.get(key, set()) & set(causes):
                self.enqueue_after(key, min(INITIAL_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF))

    # -- one scheduling cycle ------------------------------------------------------------------------

    async def reconcile(self, key: Key) -> None:
        """Schedule one pod: PreFilter, Filter every node, Score, PreBind volumes, Bind."""
        pod = self.store.get("pods", key[0], key[1])
        if pod is None or not self._wants(pod):
            self._attempts.pop(key, None)
            return
        prefilter, waiting_claims = self._volume_prefilter(pod)
        nodes = [self._nodes[n] for n in sorted(self._nodes) if "uid" in self._nodes[n].node["metadata"]]
        if not nodes:
            self._fail(pod, "no nodes available to schedule pods")
            return
        verdicts: dict[str, Verdict] = {}
        feasible: list[NodeState] = []
        if prefilter is None:
            requests = pod_resources(pod.get("spec") or {})
            for state in nodes:
                verdict = filter_node(pod, requests, state, nodes)
                if verdict is None:
                    feasible.append(state)
                else:
                    verdicts[state.node["metadata"]["name"]] = verdict
        else:
            verdicts = {s.node["metadata"]["name"]: Verdict((), True) for s in nodes}
        if not feasible:
            self._blocked[key] = (
                {"volume"} if prefilter else {_cause(r) for v in verdicts.values() for r in v.reasons}
            )
            self._fail(pod, fit_error(len(nodes), verdicts, prefilter, pod))
            return
        target = min(
            feasible, key=lambda s: (_load(s, pod_resources(pod["spec"])), s.node["metadata"]["name"])
        )
        node_name = target.node["metadata"]["name"]
        if waiting_claims and not await self._bind_volumes(pod, waiting_claims, node_name):
            return
        self._bind(pod, node_name)

    def _volume_prefilter(self, pod: dict[str, Any]) -> tuple[str | None, list[str]]:
        """VolumeBinding PreFilter: a missing claim or an unbound Immediate claim stops the cycle."""
        ns = pod["metadata"].get("namespace") or "default"
        delayed = []
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.store.get("persistentvolumeclaims", ns, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found', []
            if pvc["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{claim}" is being deleted', []
            if (pvc.get("status") or {}).get("phase") == "Bound" or (pvc.get("spec") or {}).get("volumeName"):
                continue
            cls_name = (pvc.get("spec") or {}).get("storageClassName")
            cls = self.store.get("storageclasses.storage.k8s.io", None, cls_name) if cls_name else None
            if cls is not None and cls.get("volumeBindingMode") == "WaitForFirstConsumer":
                delayed.append(claim)
            else:
                return UNBOUND_IMMEDIATE, []
        return None, delayed

    async def _bind_volumes(self, pod: dict[str, Any], claims: list[str], node: str) -> bool:
        """PreBind: ask the provisioner for the chosen node, wait until every claim is Bound."""
        ns = pod["metadata"].get("namespace") or "default"
        for claim in claims:

            def select(pvc: dict[str, Any]) -> bool | None:
                annotations = pvc["metadata"].setdefault("annotations", {})
                if annotations.get(SELECTED_NODE) == node:
                    return False
                annotations[SELECTED_NODE] = node
                return None

            self.store.mutate("persistentvolumeclaims", ns, claim, select)
        deadline = asyncio.get_running_loop().time() + self.clock.real_seconds(BINDING_TIMEOUT)
        while asyncio.get_running_loop().time() < deadline:
            pvcs = [self.store.get("persistentvolumeclaims", ns, c) for c in claims]
            if any(p is None for p in pvcs):
                break
            if all((p.get("status") or {}).get("phase") == "Bound" for p in pvcs if p):
                return True
            await asyncio.sleep(min(0.05, self.clock.real_seconds(1)))
        current = self.store.get("pods", ns, pod["metadata"]["name"])
        if current is not None:
            self._fail(
                current, 'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded'
            )
        return False

    def _bind(self, pod: dict[str, Any], node: str) -> None:
        key = key_of(pod)
        self._attempts.pop(key, None)
        self._blocked.pop(key, None)
        now = self.clock.stamp()

        def bind(obj: dict[str, Any]) -> bool | None:
            if (obj.get("spec") or {}).get("nodeName") or obj["metadata"].get("deletionTimestamp"):
                return False
            obj["spec"]["nodeName"] = node
            status = obj.setdefault("status", {})
            status.pop("nominatedNodeName", None)
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conds.append(
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
            )
            status["conditions"] = conds
            return None

        bound = self.store.mutate("pods", key[0], key[1], bind)
        if bound is not None and (bound.get("spec") or {}).get("nodeName") == node:
            self.recorder.scheduler_event(
                bound, "Normal", "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {node}", "Binding"
            )

    def _fail(self, pod: dict[str, Any], message: str) -> None:
        key = key_of(pod)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        now = self.clock.stamp()

        def mark(obj: dict[str, Any]) -> bool:
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            return set_condition(
                status,
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message},
                now,
                probe_time=True,
            )

        updated = self.store.mutate("pods", key[0], key[1], mark) or pod
        self.recorder.scheduler_event(updated, "Warning", "FailedScheduling", message)
        self.enqueue_after(key, UNSCHEDULABLE_FLUSH)


def _cause(reason: str) -> str:
    """Which cluster change can cure a filter reason."""
    if reason.startswith(("Insufficient", "Too many pods")) or "free ports" in reason:
        return "fit"
    if "affinity" in reason and "node affinity" not in reason:
        return "interpod"
    return "node"


def _schedulable_view(node: dict[str, Any]) -> tuple[Any, ...]:
    """The parts of a node that change scheduling results (heartbeats do not)."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    return (
        node["metadata"].get("labels"),
        spec.get("taints"),
        spec.get("unschedulable"),
        status.get("allocatable"),
    )


def _load(state: NodeState, requests: dict[str, int]) -> float:
    """LeastAllocated score: the mean requested share of cpu and memory after placing the pod."""
    allocatable = (state.node.get("status") or {}).get("allocatable") or {}
    shares = []
    for res in ("cpu", "memory"):
        have = amount(res, allocatable.get(res, "0")) or 1
        used = sum(p.requests.get(res, 0) for p in state.pods.values()) + requests.get(res, 0)
        shares.append(used / have)
    return sum(shares) / len(shares)
