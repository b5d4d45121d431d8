"""Node lifecycle: a silent kubelet makes its node Unknown, its pods NotReady, then evicted by taint.

kube-controller-manager's node lifecycle controller marks a node whose kubelet stopped posting
(annotation ``sandbox.ktui.dev/kubelet: stopped``) ``Ready=Unknown NodeStatusUnknown`` after the
node-monitor grace period, taints it ``node.kubernetes.io/unreachable`` (NoSchedule and NoExecute),
marks its pods ``Ready=False``; the taint eviction controller deletes pods once their toleration
(300 s by default) runs out. Conditions map to taints as TaintNodesByCondition does. Node-pressure
eviction (the kubelet's eviction manager) lives in ``eviction.py``.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from ktui.sandbox.controllers.base import Controller, Key
from ktui.sandbox.controllers.filters import tolerates
from ktui.sandbox.controllers.objects import condition, generated, is_terminal
from ktui.sandbox.controllers.replicaset import parse_time
from ktui.sandbox.errors import ApiError

KUBELET_STATE = "sandbox.ktui.dev/kubelet"
GRACE = 50.0  # --node-monitor-grace-period (v1.32 default)
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
CONDITION_TAINTS = {
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
    "NetworkUnavailable": "node.kubernetes.io/network-unavailable",
}
_MANAGED = {UNREACHABLE, NOT_READY, *CONDITION_TAINTS.values()}


def kubelet_stopped(node: dict[str, Any]) -> bool:
    """The node's kubelet no longer posts status (the sandbox's switch)."""
    return (node["metadata"].get("annotations") or {}).get(KUBELET_STATE) == "stopped"


class NodeLifecycleController(Controller):
    """Node health from heartbeats, condition taints, and NoExecute taint eviction; keys are node names."""

    name = "node-controller"
    watches = ("nodes", "pods")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._silent_since: dict[str, datetime] = {}

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """Nodes are their own key; a pod bound to a node queues that node (taint eviction).

        The generator's pods queue nothing: their nodes do not exist, and their status stays as made.
        """
        if generated(obj):
            return []
        if resource == "nodes":
            return [] if type_ == "DELETED" else [("", obj["metadata"]["name"])]
        node = (obj.get("spec") or {}).get("nodeName")
        if (type_ == "ADDED" and node) or (
            old is not None and not (old.get("spec") or {}).get("nodeName") and node
        ):
            return [("", node)]
        return []

    def reconcile(self, key: Key) -> None:
        """Health, taints and evictions for one node."""
        node = self.store.get("nodes", None, key[1])
        if node is None:
            self._silent_since.pop(key[1], None)
            return
        name = node["metadata"]["name"]
        ready = condition(node, "Ready") or {}
        if kubelet_stopped(node):
            since = self._silent_since.setdefault(name, self._heartbeat(node))
            waited = (self.clock.now() - since).total_seconds() * self.clock.speed
            if ready.get("status") != "Unknown":
                if waited < GRACE:
                    self.enqueue_after(key, GRACE - waited + 0.1)
                    return
                node = self._mark_unknown(node)
        else:
            self._silent_since.pop(name, None)
        node = self._sync_taints(node)
        self._evict_by_taint(node)

    def _heartbeat(self, node: dict[str, Any]) -> datetime:
        stamp = parse_time((condition(node, "Ready") or {}).get("lastHeartbeatTime"))
        return stamp or self.clock.now()

    def _mark_unknown(self, node: dict[str, Any]) -> dict[str, Any]:
        name = node["metadata"]["name"]
        now = self.clock.stamp()

        def unknown(obj: dict[str, Any]) -> None:
            for cond in (obj.get("status") or {}).get("conditions") or []:
                if cond.get("type") in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
                    if cond.get("status") != "Unknown":
                        cond["lastTransitionTime"] = now
                    cond.update(
                        status="Unknown",
                        reason="NodeStatusUnknown",
                        message="Kubelet stopped posting node status.",
                    )

        updated = self.store.mutate("nodes", None, name, unknown) or node
        self.recorder.event(
            updated, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady", component=self.name
        )
        for pod in self._pods_on(name):
            self._pod_not_ready(pod)
        return updated

    def _pod_not_ready(self, pod: dict[str, Any]) -> None:
        now = self.clock.stamp()

        def not_ready(obj: dict[str, Any]) -> bool | None:
            changed = False
            for cond in (obj.get("status") or {}).get("conditions") or []:
                if cond.get("type") in ("Ready", "ContainersReady") and cond.get("status") != "False":
                    cond.update(status="False", lastTransitionTime=now)
                    changed = True
            return None if changed else False

        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        updated = self.store.mutate("pods", ns, name, not_ready)
        if updated is not None:
            self.recorder.event(updated, "Warning", "NodeNotReady", "Node is not ready", component=self.name)

    def _sync_taints(self, node: dict[str, Any]) -> dict[str, Any]:
        """TaintNodesByCondition and the unreachable/not-ready NoExecute taints."""
        wanted: list[dict[str, Any]] = []
        ready = (condition(node, "Ready") or {}).get("status")
        now = self.clock.stamp()
        health = UNREACHABLE if ready == "Unknown" else NOT_READY if ready == "False" else None
        if health:
            wanted.append({"key": health, "effect": "NoSchedule"})
            wanted.append({"key": health, "effect": "NoExecute", "timeAdded": now})
        for cond_type, taint_key in CONDITION_TAINTS.items():
            if (condition(node, cond_type) or {}).get("status") == "True":
                wanted.append({"key": taint_key, "effect": "NoSchedule"})
        current = (node.get("spec") or {}).get("taints") or []
        kept = [t for t in current if t.get("key") not in _MANAGED]
        merged = list(kept)
        for taint in wanted:
            same = next(
                (t for t in current if t.get("key") == taint["key"] and t.get("effect") == taint["effect"]),
                None,
            )
            merged.append(same if same is not None else taint)
        if merged == current:
            return node
        previous_health = any(t.get("key") in (UNREACHABLE, NOT_READY) for t in current)

        def retaint(obj: dict[str, Any]) -> None:
            obj.setdefault("spec", {})["taints"] = merged
            if not merged:
                del obj["spec"]["taints"]

        updated = self.store.mutate("nodes", None, node["metadata"]["name"], retaint) or node
        if previous_health and not health:
            self.recorder.event(
                updated,
                "Normal",
                "NodeReady",
                f"Node {node['metadata']['name']} status is now: NodeReady",
                component=self.name,
            )
        return updated

    def _evict_by_taint(self, node: dict[str, Any]) -> None:
        """The taint eviction controller: NoExecute taints delete pods whose toleration ran out."""
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]
        if not taints:
            return
        now = self.clock.now()
        for pod in self._pods_on(node["metadata"]["name"]):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            left = self._toleration_left((pod.get("spec") or {}).get("tolerations") or [], taints, now)
            if left is None:
                continue
            if left > 0:
                self.enqueue_after(("", node["metadata"]["name"]), left + 0.1)
                continue
            self._taint_evict(pod)

    def _toleration_left(
        self, tolerations: list[dict[str, Any]], taints: list[dict[str, Any]], now: datetime
    ) -> float | None:
        """Cluster seconds a pod may stay: None = forever, <= 0 = evict now."""
        result: float | None = None
        for taint in taints:
            matching = [t for t in tolerations if tolerates(t, taint)]
            if not matching:
                return 0.0
            seconds = [t.get("tolerationSeconds") for t in matching]
            if any(s is None for s in seconds):
                continue
            added = parse_time(taint.get("timeAdded")) or now
            left = (
                min(int(s) for s in seconds if s is not None)
                - (now - added).total_seconds() * self.clock.speed
            )
            result = left if result is None else min(result, left)
        return result

    def _taint_evict(self, pod: dict[str, Any]) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        now = self.clock.stamp()

        def disrupt(obj: dict[str, Any]) -> None:
            conds = [
                c
                for c in (obj.get("status") or {}).get("conditions") or []
                if c.get("type") != "DisruptionTarget"
            ]
            conds.append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                    "reason": "DeletionByTaintManager",
                    "message": "Taint manager: deleting due to NoExecute taint",
                }
            )
            obj.setdefault("status", {})["conditions"] = conds

        updated = self.store.mutate("pods", ns, name, disrupt) or pod
        self.recorder.event(
            updated,
            "Normal",
            "TaintManagerEviction",
            f"Marking for deletion Pod {ns}/{name}",
            component="taint-eviction-controller",
        )
        with contextlib.suppress(ApiError):
            self.store.delete("pods", ns, name)

    def _pods_on(self, node: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.store.list("pods", field_selector=f"spec.nodeName={node}")[0]
            if not is_terminal(p)
        ]
